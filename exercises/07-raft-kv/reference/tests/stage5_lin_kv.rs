//! Stage 5 (the key-value store): the lin-kv workload against the reference node,
//! in the harness's deterministic simulation, with partitions and with crashes,
//! over several seeds. Upstream's final Raft command runs for 60 s; these runs are
//! shorter to keep the debug test suite quick (the README's figures use 60 s).

use std::time::Duration;

use maelstrom_node::sim::{self, TestConfig, Validity};
use raft_kv_reference::server::RaftKv;

/// Upstream's final Raft test (`--node-count 3 --concurrency 4n --rate 30
/// --nemesis partition --nemesis-interval 10`), for `secs` seconds with `seed`.
fn config(seed: u64, secs: u64, kill: bool) -> TestConfig {
    let mut cfg = sim::config::<RaftKv>("lin-kv");
    cfg.nodes = TestConfig::node_ids(3);
    cfg.concurrency = 12;
    cfg.rate = 30.0;
    cfg.time_limit = Duration::from_secs(secs);
    cfg.nemesis_partition = true;
    cfg.nemesis_kill = kill;
    cfg.nemesis_interval = Duration::from_secs(if kill { 3 } else { 5 });
    cfg.seed = seed;
    cfg
}

/// Runs `cfg` and fails unless the history is linearizable and enough operations
/// succeeded (a node that refuses everything is trivially linearizable): half of
/// them under partitions, a quarter when nodes also crash every few seconds (a
/// crashed node answers nothing until it restarts).
fn check(cfg: TestConfig) {
    let seed = cfg.seed;
    let share = if cfg.nemesis_kill { 4 } else { 2 };
    let outcome = sim::run(cfg).expect("the test ran");
    let stats = &outcome.results["stats"];
    assert_eq!(
        outcome.valid,
        Validity::Valid,
        "seed {seed}: lin-kv is not valid: {:#}",
        outcome.results["workload"]
    );
    let ok = stats["ok-count"].as_u64().unwrap_or(0);
    let count = stats["count"].as_u64().unwrap_or(0);
    assert!(
        ok * share > count,
        "seed {seed}: only {ok} of {count} operations succeeded"
    );
}

#[test]
fn lin_kv_with_partitions_is_linearizable() {
    for seed in 0..3 {
        check(config(seed, 15, false));
    }
}

#[test]
fn lin_kv_with_partitions_and_crashes_is_linearizable() {
    for seed in 0..3 {
        check(config(seed, 15, true));
    }
}
