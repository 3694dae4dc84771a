//! Small literal histories, one per anomaly.

use super::*;
use crate::history::OpType;
use serde_json::json;
use std::time::Duration;

/// Builds a history from events: `(process, type, value)`, where type is
/// "invoke", "ok", "fail", "info" or "final" (an ok final-phase read, whose
/// invocation is added just before it).
fn hist(events: &[(i64, &str, Value)]) -> Vec<Op> {
    let mut out = Vec::new();
    for (p, t, v) in events {
        let kind = match *t {
            "invoke" => OpType::Invoke,
            "ok" | "final" => OpType::Ok,
            "fail" => OpType::Fail,
            _ => OpType::Info,
        };
        if *t == "final" {
            let mut inv = Op::new(out.len() as u64, OpType::Invoke, *p, "txn", v.clone());
            inv.final_ = true;
            out.push(inv);
        }
        let mut op = Op::new(out.len() as u64, kind, *p, "txn", v.clone());
        op.final_ = *t == "final";
        out.push(op);
    }
    out
}

/// Sequential transactions: each invoked and completed ok in turn.
fn serial(txns: &[(i64, Value)]) -> Vec<Op> {
    let ev: Vec<(i64, &str, Value)> = txns
        .iter()
        .flat_map(|(p, v)| [(*p, "invoke", v.clone()), (*p, "ok", v.clone())])
        .collect();
    hist(&ev)
}

fn run(h: &[Op], kind: TxnKind, model: &str) -> TxnResult {
    let opts = TxnOpts {
        consistency_models: vec![model.to_string()],
        ..TxnOpts::default()
    };
    check(h, kind, &opts)
}

fn types(r: &TxnResult) -> Vec<&str> {
    r.anomaly_types.iter().map(String::as_str).collect()
}

const LA: TxnKind = TxnKind::ListAppend;
const RW: TxnKind = TxnKind::RwRegister;

#[test]
fn list_append_serial_history_is_valid() {
    let h = serial(&[
        (0, json!([["append", "x", 1], ["r", "y", null]])),
        (
            1,
            json!([["r", "x", [1]], ["append", "x", 2], ["append", "y", 1]]),
        ),
        (0, json!([["r", "x", [1, 2]], ["r", "y", [1]]])),
    ]);
    let r = run(&h, LA, "strict-serializable");
    assert_eq!(r.valid, Validity::Valid, "{r:?}");
    assert_eq!(r.txn_count, 3);
    assert!(r.not.is_empty());
}

#[test]
fn list_append_g0() {
    let h = serial(&[
        (0, json!([["append", "x", 1], ["append", "y", 1]])),
        (1, json!([["append", "x", 2], ["append", "y", 2]])),
        (2, json!([["r", "x", [1, 2]], ["r", "y", [2, 1]]])),
    ]);
    let r = run(&h, LA, "read-uncommitted");
    assert_eq!(r.valid, Validity::Invalid);
    assert_eq!(types(&r), vec!["G0"]);
    assert_eq!(r.not, vec!["read-uncommitted"]);
    let lines = &r.anomalies["G0"][0].explanation;
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .any(|l| l == "T0 < T2: T2 appended 2 right after T0 appended 1 to \"x\""),
        "{lines:?}"
    );
}

#[test]
fn list_append_g1a_g1b_and_dirty_update() {
    let h = hist(&[
        (0, "invoke", json!([["append", "x", 1]])),
        (0, "fail", json!([["append", "x", 1]])),
        (1, "invoke", json!([["append", "x", 2]])),
        (1, "ok", json!([["append", "x", 2]])),
        (2, "invoke", json!([["append", "y", 1], ["append", "y", 2]])),
        (2, "ok", json!([["append", "y", 1], ["append", "y", 2]])),
        (3, "invoke", json!([["r", "x", null], ["r", "y", null]])),
        (3, "ok", json!([["r", "x", [1, 2]], ["r", "y", [1]]])),
    ]);
    let r = run(&h, LA, "read-committed");
    // T3's read of y ends inside T2's appends (G1b), and T2's unread
    // append of 2 follows that read: a cycle with one anti-dependency.
    assert_eq!(types(&r), vec!["G-single", "G1a", "G1b", "dirty-update"]);
    assert_eq!(r.valid, Validity::Invalid);
    assert_eq!(r.not, vec!["read-atomic", "read-committed"]);
    // Read uncommitted allows all three: reported, but only unknown.
    assert_eq!(run(&h, LA, "read-uncommitted").valid, Validity::Unknown);
}

#[test]
fn list_append_g1c() {
    let h = hist(&[
        (0, "invoke", json!([["append", "x", 1], ["r", "y", null]])),
        (1, "invoke", json!([["append", "y", 1], ["r", "x", null]])),
        (0, "ok", json!([["append", "x", 1], ["r", "y", [1]]])),
        (1, "ok", json!([["append", "y", 1], ["r", "x", [1]]])),
    ]);
    let r = run(&h, LA, "read-committed");
    assert_eq!(types(&r), vec!["G1c"]);
    assert_eq!(r.valid, Validity::Invalid);
    assert!(r.anomalies["G1c"][0].explanation[0].contains("whose last element"));
}

#[test]
fn list_append_g_single_and_g2() {
    // Read skew: T2 sees y from T0 but not x.
    let h = hist(&[
        (0, "invoke", json!([["append", "x", 1], ["append", "y", 1]])),
        (1, "invoke", json!([["r", "x", null], ["r", "y", null]])),
        (0, "ok", json!([["append", "x", 1], ["append", "y", 1]])),
        (1, "ok", json!([["r", "x", []], ["r", "y", [1]]])),
        (2, "invoke", json!([["r", "x", null]])),
        (2, "ok", json!([["r", "x", [1]]])),
    ]);
    let r = run(&h, LA, "serializable");
    assert_eq!(types(&r), vec!["G-single"]);
    assert_eq!(r.not, vec!["repeatable-read", "snapshot-isolation"]);
    let lines = &r.anomalies["G-single"][0].explanation;
    assert!(
        lines.iter().any(|l| l.contains("which lacks 1 that")),
        "{lines:?}"
    );
    // Write skew: each reads the key the other appends to.
    let h = hist(&[
        (0, "invoke", json!([["r", "x", null], ["append", "y", 1]])),
        (1, "invoke", json!([["r", "y", null], ["append", "x", 1]])),
        (0, "ok", json!([["r", "x", []], ["append", "y", 1]])),
        (1, "ok", json!([["r", "y", []], ["append", "x", 1]])),
        (2, "invoke", json!([["r", "x", null], ["r", "y", null]])),
        (2, "ok", json!([["r", "x", [1]], ["r", "y", [1]]])),
    ]);
    let r = run(&h, LA, "serializable");
    assert_eq!(types(&r), vec!["G2-item"]);
    assert_eq!(r.not, vec!["repeatable-read"]);
    assert_eq!(run(&h, LA, "snapshot-isolation").valid, Validity::Unknown);
}

#[test]
fn list_append_realtime_and_process() {
    // T0 commits x=[1] before T1 starts; T1 still reads x empty.
    let h = serial(&[
        (0, json!([["append", "x", 1]])),
        (1, json!([["r", "x", []]])),
        (2, json!([["r", "x", [1]]])),
    ]);
    assert_eq!(run(&h, LA, "serializable").valid, Validity::Valid);
    let r = run(&h, LA, "strict-serializable");
    assert_eq!(types(&r), vec!["G-single-realtime"]);
    assert_eq!(r.not, vec!["strict-serializable"]);
    assert!(r.anomalies["G-single-realtime"][0]
        .explanation
        .iter()
        .any(|l| l.contains("completed")));
    // The same, within one process: a process anomaly.
    let h = serial(&[
        (0, json!([["append", "x", 1]])),
        (0, json!([["r", "x", []]])),
        (2, json!([["r", "x", [1]]])),
    ]);
    let r = run(&h, LA, "strong-session-serializable");
    assert_eq!(types(&r), vec!["G-single-process"]);
    assert!(r.anomalies["G-single-process"][0]
        .explanation
        .iter()
        .any(|l| l.contains("process 0 ran")));
}

#[test]
fn list_append_data_anomalies() {
    let h = serial(&[
        (0, json!([["append", "x", 1], ["r", "x", []]])),
        (1, json!([["r", "y", [5]]])),
        (0, json!([["append", "z", 1], ["append", "z", 2]])),
        (1, json!([["r", "z", [1, 2, 2]]])),
        (0, json!([["append", "w", 1]])),
        (1, json!([["append", "w", 2]])),
        (0, json!([["r", "w", [1, 2]]])),
        (1, json!([["r", "w", [2, 1]]])),
    ]);
    let r = run(&h, LA, "read-uncommitted");
    assert_eq!(
        types(&r),
        vec![
            "duplicate-elements",
            "garbage-read",
            "incompatible-order",
            "internal"
        ]
    );
    assert_eq!(r.valid, Validity::Invalid);
}

#[test]
fn list_append_lost_update() {
    let h = hist(&[
        (0, "invoke", json!([["r", "x", null], ["append", "x", 1]])),
        (1, "invoke", json!([["r", "x", null], ["append", "x", 2]])),
        (0, "ok", json!([["r", "x", []], ["append", "x", 1]])),
        (1, "ok", json!([["r", "x", []], ["append", "x", 2]])),
        (2, "invoke", json!([["r", "x", null]])),
        (2, "ok", json!([["r", "x", [1, 2]]])),
    ]);
    let r = run(&h, LA, "serializable");
    assert!(types(&r).contains(&"lost-update"), "{r:?}");
    assert!(types(&r).contains(&"G-single"));
    assert!(r.not.contains(&"cursor-stability".to_string()));
}

#[test]
fn info_writes_count_only_when_observed() {
    let h = hist(&[
        (0, "invoke", json!([["append", "x", 1]])),
        (0, "info", json!([["append", "x", 1]])),
        (1, "invoke", json!([["append", "x", 2]])),
        (1, "info", json!([["append", "x", 2]])),
        (2, "invoke", json!([["r", "x", null]])),
        (2, "ok", json!([["r", "x", [1]]])),
    ]);
    assert_eq!(run(&h, LA, "strict-serializable").valid, Validity::Valid);
}

#[test]
fn rw_register_g0_from_final_state() {
    // Two writers interleave their writes: x ends with T0's, y with T2's.
    let h = hist(&[
        (0, "invoke", json!([["w", "x", 1], ["w", "y", 1]])),
        (1, "invoke", json!([["w", "x", 2], ["w", "y", 2]])),
        (0, "ok", json!([["w", "x", 1], ["w", "y", 1]])),
        (1, "ok", json!([["w", "x", 2], ["w", "y", 2]])),
        (0, "final", json!([["r", "x", 1]])),
        (0, "final", json!([["r", "y", 2]])),
    ]);
    let r = run(&h, RW, "read-uncommitted");
    assert_eq!(types(&r), vec!["G0"], "{r:?}");
    assert_eq!(r.valid, Validity::Invalid);
    let lines = &r.anomalies["G0"][0].explanation;
    assert!(
        lines.iter().any(|l| l.contains("but the final read found")),
        "{lines:?}"
    );
    // Without final reads the same writes are undecidable: valid.
    assert_eq!(run(&h[..4], RW, "read-uncommitted").valid, Validity::Valid);
}

#[test]
fn rw_register_g1_and_internal() {
    let h = hist(&[
        (0, "invoke", json!([["w", "x", 1]])),
        (0, "fail", json!([["w", "x", 1]])),
        (1, "invoke", json!([["w", "y", 1], ["w", "y", 2]])),
        (1, "ok", json!([["w", "y", 1], ["w", "y", 2]])),
        (
            2,
            "invoke",
            json!([
                ["r", "x", null],
                ["r", "y", null],
                ["w", "z", 1],
                ["r", "z", null]
            ]),
        ),
        (
            2,
            "ok",
            json!([["r", "x", 1], ["r", "y", 1], ["w", "z", 1], ["r", "z", 3]]),
        ),
    ]);
    let r = run(&h, RW, "read-committed");
    assert_eq!(types(&r), vec!["G1a", "G1b", "internal"]);
    assert_eq!(r.valid, Validity::Invalid);
}

#[test]
fn rw_register_wr_edge_explained() {
    // G1c: each reads the other's write.
    let h = hist(&[
        (0, "invoke", json!([["w", "x", 3], ["r", "y", null]])),
        (1, "invoke", json!([["w", "y", 4], ["r", "x", null]])),
        (0, "ok", json!([["w", "x", 3], ["r", "y", 4]])),
        (1, "ok", json!([["w", "y", 4], ["r", "x", 3]])),
    ]);
    let r = run(&h, RW, "read-committed");
    assert_eq!(types(&r), vec!["G1c"]);
    let lines = &r.anomalies["G1c"][0].explanation;
    assert!(
        lines.contains(&"T0 < T1: T1 read \"x\" = 3, which T0 wrote".to_string()),
        "{lines:?}"
    );
}

#[test]
fn rw_register_nil_and_writes_follow_reads() {
    // T1 reads y from T0, yet x as nil, from before T0's write.
    let h = hist(&[
        (0, "invoke", json!([["w", "x", 1], ["w", "y", 1]])),
        (1, "invoke", json!([["r", "x", null], ["r", "y", null]])),
        (0, "ok", json!([["w", "x", 1], ["w", "y", 1]])),
        (1, "ok", json!([["r", "x", null], ["r", "y", 1]])),
    ]);
    let r = run(&h, RW, "serializable");
    assert_eq!(types(&r), vec!["G-single"], "{r:?}");
    assert!(r.anomalies["G-single"][0]
        .explanation
        .iter()
        .any(|l| l.contains("the initial state")));
    // Writes follow reads: T1 read x=1 and wrote 2, T2 read x=2 and wrote 3;
    // T3 read x=1 and y from T2: it anti-depends on T1's 2.
    let h = serial(&[
        (0, json!([["w", "x", 1]])),
        (1, json!([["r", "x", 1], ["w", "x", 2], ["w", "y", 1]])),
        (2, json!([["r", "x", 1], ["r", "y", 1]])),
    ]);
    let r = run(&h, RW, "serializable");
    assert_eq!(types(&r), vec!["G-single"], "{r:?}");
    assert!(r.anomalies["G-single"][0]
        .explanation
        .iter()
        .any(|l| l.contains("read and overwrote with 2")));
    // Upstream's txn-rw-register reports only what the models forbid: a
    // G-single is fine at read-committed, and invalid at serializable.
    let opts = |model: &str| TxnOpts {
        consistency_models: vec![model.into()],
        allowed_anomalies_valid: true,
        ..TxnOpts::default()
    };
    assert_eq!(
        check(&h, RW, &opts("read-committed")).valid,
        Validity::Valid
    );
    assert_eq!(
        check(&h, RW, &opts("serializable")).valid,
        Validity::Invalid
    );
    assert_eq!(run(&h, RW, "read-committed").valid, Validity::Unknown);
}

#[test]
fn budgets_and_bad_input() {
    let h = serial(&[
        (0, json!([["append", "x", 1]])),
        (1, json!([["r", "x", [1]]])),
    ]);
    let zero = TxnOpts {
        budget: Budget::with_time(Duration::ZERO),
        ..TxnOpts::default()
    };
    let r = check(&h, LA, &zero);
    assert_eq!(r.valid, Validity::Unknown);
    assert!(r.reason.unwrap().contains("budget"));
    let tiny = TxnOpts {
        budget: Budget {
            memory_bytes: 1,
            ..Budget::default()
        },
        ..TxnOpts::default()
    };
    assert_eq!(check(&h, LA, &tiny).valid, Validity::Unknown);
    let r = run(&h, LA, "no-such-model");
    assert_eq!(r.valid, Validity::Unknown);
    let garbage = serial(&[(0, json!("nonsense")), (0, json!([["r", "x", 3]]))]);
    let r = run(&garbage, LA, "serializable");
    assert_eq!(r.txn_count, 0);
    assert!(r.reason.unwrap().contains("2 transactions"));
}
