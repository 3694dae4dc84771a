//! txn-list-append and txn-rw-register end to end, with small Python nodes:
//! a single node applying each transaction atomically is strict
//! serializable; one whose transactions' writes land at different times on
//! different keys is caught (G0) even at read-uncommitted; one that lets
//! aborted appends be seen is caught (G1a) at read-committed.

mod common;

use std::time::Duration;

use common::*;
use maelstrom_harness::{run_blocking, TestConfig, Validity};
use serde_json::Value;

/// Applies each transaction at once, under the node's lock.
const ATOMIC: &str = r#"
db = {}
def handle(msg):
    b = msg["body"]
    out = []
    for f, k, v in b["txn"]:
        key = json.dumps(k)
        if f == "r":
            cur = db.get(key)
            out.append([f, k, list(cur) if isinstance(cur, list) else cur])
        elif f == "append":
            db[key] = db.get(key, []) + [v]
            out.append([f, k, v])
        else:
            db[key] = v
            out.append([f, k, v])
    reply(msg, {"type": "txn_ok", "txn": out})
main(handle)
"#;

/// Registers whose writes are applied now or 300 ms later, depending on
/// the transaction's number and the key: two concurrent transactions
/// writing x and y each end up owning one of them.
const INTERLEAVING: &str = r#"
db = {}
count = [0]
def apply(key, v):
    with state_lock:
        db[key] = v
def handle(msg):
    b = msg["body"]
    count[0] += 1
    out = []
    for f, k, v in b["txn"]:
        key = json.dumps(k)
        if f == "r":
            out.append([f, k, db.get(key)])
        else:
            if (count[0] + k) % 2:
                threading.Timer(0.3, apply, (key, v)).start()
            else:
                db[key] = v
            out.append([f, k, v])
    reply(msg, {"type": "txn_ok", "txn": out})
main(handle)
"#;

/// Every third transaction aborts (error 30), but its appends stay
/// visible for 300 ms before they are rolled back.
const LEAKY_ABORTS: &str = r#"
db = {}
count = [0]
def rollback(key, v):
    with state_lock:
        if v in db.get(key, []):
            db[key] = [x for x in db[key] if x != v]
def handle(msg):
    b = msg["body"]
    count[0] += 1
    abort = count[0] % 3 == 0
    out = []
    for f, k, v in b["txn"]:
        key = json.dumps(k)
        if f == "r":
            out.append([f, k, list(db.get(key, []))])
        else:
            db[key] = db.get(key, []) + [v]
            out.append([f, k, v])
            if abort:
                threading.Timer(0.3, rollback, (key, v)).start()
    if abort:
        reply(msg, {"type": "error", "code": 30, "text": "txn conflict"})
    else:
        reply(msg, {"type": "txn_ok", "txn": out})
main(handle)
"#;

/// One node, 3 workers, 4 s at 30 txns/s over a pool of 2 keys.
fn config(name: &str, workload: &str, body: &str, model: &str) -> (Scratch, TestConfig) {
    let dir = scratch(name);
    let bin = python_node(&dir, &format!("{name}.py"), body);
    let mut cfg = short_config(workload, bin, &dir);
    cfg.nodes = TestConfig::node_ids(1);
    cfg.rate = 30.0;
    cfg.time_limit = Duration::from_secs(4);
    cfg.key_count = Some(2);
    cfg.max_writes_per_key = 4;
    cfg.consistency_models = vec![model.to_string()];
    (dir, cfg)
}

fn run((_dir, cfg): (Scratch, TestConfig)) -> (Validity, Value) {
    let outcome = run_blocking(cfg).expect("the test ran");
    (outcome.valid, outcome.results)
}

fn types(results: &Value) -> Vec<String> {
    serde_json::from_value(results["workload"]["anomaly-types"].clone()).unwrap_or_default()
}

#[test]
fn atomic_node_is_strict_serializable() {
    for workload in ["txn-list-append", "txn-rw-register"] {
        let (valid, results) = run(config(
            "txn-atomic",
            workload,
            ATOMIC,
            "strict-serializable",
        ));
        let pretty = serde_json::to_string_pretty(&results["workload"]).unwrap();
        assert_eq!(valid, Validity::Valid, "{workload}: {pretty}");
        let count = results["workload"]["txn-count"].as_u64().unwrap();
        assert!(count > 50, "{workload}: {count} txns");
    }
}

#[test]
fn interleaved_writes_are_g0_at_read_uncommitted() {
    let (valid, results) = run(config(
        "txn-g0",
        "txn-rw-register",
        INTERLEAVING,
        "read-uncommitted",
    ));
    let pretty = serde_json::to_string_pretty(&results["workload"]).unwrap();
    assert_eq!(valid, Validity::Invalid, "{pretty}");
    assert!(types(&results).contains(&"G0".to_string()), "{pretty}");
    assert!(pretty.contains("the final read found"), "{pretty}");
}

#[test]
fn visible_aborted_appends_are_g1a_at_read_committed() {
    let (valid, results) = run(config(
        "txn-g1a",
        "txn-list-append",
        LEAKY_ABORTS,
        "read-committed",
    ));
    let pretty = serde_json::to_string_pretty(&results["workload"]).unwrap();
    assert_eq!(valid, Validity::Invalid, "{pretty}");
    assert!(types(&results).contains(&"G1a".to_string()), "{pretty}");
    assert!(results["stats"]["fail-count"].as_u64().unwrap() > 0);
}
