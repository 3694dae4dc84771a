//! lin-kv end to end: a node that forwards to the lin-kv service is
//! linearizable (with and without partitions); one that forwards to seq-kv, or
//! keeps its own map per node, is caught.

mod common;

use std::time::Duration;

use common::*;
use maelstrom_harness::{run_blocking, TestConfig, Validity};
use serde_json::Value;

/// Relays every client request to the service `SERVICE` and its reply back.
const FORWARD: &str = r#"
pending = {}
next_id = [0]
def handle(msg):
    b = msg["body"]
    if msg["src"] == "SERVICE":
        client = pending.pop(b.get("in_reply_to"), None)
        if client is not None:
            out = {k: v for k, v in b.items() if k not in ("msg_id", "in_reply_to")}
            reply(client, out)
        return
    next_id[0] += 1
    fwd = dict(b)
    fwd["msg_id"] = next_id[0]
    pending[next_id[0]] = msg
    send("SERVICE", fwd)
main(handle)
"#;

/// Each node keeps its own map: writes on one node are invisible to others.
const LOCAL_MAP: &str = r#"
kv = {}
def handle(msg):
    b = msg["body"]
    t = b["type"]
    k = json.dumps(b["key"])
    if t == "read":
        if k in kv:
            reply(msg, {"type": "read_ok", "value": kv[k]})
        else:
            reply(msg, {"type": "error", "code": 20, "text": "no such key"})
    elif t == "write":
        kv[k] = b["value"]
        reply(msg, {"type": "write_ok"})
    elif t == "cas":
        if k not in kv:
            reply(msg, {"type": "error", "code": 20, "text": "no such key"})
        elif kv[k] != b["from"]:
            reply(msg, {"type": "error", "code": 22, "text": "from does not match"})
        else:
            kv[k] = b["to"]
            reply(msg, {"type": "cas_ok"})
main(handle)
"#;

/// One map, but every 25th request wipes it (as a node that loses its state
/// would), and a read of a missing key is answered `read_ok` with a null value
/// instead of error 20: the null reads upstream's checker lets through.
const FORGETFUL_NULLS: &str = r#"
kv = {}
count = [0]
def handle(msg):
    b = msg["body"]
    t = b["type"]
    k = json.dumps(b["key"])
    count[0] += 1
    if count[0] % 25 == 0:
        kv.clear()
    if t == "read":
        reply(msg, {"type": "read_ok", "value": kv.get(k)})
    elif t == "write":
        kv[k] = b["value"]
        reply(msg, {"type": "write_ok"})
    elif t == "cas":
        if k not in kv:
            reply(msg, {"type": "error", "code": 20, "text": "no such key"})
        elif kv[k] != b["from"]:
            reply(msg, {"type": "error", "code": 22, "text": "from does not match"})
        else:
            kv[k] = b["to"]
            reply(msg, {"type": "cas_ok"})
main(handle)
"#;

/// 3 nodes, 2n workers, 4 s at 40 ops/s: about 160 ops over one key per group.
/// Returns the scratch folder too: the node and the store live there.
fn lin_kv_config(name: &str, body: &str) -> (Scratch, TestConfig) {
    let dir = scratch(name);
    let bin = python_node(&dir, &format!("{name}.py"), body);
    let mut cfg = short_config("lin-kv", bin, &dir);
    cfg.concurrency = 6;
    cfg.rate = 40.0;
    cfg.time_limit = Duration::from_secs(4);
    (dir, cfg)
}

/// Runs the test; the scratch folder goes when it is done.
fn run((_dir, cfg): (Scratch, TestConfig)) -> (Validity, Value) {
    let outcome = run_blocking(cfg).expect("the test ran");
    (outcome.valid, outcome.results)
}

#[test]
fn forwarding_to_lin_kv_is_linearizable() {
    let (valid, results) = run(lin_kv_config(
        "lin-fwd",
        &FORWARD.replace("SERVICE", "lin-kv"),
    ));
    let pretty = serde_json::to_string_pretty(&results).unwrap();
    assert_eq!(valid, Validity::Valid, "{pretty}");
    let w = &results["workload"];
    assert_eq!(w["valid"], true);
    assert_eq!(w["failures"], serde_json::json!([]));
    // One key per group of 2n workers, checked on its own.
    let first = &w["results"]["0"];
    assert_eq!(first["valid"], true, "{pretty}");
    assert!(first["op-count"].as_u64().unwrap() > 20, "{pretty}");
    for f in ["read", "write", "cas"] {
        assert!(
            results["stats"]["by-f"][f]["ok-count"].as_u64().unwrap() > 0,
            "{f}: {pretty}"
        );
    }
}

#[test]
fn forwarding_to_lin_kv_is_linearizable_under_partitions() {
    // The store is read after the run: the scratch folder must outlive it.
    let (_dir, cfg) = lin_kv_config("lin-part", &FORWARD.replace("SERVICE", "lin-kv"));
    let cfg = with_partitions(cfg);
    let store = cfg.store_root.clone().unwrap();
    let outcome = run_blocking(cfg).expect("the test ran");
    let (valid, results) = (outcome.valid, outcome.results);
    assert_eq!(
        valid,
        Validity::Valid,
        "{}",
        serde_json::to_string_pretty(&results).unwrap()
    );
    let history = std::fs::read_to_string(store.join("latest/history.jsonl")).unwrap();
    assert!(
        history.contains("\"start-partition\""),
        "no partition happened"
    );
}

fn assert_caught(valid: Validity, results: &Value) {
    let pretty = serde_json::to_string_pretty(results).unwrap();
    assert_eq!(valid, Validity::Invalid, "{pretty}");
    let w = &results["workload"];
    let failures = w["failures"].as_array().unwrap();
    assert!(!failures.is_empty(), "{pretty}");
    let key = failures[0].as_str().unwrap();
    let explanation = &w["results"][key]["explanation"];
    assert!(explanation["blocking-op"].is_object(), "{pretty}");
    let summary = w["summary"].as_str().unwrap();
    assert!(summary.contains("not linearizable"), "{summary}");
}

#[test]
fn forwarding_to_seq_kv_is_caught() {
    let (valid, results) = run(lin_kv_config(
        "seq-fwd",
        &FORWARD.replace("SERVICE", "seq-kv"),
    ));
    assert_caught(valid, &results);
}

/// Through the binary: exit code 1, and the terminal names the key and the
/// operation that cannot be linearized.
#[test]
fn a_map_per_node_is_caught() {
    let dir = scratch("local-map");
    python_node(&dir, "local-map.py", LOCAL_MAP);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(&dir)
        .args([
            "test",
            "-w",
            "lin-kv",
            "--bin",
            "local-map.py",
            "--node-count",
            "3",
            "--concurrency",
            "2n",
            "--time-limit",
            "4",
            "--rate",
            "40",
            "--seed",
            "42",
            "--init-timeout",
            "10",
        ])
        .output()
        .expect("maelstrom runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("keys are not linearizable"), "{stdout}");
    assert!(
        stdout.contains("must take effect before it returned"),
        "{stdout}"
    );
    let results: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("store/latest/results.json")).unwrap(),
    )
    .unwrap();
    assert_caught(Validity::Invalid, &results);
}

/// A read answered with null where the key held a value is caught, and the
/// summary says why in words (error 20, and that upstream would accept it).
#[test]
fn null_reads_of_written_keys_are_caught_and_explained() {
    let (dir, mut cfg) = lin_kv_config("null-reads", FORGETFUL_NULLS);
    cfg.nodes = TestConfig::node_ids(1);
    cfg.concurrency = 2;
    let (valid, results) = run((dir, cfg));
    assert_caught(valid, &results);
    let w = &results["workload"];
    let key = w["failures"][0].as_str().unwrap();
    let null_read = &w["results"][key]["explanation"]["null-read"];
    let pretty = serde_json::to_string_pretty(w).unwrap();
    assert!(null_read["process"].is_i64(), "{pretty}");
    assert!(!null_read["held"].is_null(), "{pretty}");
    let summary = w["summary"].as_str().unwrap();
    for words in [
        "returned null, but the register held",
        "error 20 (key-does-not-exist)",
        "Upstream Maelstrom's checker would not have caught this",
    ] {
        assert!(summary.contains(words), "{words:?} not in {summary}");
    }
}
