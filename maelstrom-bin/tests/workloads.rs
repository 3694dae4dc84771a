//! Correct nodes pass every workload, with and without partitions.

mod common;

use common::*;
use maelstrom_harness::{run_blocking, TestConfig, Validity};

fn passes(cfg: TestConfig) -> serde_json::Value {
    let outcome = run_blocking(cfg).expect("the test ran");
    assert_eq!(
        outcome.valid,
        Validity::Valid,
        "results: {}",
        serde_json::to_string_pretty(&outcome.results).unwrap()
    );
    outcome.results
}

#[test]
fn echo_passes_and_writes_the_store() {
    let dir = scratch("echo");
    let bin = python_node(&dir, "echo.py", ECHO);
    let results = passes(short_config("echo", bin, &dir));
    let stats = &results["stats"];
    assert!(stats["ok-count"].as_u64().unwrap() >= 10, "{stats}");
    assert_eq!(results["seed"], 42);
    // Every message involves a client: echo has no server traffic.
    assert_eq!(results["net"]["servers"]["msg-count"], 0);
    let latest = dir.join("store/latest");
    for f in [
        "results.json",
        "history.jsonl",
        "messages.jsonl",
        "node-logs",
        "summary.json",
        "index.html",
        "timeline.html",
        "messages.html",
    ] {
        assert!(latest.join(f).exists(), "missing {f}");
    }
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(latest.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk["valid"], true);
    let history = std::fs::read_to_string(latest.join("history.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(history.lines().next().unwrap()).unwrap();
    assert_eq!(first["type"], "invoke");
    assert_eq!(first["f"], "echo");
}

#[test]
fn unique_ids_pass_with_partitions() {
    let dir = scratch("uid");
    let bin = python_node(&dir, "uid.py", UNIQUE_IDS);
    let results = passes(with_partitions(short_config("unique-ids", bin, &dir)));
    assert_eq!(results["workload"]["duplicated-count"], 0);
}

#[test]
fn broadcast_passes_on_every_topology() {
    for topology in ["grid", "line", "tree", "tree3", "tree4", "total"] {
        let dir = scratch("bcast");
        let bin = python_node(&dir, "bcast.py", &broadcast_node());
        let mut cfg = short_config("broadcast", bin, &dir);
        cfg.nodes = TestConfig::node_ids(5);
        cfg.concurrency = 5;
        cfg.time_limit = std::time::Duration::from_secs(2);
        cfg.topology = topology.parse().unwrap();
        let results = passes(cfg);
        assert_eq!(results["workload"]["lost-count"], 0, "{topology}");
    }
}

#[test]
fn broadcast_passes_with_partitions_and_latency() {
    let dir = scratch("bcast-part");
    let bin = python_node(&dir, "bcast.py", &broadcast_node());
    let mut cfg = with_partitions(short_config("broadcast", bin, &dir));
    cfg.latency = std::time::Duration::from_millis(5);
    cfg.latency_dist = maelstrom_harness::LatencyDist::Exponential;
    let results = passes(cfg);
    assert!(results["workload"]["stable-count"].as_u64().unwrap() > 0);
    assert!(results["net"]["servers"]["msg-count"].as_u64().unwrap() > 0);
    // Partitions happened, and are recorded as nemesis ops (process "nemesis", as upstream writes them).
    let history = std::fs::read_to_string(dir.join("store/latest/history.jsonl")).unwrap();
    let starts = history
        .lines()
        .filter(|l| l.contains("\"start-partition\"") && l.contains("\"process\":\"nemesis\""))
        .count();
    assert!(starts >= 1, "no partition in {history}");
}

#[test]
fn g_set_passes_with_and_without_partitions() {
    for partitions in [false, true] {
        let dir = scratch("gset");
        let bin = python_node(&dir, "gset.py", &g_set_node());
        let mut cfg = short_config("g-set", bin, &dir);
        if partitions {
            cfg = with_partitions(cfg);
        }
        passes(cfg);
    }
}

#[test]
fn counters_pass_with_and_without_partitions() {
    for (workload, partitions) in [
        ("g-counter", false),
        ("pn-counter", false),
        ("pn-counter", true),
    ] {
        let dir = scratch("counter");
        let bin = python_node(&dir, "counter.py", PN_COUNTER);
        let mut cfg = short_config(workload, bin, &dir);
        if partitions {
            cfg = with_partitions(cfg);
        }
        let results = passes(cfg);
        assert_eq!(
            results["workload"]["final-reads"].as_array().unwrap().len(),
            3,
            "{workload}"
        );
    }
}
