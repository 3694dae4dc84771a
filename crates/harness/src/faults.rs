//! Node faults beyond upstream: crash and restart, pause and resume.
//!
//! Upstream Maelstrom's only fault is the partition. Here nodes can also crash
//! (the host is killed: an in-process node's tasks stop, a process's whole
//! group gets SIGKILL) and restart (a fresh host, sent `init` again), keeping
//! only what they saved in the node library's durable storage; and pause (a
//! process's group gets SIGSTOP; an in-process node is frozen whole: none of
//! its handlers, timers or tasks runs and it takes in no message) and resume
//! (SIGCONT; the in-process node runs again, timers that expired meanwhile
//! fire at once, and its clock shows the time it lost). Each fault runs as
//! upstream's partition nemesis does: start, stop, start, ... at staggered
//! intervals, on its own seeded rng stream; everything recovers before the
//! final phase.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::json;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client::ClientIds;
use crate::config::{NodeProgram, TestConfig};
use crate::error::HarnessError;
use crate::history::History;
use crate::host::{self, HostEnv, NodeHost};
use crate::nemesis::FlipFlop;
use crate::rng;

/// The running hosts by node id. A crashed node has none until it restarts.
pub type Hosts = Rc<RefCell<BTreeMap<String, Box<dyn NodeHost>>>>;

/// Which nodes a fault hits, drawn uniformly as Jepsen's node-fault nemeses do.
pub const TARGETS: [&str; 4] = ["one", "minority", "majority", "all"];

/// Picks the nodes for target spec `spec`.
pub fn targets(spec: &str, nodes: &[String], rng: &mut StdRng) -> Vec<String> {
    let mut shuffled = nodes.to_vec();
    shuffled.shuffle(rng);
    let n = nodes.len();
    let k = match spec {
        "one" => 1,
        "minority" => (n.saturating_sub(1) / 2).max(1),
        "majority" => n / 2 + 1,
        _ => n,
    };
    shuffled.truncate(k.min(n));
    shuffled.sort();
    shuffled
}

/// Crashes, restarts, pauses and resumes nodes, and records each in the history.
pub struct NodeFaults {
    hosts: Hosts,
    program: NodeProgram,
    env: HostEnv,
    ids: ClientIds,
    history: History,
    nodes: Vec<String>,
    init_timeout: Duration,
    crashed: RefCell<BTreeSet<String>>,
    paused: RefCell<BTreeSet<String>>,
}

impl NodeFaults {
    /// Faults over the nodes of `cfg`, whose hosts are (or will be) in `hosts`.
    pub fn new(
        hosts: Hosts,
        cfg: &TestConfig,
        env: HostEnv,
        ids: ClientIds,
        history: History,
    ) -> Self {
        NodeFaults {
            hosts,
            program: cfg.program.clone(),
            env,
            ids,
            history,
            nodes: cfg.nodes.clone(),
            init_timeout: cfg.init_timeout,
            crashed: RefCell::default(),
            paused: RefCell::default(),
        }
    }

    /// Crashes `targets`: their hosts are killed and messages to them dropped.
    pub async fn crash(&self, targets: &[String]) {
        self.history.nemesis("kill", json!(targets));
        for id in targets {
            self.env.net.set_down(id, true);
            self.paused.borrow_mut().remove(id);
            let host = self.hosts.borrow_mut().remove(id);
            if let Some(mut host) = host {
                host.kill().await;
            }
            self.crashed.borrow_mut().insert(id.clone());
        }
    }

    /// Restarts every crashed node and sends it `init`.
    pub async fn restart_all(&self) -> Result<(), HarnessError> {
        let crashed: Vec<String> = std::mem::take(&mut *self.crashed.borrow_mut())
            .into_iter()
            .collect();
        if crashed.is_empty() {
            return Ok(());
        }
        self.history.nemesis("start", json!(crashed));
        for id in &crashed {
            self.env.net.set_down(id, false);
            let host = host::start(&self.program, id, &self.env).await?;
            self.hosts.borrow_mut().insert(id.clone(), host);
        }
        for id in &crashed {
            crate::run::init_node(&self.env.net, &self.ids, id, &self.nodes, self.init_timeout)
                .await?;
        }
        Ok(())
    }

    /// Pauses `targets` (those running).
    pub fn pause(&self, targets: &[String]) {
        self.history.nemesis("pause", json!(targets));
        let mut hosts = self.hosts.borrow_mut();
        for id in targets {
            if let Some(host) = hosts.get_mut(id) {
                host.pause();
                self.paused.borrow_mut().insert(id.clone());
            }
        }
    }

    /// Resumes every paused node.
    pub fn resume_all(&self) {
        let paused: Vec<String> = std::mem::take(&mut *self.paused.borrow_mut())
            .into_iter()
            .collect();
        if paused.is_empty() {
            return;
        }
        self.history.nemesis("resume", json!(paused));
        let mut hosts = self.hosts.borrow_mut();
        for id in &paused {
            if let Some(host) = hosts.get_mut(id) {
                host.resume();
            }
        }
    }

    /// Undoes every fault: paused nodes resume, crashed ones restart.
    pub async fn recover(&self) -> Result<(), HarnessError> {
        self.resume_all();
        self.restart_all().await
    }
}

/// Starts the crash and pause nemeses `cfg` asks for, until `until`.
pub fn spawn_nemeses(
    faults: &Rc<NodeFaults>,
    cfg: &TestConfig,
    until: Instant,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    if cfg.nemesis_kill {
        let (f, interval, rng) = (
            faults.clone(),
            cfg.nemesis_interval,
            rng::stream(cfg.seed, "kill"),
        );
        tasks.push(tokio::task::spawn_local(async move {
            if let Err(e) = crash_restart_loop(&f, interval, until, rng).await {
                // A node that does not come back is the test's failure.
                let _ = f.env.faults.send(e);
            }
        }));
    }
    if cfg.nemesis_pause {
        let (f, interval, rng) = (
            faults.clone(),
            cfg.nemesis_interval,
            rng::stream(cfg.seed, "pause"),
        );
        tasks.push(tokio::task::spawn_local(async move {
            pause_resume_loop(&f, interval, until, rng).await;
        }));
    }
    tasks
}

async fn crash_restart_loop(
    faults: &NodeFaults,
    interval: Duration,
    until: Instant,
    mut rng: StdRng,
) -> Result<(), HarnessError> {
    let mut schedule = FlipFlop::new(interval, until);
    while let Some(start) = schedule.next(&mut rng).await {
        if start {
            let spec = TARGETS[rng.random_range(0..TARGETS.len())];
            faults.crash(&targets(spec, &faults.nodes, &mut rng)).await;
        } else {
            faults.restart_all().await?;
        }
    }
    Ok(())
}

async fn pause_resume_loop(
    faults: &NodeFaults,
    interval: Duration,
    until: Instant,
    mut rng: StdRng,
) {
    let mut schedule = FlipFlop::new(interval, until);
    while let Some(start) = schedule.next(&mut rng).await {
        if start {
            let spec = TARGETS[rng.random_range(0..TARGETS.len())];
            faults.pause(&targets(spec, &faults.nodes, &mut rng));
        } else {
            faults.resume_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn target_sizes() {
        let nodes: Vec<String> = (1..=5).map(|i| format!("n{i}")).collect();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(targets("one", &nodes, &mut rng).len(), 1);
        assert_eq!(targets("minority", &nodes, &mut rng).len(), 2);
        assert_eq!(targets("majority", &nodes, &mut rng).len(), 3);
        assert_eq!(targets("all", &nodes, &mut rng), nodes);
        let one = vec!["n1".to_string()];
        assert_eq!(targets("minority", &one, &mut rng), one);
    }
}
