//! Unit tests with small literal histories.

use super::*;
use crate::history::OpType::{self, *};
use serde_json::{json, Value};

struct H(Vec<Op>);

impl H {
    fn new() -> Self {
        H(Vec::new())
    }
    fn op(&mut self, kind: OpType, p: i64, f: &str, v: Value) -> &mut Self {
        self.0.push(Op::new(self.0.len() as u64, kind, p, f, v));
        self
    }
}

fn run(h: &H, m: ModelKind) -> LinResult {
    check(&h.0, m, &LinOpts::default())
}

#[test]
fn sequential_register_is_linearizable() {
    let mut h = H::new();
    h.op(Invoke, 0, "read", json!([0, null]))
        .op(Ok, 0, "read", json!([0, null]))
        .op(Invoke, 0, "write", json!([0, 1]))
        .op(Ok, 0, "write", json!([0, 1]))
        .op(Invoke, 1, "cas", json!([0, [1, 2]]))
        .op(Ok, 1, "cas", json!([0, [1, 2]]))
        .op(Invoke, 1, "read", json!([0, null]))
        .op(Ok, 1, "read", json!([0, 2]));
    let r = run(&h, ModelKind::CasRegister);
    assert_eq!(r.valid, Validity::Valid, "{r:?}");
    assert_eq!(r.key_count, 1);
}

#[test]
fn concurrent_write_may_be_seen_either_way() {
    let mut h = H::new();
    h.op(Invoke, 0, "write", json!(["k", 1]))
        .op(Invoke, 1, "read", json!(["k", null]))
        .op(Ok, 1, "read", json!(["k", 1]))
        .op(Invoke, 2, "read", json!(["k", null]))
        .op(Ok, 2, "read", json!(["k", null]));
    // The second read returns after the first saw 1: not linearizable.
    let r = run(&h, ModelKind::Register);
    assert_eq!(r.valid, Validity::Invalid);
    let e = r.results["k"].explanation.as_ref().unwrap();
    assert_eq!(e.blocking_op.as_ref().unwrap().index, 3);
    assert_eq!(r.failures, vec!["k".to_string()]);
}

#[test]
fn info_write_may_never_happen() {
    let mut h = H::new();
    h.op(Invoke, 0, "write", json!([0, 1]))
        .op(Info, 0, "write", json!([0, 1]))
        .op(Invoke, 1, "read", json!([0, null]))
        .op(Ok, 1, "read", json!([0, null]))
        .op(Invoke, 2, "read", json!([0, null]))
        .op(Ok, 2, "read", json!([0, 1]));
    assert_eq!(run(&h, ModelKind::CasRegister).valid, Validity::Valid);
    // ... but not flip back.
    h.op(Invoke, 3, "read", json!([0, null]))
        .op(Ok, 3, "read", json!([0, null]));
    assert_eq!(run(&h, ModelKind::CasRegister).valid, Validity::Invalid);
}

#[test]
fn failed_ops_are_dropped_and_keys_are_independent() {
    let mut h = H::new();
    h.op(Invoke, 0, "cas", json!([1, [3, 4]]))
        .op(Fail, 0, "cas", json!([1, [3, 4]]))
        .op(Invoke, 0, "write", json!([2, 7]))
        .op(Ok, 0, "write", json!([2, 7]))
        .op(Invoke, 1, "read", json!([1, null]))
        .op(Ok, 1, "read", json!([1, null]))
        .op(Invoke, 1, "read", json!([2, null]))
        .op(Ok, 1, "read", json!([2, 8]));
    let r = run(&h, ModelKind::CasRegister);
    assert_eq!(r.valid, Validity::Invalid);
    assert_eq!(r.results["1"].valid, Validity::Valid);
    assert_eq!(r.failures, vec!["2".to_string()]);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v["results"]["2"]["explanation"]["blocking-op"]["index"],
        json!(6)
    );
}

#[test]
fn kv_append() {
    let mut h = H::new();
    h.op(Invoke, 0, "append", json!(["x", "a"]))
        .op(Invoke, 1, "append", json!(["x", "b"]))
        .op(Ok, 0, "append", json!(["x", "a"]))
        .op(Ok, 1, "append", json!(["x", "b"]))
        .op(Invoke, 0, "get", json!(["x", null]))
        .op(Ok, 0, "get", json!(["x", "ba"]));
    assert_eq!(run(&h, ModelKind::KvRegister).valid, Validity::Valid);
    h.op(Invoke, 0, "put", json!(["x", "z"]))
        .op(Ok, 0, "put", json!(["x", "z"]))
        .op(Invoke, 0, "get", json!(["x", null]))
        .op(Ok, 0, "get", json!(["x", "ba"]));
    assert_eq!(run(&h, ModelKind::KvRegister).valid, Validity::Invalid);
}

#[test]
fn malformed_history_is_unknown() {
    let mut h = H::new();
    h.op(Invoke, 0, "read", json!(5))
        .op(Ok, 0, "read", json!(5));
    let r = run(&h, ModelKind::CasRegister);
    assert_eq!(r.valid, Validity::Unknown);
    assert!(r.reason.unwrap().contains("expected [key, value]"));
    let mut h = H::new();
    h.op(Invoke, 0, "cas", json!([0, [1, 2]]));
    assert_eq!(run(&h, ModelKind::Register).valid, Validity::Unknown);
}

#[test]
fn budget_exhaustion_is_unknown() {
    // Many concurrent writes and one impossible read: exponential without memo
    // help; a zero time budget must give up.
    let mut h = H::new();
    for p in 0..20 {
        h.op(Invoke, p, "write", json!([0, p]));
    }
    h.op(Invoke, 99, "read", json!([0, null]))
        .op(Ok, 99, "read", json!([0, 1000]));
    let opts = LinOpts {
        budget: Budget::with_time(std::time::Duration::ZERO),
        ..LinOpts::default()
    };
    let r = check(&h.0, ModelKind::CasRegister, &opts);
    assert_eq!(r.valid, Validity::Unknown, "{r:?}");
}

/// A model written to the public contract: `take(v)` needs the state to be
/// `v` and empties it; `may_reach` answers "not reachable" exactly when no
/// `put(v)` is among the others and the state is not `v`.
#[derive(Clone)]
struct Slot;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum SlotOp {
    Put(i64),
    Take(i64),
}

impl Model for Slot {
    type State = i64;
    type Op = SlotOp;
    fn init(&mut self) -> i64 {
        0
    }
    fn step(&mut self, &s: &i64, op: &SlotOp) -> Option<i64> {
        match *op {
            SlotOp::Put(v) => Some(v),
            SlotOp::Take(v) => (s == v).then_some(0),
        }
    }
    fn is_read_only(&self, _op: &SlotOp) -> bool {
        false
    }
    fn may_reach(&mut self, &s: &i64, target: &SlotOp, others: &[&SlotOp]) -> bool {
        match *target {
            SlotOp::Put(_) => true,
            SlotOp::Take(v) => s == v || others.iter().any(|o| **o == SlotOp::Put(v)),
        }
    }
    fn describe_state(&self, s: &i64) -> Value {
        json!(s)
    }
    fn describe_op(&self, op: &SlotOp) -> Value {
        json!(format!("{op:?}"))
    }
}

/// An op that never returned and could never have taken effect does not
/// make a history invalid: it may simply never have happened.
#[test]
fn lookahead_ignores_an_unreachable_op_that_never_returned() {
    let op = |op, call, ret| Operation {
        op,
        call,
        ret,
        index: call,
    };
    let part = |ops| Partition {
        key: "slot".into(),
        model: Slot,
        ops,
    };
    let opts = LinOpts::default();
    // put(1) ok; take(5) invoked concurrently, never returned.
    let ok = part(vec![
        op(SlotOp::Put(1), 0, Some(2)),
        op(SlotOp::Take(5), 1, None),
    ]);
    assert_eq!(check_partitions(vec![ok], &opts).valid, Validity::Valid);
    // The same with take(5) returning ok: now it must have happened, and
    // cannot have.
    let bad = part(vec![
        op(SlotOp::Put(1), 0, Some(2)),
        op(SlotOp::Take(5), 1, Some(3)),
    ]);
    assert_eq!(check_partitions(vec![bad], &opts).valid, Validity::Invalid);
}

#[test]
fn null_read_of_a_written_key_is_explained_in_words() {
    let mut h = H::new();
    h.op(Invoke, 0, "read", json!(["k", null]))
        .op(Ok, 0, "read", json!(["k", null]))
        .op(Invoke, 0, "write", json!(["k", 3]))
        .op(Ok, 0, "write", json!(["k", 3]))
        .op(Invoke, 4, "read", json!(["k", null]))
        .op(Ok, 4, "read", json!(["k", null]));
    let r = run(&h, ModelKind::CasRegister);
    assert_eq!(r.valid, Validity::Invalid, "{r:?}");
    let e = r.results["k"].explanation.as_ref().unwrap();
    let n = e.null_read.as_ref().expect("a null-read explanation");
    assert_eq!((n.index, n.process, n.key.as_str()), (4, 4, "k"));
    assert_eq!(n.held, json!(3));
    for words in [
        "Read 4 by process 4 of key k returned null",
        "held 3",
        "error 20 (key-does-not-exist)",
        "Upstream Maelstrom's checker would not have caught this",
    ] {
        assert!(n.text.contains(words), "{words:?} not in {}", n.text);
    }
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["results"]["k"]["explanation"]["null-read"]["process"],
        4
    );
}

#[test]
fn only_null_reads_get_the_null_read_explanation() {
    // A null read of a key never written is fine (the register starts empty).
    let mut h = H::new();
    h.op(Invoke, 0, "read", json!([0, null]))
        .op(Ok, 0, "read", json!([0, null]));
    assert_eq!(run(&h, ModelKind::CasRegister).valid, Validity::Valid);
    // A stale non-null read fails without it.
    let mut h = H::new();
    h.op(Invoke, 0, "write", json!([0, 1]))
        .op(Ok, 0, "write", json!([0, 1]))
        .op(Invoke, 0, "write", json!([0, 2]))
        .op(Ok, 0, "write", json!([0, 2]))
        .op(Invoke, 1, "read", json!([0, null]))
        .op(Ok, 1, "read", json!([0, 1]));
    let r = run(&h, ModelKind::CasRegister);
    assert_eq!(r.valid, Validity::Invalid);
    let e = r.results["0"].explanation.as_ref().unwrap();
    assert_eq!(e.blocking_op.as_ref().unwrap().index, 4);
    assert!(e.null_read.is_none(), "{e:?}");
}

#[test]
fn initial_values_start_every_key() {
    let h = crate::history::parse_jsonl(
        r#"{"index":0,"type":"invoke","f":"read","value":["a",null],"process":0}
{"index":1,"type":"ok","f":"read","value":["a",0],"process":0}
{"index":2,"type":"invoke","f":"get","value":["b",null],"process":1}
{"index":3,"type":"ok","f":"get","value":["b","x"],"process":1}"#,
    )
    .unwrap();
    let reg = &h[..2];
    assert_eq!(
        check(reg, ModelKind::CasRegister, &LinOpts::default()).valid,
        Validity::Invalid
    );
    let zero = LinOpts {
        initial_value: Some(serde_json::json!(0)),
        ..LinOpts::default()
    };
    assert_eq!(
        check(reg, ModelKind::CasRegister, &zero).valid,
        Validity::Valid
    );
    let kv = &h[2..];
    assert_eq!(
        check(kv, ModelKind::KvRegister, &LinOpts::default()).valid,
        Validity::Invalid
    );
    let x = LinOpts {
        initial_value: Some(serde_json::json!("x")),
        ..LinOpts::default()
    };
    assert_eq!(check(kv, ModelKind::KvRegister, &x).valid, Validity::Valid);
}
