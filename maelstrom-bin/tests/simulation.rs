//! The in-process host seam: library-style nodes on channels, on a paused
//! clock, give the same history for the same seed.

use std::rc::Rc;
use std::time::Duration;

use maelstrom_harness::host::{NodeChannels, NodeFactory};
use maelstrom_harness::{run_simulated, NodeProgram, TestConfig, Validity};
use maelstrom_proto::{Body, Envelope};

/// An echo node that answers after a short (virtual) pause.
struct EchoNode;

impl NodeFactory for EchoNode {
    fn start(&self, mut ch: NodeChannels) -> tokio::task::JoinHandle<()> {
        tokio::task::spawn_local(async move {
            while let Some(msg) = ch.inbox.recv().await {
                let kind = if msg.body.kind == "init" {
                    "init_ok"
                } else {
                    "echo_ok"
                };
                let mut body = Body::new(kind);
                if let Some(e) = msg.body.get("echo") {
                    body = body.with("echo", e.clone());
                }
                body.in_reply_to = msg.body.msg_id;
                tokio::time::sleep(Duration::from_millis(3)).await;
                if ch
                    .outbox
                    .send(Envelope::new(ch.id.clone(), msg.src, body))
                    .is_err()
                {
                    return;
                }
            }
        })
    }
}

fn simulate(seed: u64) -> (Validity, String) {
    let mut cfg = TestConfig::new("echo", NodeProgram::InProcess(Rc::new(EchoNode)));
    cfg.time_limit = Duration::from_secs(30);
    cfg.rate = 20.0;
    cfg.seed = seed;
    let out = run_simulated(cfg).unwrap();
    let ops = &out.results["stats"]["count"];
    (out.valid, format!("{ops} {}", out.results["net"]))
}

#[test]
fn same_seed_same_run_on_virtual_time() {
    let a = simulate(5);
    let b = simulate(5);
    assert_eq!(a.0, Validity::Valid);
    assert_eq!(a, b);
    // 30 virtual seconds at 20 ops/s.
    let count: u64 = a.1.split(' ').next().unwrap().parse().unwrap();
    assert!(count > 400, "{count}");
}
