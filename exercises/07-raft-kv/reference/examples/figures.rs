//! Figures of the reference core, measured on the simulated network (reliable,
//! 1-5 ms per message, ticks every 10 ms, election timeout 200-400 ms, heartbeats
//! every 50 ms): time to elect a leader, and messages per committed command.
//!
//! `cargo run --release -p raft-kv-reference --example figures`

use raft_kv_reference::raft::Raft;
use raft_kv_reference::sim::Cluster;
use raft_kv_reference::RaftCore;
use serde_json::json;

const SEEDS: u64 = 200;

/// Runs until some connected node leads; returns the time taken, in ms.
fn until_leader(c: &mut Cluster<'_, Raft>) -> u64 {
    let start = c.now();
    loop {
        c.run_for(1).expect("no safety violation");
        let leader = c
            .connected_up()
            .into_iter()
            .any(|i| c.node(i).is_some_and(|n| n.is_leader()));
        if leader {
            return c.now() - start;
        }
    }
}

fn leader_of(c: &Cluster<'_, Raft>) -> usize {
    c.connected_up()
        .into_iter()
        .find(|&i| c.node(i).is_some_and(|n| n.is_leader()))
        .expect("a leader")
}

fn summary(mut v: Vec<u64>) -> String {
    v.sort_unstable();
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!(
        "median {:>4} ms, p90 {:>4} ms, max {:>4} ms",
        q(0.5),
        q(0.9),
        q(1.0)
    )
}

fn main() {
    let factory = &Raft::new;
    for n in [3, 5] {
        let mut first = Vec::new();
        let mut again = Vec::new();
        for seed in 0..SEEDS {
            let mut c = Cluster::new(n, seed, factory);
            first.push(until_leader(&mut c));
            c.run_for(500).unwrap();
            let old = leader_of(&c);
            c.disconnect(old);
            again.push(until_leader(&mut c));
        }
        println!("{n} nodes, {SEEDS} seeds:");
        println!("  first leader:                  {}", summary(first));
        println!("  new leader after a cut leader: {}", summary(again));
    }

    for n in [3, 5] {
        let (mut one_by_one, mut pipelined) = (0u64, 0u64);
        let commands = 100u64;
        let seeds = 20;
        for seed in 0..seeds {
            let mut c = Cluster::new(n, seed, factory);
            until_leader(&mut c);
            c.run_for(200).unwrap();
            let leader = leader_of(&c);
            // One at a time: propose, wait until every node has applied it.
            let before = c.messages_sent();
            for k in 0..commands {
                let index = c.propose(leader, json!(k)).expect("still leader");
                while c.n_committed(index).0 < n {
                    c.run_for(1).unwrap();
                }
            }
            one_by_one += c.messages_sent() - before;
            // A steady stream: one proposal every 10 ms (100 per second).
            let before = c.messages_sent();
            let mut last = 0;
            for k in 0..commands {
                last = c.propose(leader, json!(10_000 + k)).expect("still leader");
                c.run_for(10).unwrap();
            }
            while c.n_committed(last).0 < n {
                c.run_for(1).unwrap();
            }
            pipelined += c.messages_sent() - before;
        }
        let per = |m: u64| m as f64 / (commands * seeds) as f64;
        println!("{n} nodes, messages per committed command ({seeds} seeds x {commands}):");
        println!(
            "  one at a time (wait for all to apply): {:.1}",
            per(one_by_one)
        );
        println!(
            "  a stream at 100 commands/s:            {:.1}",
            per(pipelined)
        );
    }
}
