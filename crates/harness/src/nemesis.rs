//! The partition nemesis: upstream's four partition shapes, flip-flopping with
//! the heal, at staggered intervals.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::json;
use tokio::time::Instant;

use crate::history::History;
use crate::net::Net;

/// For each node, the nodes whose messages it drops.
pub type Grudge = BTreeMap<String, BTreeSet<String>>;

/// The partition shapes, chosen uniformly as upstream does.
pub const SPECS: [&str; 4] = ["one", "minority-third", "majority", "majorities-ring"];

/// A complete grudge: every node drops messages from nodes outside its component.
pub fn complete_grudge(components: &[Vec<String>]) -> Grudge {
    let mut g = Grudge::new();
    for comp in components {
        for node in comp {
            let others = components
                .iter()
                .filter(|c| !std::ptr::eq(*c, comp))
                .flatten()
                .cloned()
                .collect();
            g.insert(node.clone(), others);
        }
    }
    g
}

/// The grudge for partition shape `spec` over `nodes`.
pub fn grudge(spec: &str, nodes: &[String], rng: &mut StdRng) -> Grudge {
    let mut shuffled = nodes.to_vec();
    shuffled.shuffle(rng);
    let n = nodes.len();
    match spec {
        "one" => {
            let (one, rest) = shuffled.split_at(1.min(n));
            complete_grudge(&[one.to_vec(), rest.to_vec()])
        }
        "majority" => {
            let (small, big) = shuffled.split_at(n / 2);
            complete_grudge(&[small.to_vec(), big.to_vec()])
        }
        "minority-third" => {
            let k = n.saturating_sub(1) / 3;
            if k == 0 {
                return Grudge::new();
            }
            let (small, big) = shuffled.split_at(k);
            complete_grudge(&[small.to_vec(), big.to_vec()])
        }
        _ => majorities_ring(&shuffled),
    }
}

/// Each node sees a majority made of its ring neighbours: every node's majority
/// differs, which no plain two-way split achieves.
fn majorities_ring(ring: &[String]) -> Grudge {
    let n = ring.len();
    let majority = n / 2 + 1;
    let behind = (majority - 1) / 2;
    let mut g = Grudge::new();
    for (i, node) in ring.iter().enumerate() {
        let visible: BTreeSet<usize> = (0..majority).map(|k| (i + n - behind + k) % n).collect();
        let dropped = (0..n)
            .filter(|j| !visible.contains(j))
            .map(|j| ring[j].clone())
            .collect();
        g.insert(node.clone(), dropped);
    }
    g
}

/// A uniformly random pause in `[0, 2 × mean)`: Jepsen's stagger.
pub fn stagger(mean: Duration, rng: &mut StdRng) -> Duration {
    mean.mul_f64(2.0 * rng.random::<f64>())
}

/// Jepsen's flip-flop schedule, shared by every fault: start, stop, start, ...
/// each after a staggered pause, until a deadline.
pub struct FlipFlop {
    interval: Duration,
    until: Instant,
    started: bool,
}

impl FlipFlop {
    /// A schedule with mean pause `interval` that ends at `until`.
    pub fn new(interval: Duration, until: Instant) -> Self {
        FlipFlop {
            interval,
            until,
            started: false,
        }
    }

    /// Waits for the next flip: `Some(true)` to start the fault, `Some(false)` to
    /// stop it, `None` once the next flip would fall past the deadline.
    pub async fn next(&mut self, rng: &mut StdRng) -> Option<bool> {
        let at = Instant::now() + stagger(self.interval, rng);
        if at >= self.until {
            return None;
        }
        tokio::time::sleep_until(at).await;
        self.started = !self.started;
        Some(self.started)
    }
}

/// Runs the nemesis until `until`: partition, heal, partition, ... Leaves the
/// network as it found it only when the caller heals afterwards.
pub async fn run(
    net: Net,
    history: History,
    nodes: Vec<String>,
    interval: Duration,
    until: Instant,
    mut rng: StdRng,
) {
    let mut schedule = FlipFlop::new(interval, until);
    while let Some(start) = schedule.next(&mut rng).await {
        if start {
            let spec = SPECS[rng.random_range(0..SPECS.len())];
            let g = grudge(spec, &nodes, &mut rng);
            history.nemesis("start-partition", json!({"spec": spec, "grudge": g}));
            net.partition(g);
        } else {
            net.heal();
            history.nemesis("stop-partition", json!("network-healed"));
        }
    }
}

/// Heals the network and records it, as the final generator does.
pub fn heal(net: &Net, history: &History) {
    net.heal();
    history.nemesis("stop-partition", json!("network-healed"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ids(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("n{i}")).collect()
    }

    #[test]
    fn shapes() {
        let mut rng = StdRng::seed_from_u64(3);
        let one = grudge("one", &ids(5), &mut rng);
        assert_eq!(one.values().filter(|s| s.len() == 4).count(), 1);
        assert_eq!(one.values().filter(|s| s.len() == 1).count(), 4);
        let maj = grudge("majority", &ids(5), &mut rng);
        assert_eq!(maj.values().filter(|s| s.len() == 3).count(), 2);
        assert!(grudge("minority-third", &ids(3), &mut rng).is_empty());
        let ring = grudge("majorities-ring", &ids(5), &mut rng);
        // Everyone sees a majority (itself plus two others) and the views differ.
        assert!(ring.values().all(|s| s.len() == 2));
        let views: BTreeSet<_> = ring.values().collect();
        assert_eq!(views.len(), 5);
    }
}
