//! Kafka checker tests with small literal histories.

use super::*;
use crate::history::OpType::{self, *};
use serde_json::json;

#[derive(Default)]
struct H(Vec<Op>);

impl H {
    fn op(&mut self, p: i64, f: &str, inv: Value, kind: OpType, out: Value) -> &mut Self {
        self.0.push(Op::new(self.0.len() as u64, Invoke, p, f, inv));
        self.0.push(Op::new(self.0.len() as u64, kind, p, f, out));
        self
    }
    fn send(&mut self, p: i64, k: &str, m: i64, o: i64) -> &mut Self {
        self.op(
            p,
            "send",
            json!([["send", k, m]]),
            Ok,
            json!([["send", k, [o, m]]]),
        )
    }
    fn poll(&mut self, p: i64, got: Value) -> &mut Self {
        self.op(p, "poll", json!([["poll"]]), Ok, json!([["poll", got]]))
    }
}

fn run(h: &H) -> KafkaResult {
    check(&h.0, &KafkaOpts::default())
}

#[test]
fn clean_history_is_valid() {
    let mut h = H::default();
    h.send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .send(1, "b", 7, 0)
        .poll(2, json!({"a": [[0, 1]]}))
        .poll(2, json!({"a": [[1, 2]], "b": [[0, 7]]}))
        .op(3, "crash", json!(null), Info, json!(null));
    let r = run(&h);
    assert_eq!(r.valid, Validity::Valid, "{r:?}");
    assert!(r.error_types.is_empty());
}

#[test]
fn lost_write_and_unseen() {
    let mut h = H::default();
    h.send(0, "a", 1, 0).send(0, "a", 2, 1).send(0, "a", 3, 2);
    h.poll(1, json!({"a": [[0, 1], [1, 2]]}));
    h.send(0, "a", 4, 3).poll(1, json!({"a": [[3, 4]]}));
    let r = run(&h);
    assert_eq!(r.valid, Validity::Invalid);
    assert_eq!(r.errors["lost-write"].count, 1);
    assert_eq!(r.errors["lost-write"].errs[0]["msg"], json!(3));
    assert!(r.bad_error_types.contains(&"poll-skip".to_string()));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["lost-write"]["count"], json!(1));
    assert_eq!(v["valid"], json!(false));

    let mut h = H::default();
    h.send(0, "a", 1, 0)
        .send(0, "a", 2, 1)
        .poll(1, json!({"a": [[0, 1]]}));
    let r = run(&h);
    assert_eq!(r.error_types, vec!["unseen".to_string()]);
}

#[test]
fn skips_and_nonmonotonic_polls() {
    let mut h = H::default();
    h.send(0, "a", 1, 0).send(0, "a", 2, 1).send(0, "a", 3, 2);
    h.poll(1, json!({"a": [[0, 1], [2, 3]]}));
    h.poll(1, json!({"a": [[1, 2]]}));
    let r = run(&h);
    assert_eq!(r.errors["int-poll-skip"].count, 1);
    assert_eq!(r.errors["nonmonotonic-poll"].count, 1);
    // An assign that drops a key resets the process's position on it.
    let mut h = H::default();
    h.send(0, "a", 1, 0).send(0, "a", 2, 1);
    h.poll(1, json!({"a": [[0, 1], [1, 2]]}));
    h.op(1, "assign", json!(["b"]), Ok, json!(["b"]));
    h.op(1, "assign", json!(["a"]), Ok, json!(["a"]));
    h.poll(1, json!({"a": [[0, 1], [1, 2]]}));
    assert_eq!(run(&h).valid, Validity::Valid);
}

#[test]
fn assign_keeps_positions_of_retained_keys() {
    let mut h = H::default();
    h.send(0, "a", 1, 0).send(0, "a", 2, 1).send(0, "b", 3, 0);
    h.poll(1, json!({"a": [[0, 1], [1, 2]], "b": [[0, 3]]}));
    // A failed assign changes nothing; an ok one keeps a, drops b.
    h.op(1, "assign", json!(["b"]), Fail, json!(["b"]));
    h.op(1, "assign", json!(["a", "c"]), Ok, json!(["a", "c"]));
    h.poll(1, json!({"a": [[0, 1]], "b": [[0, 3]]}));
    let r = run(&h);
    let e = &r.errors["nonmonotonic-poll"];
    assert_eq!(e.count, 1, "{r:?}");
    assert_eq!(e.errs[0]["key"], "a");
    // A crash ends the client: its next poll may start anywhere.
    let mut h = H::default();
    h.send(0, "a", 1, 0).send(0, "a", 2, 1);
    h.poll(1, json!({"a": [[0, 1], [1, 2]]}));
    h.op(1, "crash", json!(null), Info, json!(null));
    h.poll(1, json!({"a": [[0, 1]]}));
    assert_eq!(run(&h).valid, Validity::Valid);
}

#[test]
fn inconsistent_duplicate_and_sends() {
    let mut h = H::default();
    h.send(0, "a", 1, 0).send(0, "a", 2, 0).send(0, "a", 1, 5);
    h.poll(1, json!({"a": [[0, 1], [5, 1]]}));
    let r = run(&h);
    assert!(r.errors.contains_key("inconsistent-offsets"));
    assert!(r.errors.contains_key("duplicate"));
    assert!(r.errors.contains_key("nonmonotonic-send"));
    assert_eq!(r.valid, Validity::Invalid);
}

#[test]
fn aborted_read_and_garbage() {
    let mut h = H::default();
    h.op(0, "send", json!([["send", "a", 9]]), Fail, json!(null));
    h.poll(1, json!({"a": [[0, 9]]}));
    h.op(2, "poll", json!(5), Ok, json!("garbage"));
    let r = run(&h);
    assert_eq!(r.errors["G1a"].count, 1);
}

#[test]
fn reports_worst_lag_and_info_causes() {
    let mut h = H::default();
    h.send(0, "a", 1, 0).send(0, "a", 2, 1);
    // Op::new stamps time = index: the poll is invoked at 4, while offset 1
    // was known from 3 (the second send's completion).
    h.poll(1, json!({"a": [[0, 1]]}));
    h.op(2, "send", json!([["send", "a", 3]]), Info, json!(null));
    if let Some(last) = h.0.last_mut() {
        last.error = Some(json!("net-timeout"));
    }
    h.op(2, "poll", json!([["poll"]]), Info, json!(null));
    let r = run(&h);
    assert_eq!(r.worst_realtime_lag.lag, 1e-9);
    assert_eq!(r.worst_realtime_lag.key.as_deref(), Some("a"));
    assert_eq!(r.info_txn_causes, vec![json!("net-timeout"), Value::Null]);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["worst-realtime-lag"]["process"], 1);
    assert_eq!(v["info-txn-causes"][0], "net-timeout");
}
