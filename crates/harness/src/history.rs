//! Recording the history of a test, and the exceptions some operations raised.

use std::cell::RefCell;
use std::rc::Rc;

use maelstrom_check::history::{Op, OpType, NEMESIS};
use maelstrom_proto::Body;
use serde_json::{json, Value};

use crate::clock::Clock;

/// An operation that ended in an exception (e.g. a malformed reply).
#[derive(Debug, Clone, PartialEq)]
pub struct OpException {
    /// A short class, e.g. `"malformed-rpc-response"`.
    pub class: String,
    /// The full message.
    pub message: String,
    /// The index of the completion in the history.
    pub index: u64,
}

#[derive(Default)]
struct Inner {
    ops: Vec<Op>,
    exceptions: Vec<OpException>,
    /// Ok reads whose elements are still in their reply (see
    /// [`Completion::OkElements`]): the op's index, the reply and the key.
    /// Their ops hold `null` until the history is taken.
    in_replies: Vec<(usize, Body, &'static str)>,
}

/// The shared, append-only history of a test.
#[derive(Clone)]
pub struct History {
    clock: Clock,
    inner: Rc<RefCell<Inner>>,
}

/// An invocation: what a worker or the nemesis is about to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The function, e.g. `"read"`.
    pub f: String,
    /// Its argument.
    pub value: Value,
    /// Part of the final phase.
    pub is_final: bool,
}

impl Invocation {
    /// A main-phase invocation.
    pub fn new(f: &str, value: Value) -> Self {
        Invocation {
            f: f.to_string(),
            value,
            is_final: false,
        }
    }

    /// The same invocation marked final.
    pub fn final_(mut self) -> Self {
        self.is_final = true;
        self
    }
}

/// How an operation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Completion {
    /// It happened; the result value.
    Ok(Value),
    /// It definitely did not happen.
    Fail(Value),
    /// Unknown; the error, and the exception if one was raised.
    Info(Value, Option<(String, String)>),
    /// It happened, and returned the elements under `key` in `reply` (an
    /// absent or non-array field reads as none). They stay in the reply
    /// until the history is taken: the message journal shares the reply's
    /// fields until it has written them, and taking a read's thousands of
    /// elements out before then would copy them.
    OkElements(Body, &'static str),
}

impl Completion {
    /// The result of an ok completion, borrowed or copied out of its reply.
    pub fn ok_value(&self) -> Option<std::borrow::Cow<'_, Value>> {
        match self {
            Completion::Ok(v) => Some(std::borrow::Cow::Borrowed(v)),
            Completion::OkElements(body, key) => Some(match body.get(key) {
                Some(v @ Value::Array(_)) => std::borrow::Cow::Borrowed(v),
                _ => std::borrow::Cow::Owned(Value::Array(Vec::new())),
            }),
            Completion::Fail(_) | Completion::Info(..) => None,
        }
    }
}

/// The elements under `key` in `reply`, moved out when nothing else shares
/// the reply's fields; an absent or non-array field reads as none.
fn take_elements(reply: &mut Body, key: &str) -> Value {
    match reply.take(key) {
        Some(Value::Array(a)) => Value::Array(a),
        _ => Value::Array(Vec::new()),
    }
}

impl History {
    /// An empty history timed by `clock`.
    pub fn new(clock: Clock) -> Self {
        History {
            clock,
            inner: Rc::default(),
        }
    }

    fn push(
        &self,
        kind: OpType,
        process: i64,
        inv: &Invocation,
        value: Value,
        error: Option<Value>,
    ) -> u64 {
        let mut inner = self.inner.borrow_mut();
        let index = inner.ops.len() as u64;
        let mut op = Op::new(index, kind, process, &inv.f, value);
        op.time = self.clock.now_ns();
        op.error = error;
        op.final_ = inv.is_final;
        inner.ops.push(op);
        index
    }

    /// Records an invocation by `process`.
    pub fn invoke(&self, process: i64, inv: &Invocation) {
        self.push(OpType::Invoke, process, inv, inv.value.clone(), None);
    }

    /// Records the completion of `process`'s current invocation.
    pub fn complete(&self, process: i64, inv: &Invocation, c: &Completion) {
        match c {
            Completion::Ok(v) => {
                self.push(OpType::Ok, process, inv, v.clone(), None);
            }
            // A copy of the reply shares its fields: no element is copied.
            Completion::OkElements(..) => self.complete_owned(process, inv, c.clone()),
            Completion::Fail(e) => {
                self.push(
                    OpType::Fail,
                    process,
                    inv,
                    inv.value.clone(),
                    Some(e.clone()),
                );
            }
            Completion::Info(e, exc) => {
                let index = self.push(
                    OpType::Info,
                    process,
                    inv,
                    inv.value.clone(),
                    Some(e.clone()),
                );
                if let Some((class, message)) = exc {
                    self.inner.borrow_mut().exceptions.push(OpException {
                        class: class.clone(),
                        message: message.clone(),
                        index,
                    });
                }
            }
        }
    }

    /// [`History::complete`], taking the completion: an ok value is moved
    /// into the history instead of copied.
    pub fn complete_owned(&self, process: i64, inv: &Invocation, c: Completion) {
        match c {
            Completion::Ok(v) => {
                self.push(OpType::Ok, process, inv, v, None);
            }
            Completion::OkElements(reply, key) => {
                let index = self.push(OpType::Ok, process, inv, Value::Null, None);
                let pending = (index as usize, reply, key);
                self.inner.borrow_mut().in_replies.push(pending);
            }
            other => self.complete(process, inv, &other),
        }
    }

    /// Records a nemesis event (an `info` op, as Jepsen logs them).
    pub fn nemesis(&self, f: &str, value: Value) {
        let inv = Invocation::new(f, value.clone());
        self.push(OpType::Info, NEMESIS, &inv, value, None);
    }

    /// The history as history.jsonl holds it: one operation per line, the
    /// nemesis's with process `"nemesis"` as upstream writes them (readers,
    /// ours included, take any non-numeric process for the nemesis).
    pub fn to_jsonl(ops: &[Op]) -> String {
        let mut out = Vec::new();
        for op in ops {
            // Writing to memory cannot fail.
            let _ = Self::write_jsonl_line(&mut out, op);
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes one line of [`History::to_jsonl`] to `out`, streamed.
    pub fn write_jsonl_line<W: std::io::Write>(out: &mut W, op: &Op) -> std::io::Result<()> {
        if op.process == NEMESIS {
            let mut v = serde_json::to_value(op)?;
            v["process"] = json!("nemesis");
            serde_json::to_writer(&mut *out, &v)?;
            out.write_all(b"\n")
        } else {
            // One write per line: `Op::write_json` fills a buffer faster
            // than serde's serializer writes through `out`.
            let mut line = Vec::with_capacity(256);
            op.write_json(&mut line);
            line.push(b'\n');
            out.write_all(&line)
        }
    }

    /// A copy of every operation so far.
    pub fn ops(&self) -> Vec<Op> {
        let inner = self.inner.borrow();
        let mut ops = inner.ops.clone();
        for (index, reply, key) in &inner.in_replies {
            ops[*index].value = take_elements(&mut reply.clone(), key);
        }
        ops
    }

    /// Every operation, moved out (the history is empty afterwards): for the
    /// analysis once the test is over, without copying what may be megabytes
    /// of read results. Take [`History::exceptions_json`] first.
    pub fn take_ops(&self) -> Vec<Op> {
        let mut inner = self.inner.borrow_mut();
        let mut ops = std::mem::take(&mut inner.ops);
        // Once the journal has written every message, nothing else shares
        // the replies, and their elements are moved, not copied.
        for (index, mut reply, key) in std::mem::take(&mut inner.in_replies) {
            ops[index].value = take_elements(&mut reply, key);
        }
        ops
    }

    /// Counts of client completions so far: (ok, info, fail).
    pub fn completion_counts(&self) -> (u64, u64, u64) {
        let inner = self.inner.borrow();
        let (mut ok, mut info, mut fail) = (0, 0, 0);
        for op in inner.ops.iter().filter(|o| o.is_client()) {
            match op.kind {
                OpType::Ok => ok += 1,
                OpType::Info => info += 1,
                OpType::Fail => fail += 1,
                OpType::Invoke => {}
            }
        }
        (ok, info, fail)
    }

    /// The `exceptions` section of results.json: grouped by class.
    pub fn exceptions_json(&self) -> Value {
        let inner = self.inner.borrow();
        let mut groups: std::collections::BTreeMap<&str, (u64, &OpException)> = Default::default();
        for e in &inner.exceptions {
            groups.entry(&e.class).or_insert((0, e)).0 += 1;
        }
        let list: Vec<Value> = groups
            .iter()
            .map(|(class, (count, e))| {
                let op = inner.ops.get(e.index as usize);
                json!({"class": class, "count": count, "example": {"op": op, "message": e.message}})
            })
            .collect();
        if list.is_empty() {
            json!({"valid": true})
        } else {
            json!({"valid": true, "exceptions": list})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read's elements left in its reply are the op's value once the
    /// history is copied or taken: moved when the reply is no longer shared,
    /// copied while it is, and none for a field that is not an array.
    #[test]
    fn elements_left_in_replies_become_the_ops_values() {
        let h = History::new(Clock::start());
        let read = Invocation::new("read", Value::Null);
        let reply = Body::new("read_ok").with("messages", json!([3, 1, 2]));
        let journal_copy = reply.clone();
        h.invoke(0, &read);
        h.complete_owned(0, &read, Completion::OkElements(reply, "messages"));
        h.invoke(1, &read);
        let final_read = Completion::OkElements(Body::new("read_ok"), "messages");
        assert_eq!(final_read.ok_value().unwrap().as_ref(), &json!([]));
        h.complete(1, &read, &final_read);
        h.invoke(2, &read);
        let odd = Body::new("read_ok").with("messages", json!("not a list"));
        h.complete_owned(2, &read, Completion::OkElements(odd, "messages"));
        let copied = h.ops();
        assert_eq!(copied[1].value, json!([3, 1, 2]));
        assert_eq!(copied[3].value, json!([]));
        assert_eq!(copied[5].value, json!([]));
        let taken = h.take_ops();
        assert_eq!(taken, copied);
        // The journal's copy still has its elements.
        assert_eq!(journal_copy.get("messages"), Some(&json!([3, 1, 2])));
        assert!(h.take_ops().is_empty());
    }

    #[test]
    fn nemesis_operations_are_written_with_upstreams_process_name() {
        let h = History::new(Clock::start());
        h.invoke(0, &Invocation::new("read", Value::Null));
        h.nemesis("start-partition", json!("majority"));
        let text = History::to_jsonl(&h.ops());
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["process"], json!(0));
        assert_eq!(lines[1]["process"], json!("nemesis"));
        // The checkers' reader takes it back as the nemesis.
        let ops = maelstrom_check::history::parse_jsonl(&text).unwrap();
        assert_eq!(ops[1].process, NEMESIS);
        assert!(!ops[1].is_client());
        assert_eq!(ops, h.ops());
    }
}
