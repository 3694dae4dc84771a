//! The reference passes every level of grade.toml, run in simulation (see the
//! exercise-testkit crate) over the same seeds.

use broadcast_reference::Broadcast;
use exercise_testkit::{assert_valid, number, Value};

const SEEDS: [u64; 3] = [1, 2, 3];

fn level(args: &[&str]) -> Vec<Value> {
    SEEDS
        .iter()
        .map(|seed| assert_valid::<Broadcast>("broadcast", args, *seed))
        .collect()
}

#[test]
fn a_one_node() {
    level(&["--node-count", "1", "--time-limit", "20", "--rate", "10"]);
}

#[test]
fn b_five_nodes() {
    level(&["--node-count", "5", "--time-limit", "20", "--rate", "10"]);
}

#[test]
fn c_partitions() {
    level(&[
        "--node-count",
        "5",
        "--time-limit",
        "20",
        "--rate",
        "10",
        "--nemesis",
        "partition",
    ]);
}

const EFFICIENT: [&str; 8] = [
    "--node-count",
    "25",
    "--time-limit",
    "20",
    "--rate",
    "100",
    "--latency",
    "100",
];

#[test]
fn d_and_e_efficiency() {
    for (seed, r) in SEEDS.iter().zip(level(&EFFICIENT)) {
        let msgs = number(&r, "net.servers.msgs-per-op");
        let median = number(&r, "workload.stable-latencies.0.5");
        let max = number(&r, "workload.stable-latencies.1");
        eprintln!("seed {seed}: msgs-per-op {msgs:.2}, median {median} ms, max {max} ms");
        // Level e's bound on messages and level d's on latency, together.
        assert!(msgs < 20.0, "seed {seed}: msgs-per-op {msgs}");
        assert!(median < 400.0, "seed {seed}: median {median}");
        assert!(max < 600.0, "seed {seed}: max {max}");
    }
}

#[test]
fn d_still_valid_with_partitions() {
    let mut args = EFFICIENT.to_vec();
    args.extend(["--nemesis", "partition"]);
    level(&args);
}
