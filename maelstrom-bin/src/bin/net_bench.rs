//! Network benchmark: messages routed per second through the harness's network
//! with 25 in-process nodes at zero latency, and the delay the harness adds per
//! hop beyond the configured latency (p50, p99).
//!
//! Each node forwards every `hop` message it receives to a random peer, so
//! `tokens` messages circulate for the whole run; the journal is written to a
//! temp file, as in a real test. Run with
//! `cargo run --release -p maelstrom --bin maelstrom-net-bench`.

use std::rc::Rc;
use std::time::Duration;

use maelstrom_harness::clock::Clock;
use maelstrom_harness::host::{ChannelHost, HostEnv, NodeChannels, NodeFactory, NodeHost};
use maelstrom_harness::net::{Journal, Latency, Net};
use maelstrom_harness::LatencyDist;
use maelstrom_proto::{Body, Envelope};
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

/// Forwards each hop to a random peer, recording how long the hop took.
struct Forwarder {
    peers: Vec<String>,
    origin: Instant,
    delays_ns: Rc<std::cell::RefCell<Vec<u64>>>,
}

impl NodeFactory for Forwarder {
    fn start(&self, mut ch: NodeChannels) -> tokio::task::JoinHandle<()> {
        let peers = self.peers.clone();
        let origin = self.origin;
        let delays = self.delays_ns.clone();
        let seed = ch.id.bytes().map(u64::from).sum::<u64>();
        tokio::task::spawn_local(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            while let Some(msg) = ch.inbox.recv().await {
                let now = origin.elapsed().as_nanos() as u64;
                if let Some(sent) = msg.body.get("sent").and_then(|v| v.as_u64()) {
                    delays.borrow_mut().push(now.saturating_sub(sent));
                }
                let dest = loop {
                    let d = &peers[rng.random_range(0..peers.len())];
                    if *d != ch.id {
                        break d.clone();
                    }
                };
                let body = Body::new("hop").with("sent", origin.elapsed().as_nanos() as u64);
                if ch
                    .outbox
                    .send(Envelope::new(ch.id.clone(), dest, body))
                    .is_err()
                {
                    return;
                }
            }
        })
    }
}

struct Figures {
    msgs_per_s: f64,
    p50_us: f64,
    p99_us: f64,
}

async fn scenario(nodes: usize, tokens: usize, latency: Duration, secs: f64) -> Figures {
    let clock = Clock::start();
    let journal_path =
        std::env::temp_dir().join(format!("maelstrom-net-bench-{}.jsonl", std::process::id()));
    let journal = Journal::to_file(&journal_path).expect("temp journal");
    let rng = maelstrom_harness::rng::stream(1, "latency");
    let net = Net::new(
        clock,
        Latency::new(latency, LatencyDist::Constant, rng),
        journal,
    );
    let ids: Vec<String> = (0..nodes).map(|i| format!("n{i}")).collect();
    net.set_precise_delivery(true);
    for id in &ids {
        net.register(id);
    }
    let (faults, _faults_rx) = tokio::sync::mpsc::unbounded_channel();
    let env = HostEnv {
        net: net.clone(),
        faults,
        protocol: maelstrom_harness::protocol::ProtocolLog::new(clock, ids.iter().cloned()),
        log_dir: None,
        log_stderr: false,
        clock,
        seed: 0,
        storage: Default::default(),
        storage_dir: None,
    };
    let delays = Rc::new(std::cell::RefCell::new(Vec::new()));
    let origin = Instant::now();
    let factory = Forwarder {
        peers: ids.clone(),
        origin,
        delays_ns: delays.clone(),
    };
    let mut hosts: Vec<ChannelHost> = ids
        .iter()
        .map(|id| ChannelHost::start(id, &factory, env.clone()))
        .collect();
    // Seed the tokens from a pseudo-source so the first hop is measured too.
    net.register("bench");
    for t in 0..tokens {
        let body = Body::new("hop").with("sent", origin.elapsed().as_nanos() as u64);
        net.send(Envelope::new("bench", ids[t % nodes].clone(), body))
            .expect("registered");
    }
    // Warm up, then measure.
    tokio::time::sleep(Duration::from_millis(300)).await;
    delays.borrow_mut().clear();
    let start_recv = net.stats().all.recv;
    let t0 = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let routed = net.stats().all.recv - start_recv;
    let elapsed = t0.elapsed().as_secs_f64();
    for h in &mut hosts {
        h.kill().await;
    }
    net.flush_journal();
    let _ = std::fs::remove_file(&journal_path);
    let mut d = delays.borrow_mut().clone();
    d.sort_unstable();
    let lat_ns = latency.as_nanos() as u64;
    let q = |p: f64| {
        d.get(((d.len() as f64 * p) as usize).min(d.len().saturating_sub(1)))
            .map_or(0, |v| v.saturating_sub(lat_ns)) as f64
            / 1000.0
    };
    Figures {
        msgs_per_s: routed as f64 / elapsed,
        p50_us: q(0.5),
        p99_us: q(0.99),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        println!("| scenario | msgs/s | added delay p50 | added delay p99 |");
        println!("|---|---:|---:|---:|");
        let cases = [
            (
                "25 nodes, 0 ms, 1 token (pure per-hop cost)",
                1,
                Duration::ZERO,
            ),
            ("25 nodes, 0 ms, 25 tokens", 25, Duration::ZERO),
            (
                "25 nodes, 0 ms, 250 tokens (throughput)",
                250,
                Duration::ZERO,
            ),
            (
                "25 nodes, 10 ms constant, 25 tokens",
                25,
                Duration::from_millis(10),
            ),
        ];
        for (name, tokens, latency) in cases {
            let f = scenario(25, tokens, latency, 3.0).await;
            println!(
                "| {name} | {:.0} | {:.1} µs | {:.1} µs |",
                f.msgs_per_s, f.p50_us, f.p99_us
            );
        }
    });
}
