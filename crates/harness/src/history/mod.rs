//! Recording the history of a test, and the exceptions some operations raised.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use maelstrom_check::history::{Op, OpType, NEMESIS};
use maelstrom_proto::Body;
use serde_json::{json, Value};

use crate::clock::Clock;

mod writer;

/// An operation that ended in an exception (e.g. a malformed reply).
#[derive(Debug, Clone, PartialEq)]
pub struct OpException {
    /// A short class, e.g. `"malformed-rpc-response"`.
    pub class: String,
    /// The full message.
    pub message: String,
    /// The index of the completion in the history.
    pub index: u64,
    /// The completion itself.
    pub op: Op,
}

#[derive(Default)]
struct Inner {
    /// The operations not yet handed to the writer (all of them without
    /// one), and the reads among them whose elements are still in their
    /// reply (see [`Completion::OkElements`]): those ops hold `null` until
    /// the history is taken.
    recent: writer::Chunk,
    /// How many operations were handed to the writer before `recent`.
    handed: usize,
    /// Writes history.jsonl as the operations come, if the test keeps it.
    writer: Option<writer::Writer>,
    /// The writer's first error, once it has finished.
    write_error: Option<std::io::Error>,
    /// The verdict of the checker the writer fed, once it has finished.
    checked: Option<crate::workload::CheckOutput>,
    exceptions: Vec<OpException>,
    /// Client completions so far: (ok, info, fail).
    counts: (u64, u64, u64),
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

    /// An empty history that is also written to `path` (history.jsonl) as it
    /// is recorded, on a thread of its own, which feeds `checker` too;
    /// [`History::take_ops`] waits for the last line and the verdict.
    pub fn written_to(
        clock: Clock,
        path: &Path,
        checker: Option<Box<dyn crate::workload::CheckAsItGoes>>,
    ) -> std::io::Result<Self> {
        let history = History::new(clock);
        history.inner.borrow_mut().writer = Some(writer::Writer::start(path, checker)?);
        Ok(history)
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
        let index = (inner.handed + inner.recent.ops.len()) as u64;
        let mut op = Op::new(index, kind, process, &inv.f, value);
        op.time = self.clock.now_ns();
        op.error = error;
        op.final_ = inv.is_final;
        if op.is_client() {
            let (ok, info, fail) = &mut inner.counts;
            match kind {
                OpType::Ok => *ok += 1,
                OpType::Info => *info += 1,
                OpType::Fail => *fail += 1,
                OpType::Invoke => {}
            }
        }
        inner.recent.ops.push(op);
        index
    }

    /// Hands the recent operations to the writer, if there is one and they
    /// fill a chunk. Called after an operation is complete (a read's
    /// elements, too).
    fn hand_over(&self) {
        let mut inner = self.inner.borrow_mut();
        if inner.writer.is_some() && inner.recent.ops.len() >= writer::CHUNK {
            let chunk = std::mem::take(&mut inner.recent);
            inner.handed += chunk.ops.len();
            if let Some(w) = &inner.writer {
                w.write(chunk);
            }
        }
    }

    /// Records an invocation by `process`.
    pub fn invoke(&self, process: i64, inv: &Invocation) {
        self.push(OpType::Invoke, process, inv, inv.value.clone(), None);
        self.hand_over();
    }

    /// Records the completion of `process`'s current invocation.
    pub fn complete(&self, process: i64, inv: &Invocation, c: &Completion) {
        self.record_completion(process, inv, c);
        self.hand_over();
    }

    fn record_completion(&self, process: i64, inv: &Invocation, c: &Completion) {
        match c {
            Completion::Ok(v) => {
                self.push(OpType::Ok, process, inv, v.clone(), None);
            }
            // A copy of the reply shares its fields: no element is copied.
            Completion::OkElements(..) => self.record_owned(process, inv, c.clone()),
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
                    let mut inner = self.inner.borrow_mut();
                    let op = inner.recent.ops.last().cloned();
                    inner.exceptions.extend(op.map(|op| OpException {
                        class: class.clone(),
                        message: message.clone(),
                        index,
                        op,
                    }));
                }
            }
        }
    }

    /// [`History::complete`], taking the completion: an ok value is moved
    /// into the history instead of copied.
    pub fn complete_owned(&self, process: i64, inv: &Invocation, c: Completion) {
        self.record_owned(process, inv, c);
        self.hand_over();
    }

    fn record_owned(&self, process: i64, inv: &Invocation, c: Completion) {
        match c {
            Completion::Ok(v) => {
                self.push(OpType::Ok, process, inv, v, None);
            }
            Completion::OkElements(reply, key) => {
                let index = self.push(OpType::Ok, process, inv, Value::Null, None);
                let pending = (index as usize, reply, key);
                self.inner.borrow_mut().recent.in_replies.push(pending);
            }
            other => self.record_completion(process, inv, &other),
        }
    }

    /// Records a nemesis event (an `info` op, as Jepsen logs them).
    pub fn nemesis(&self, f: &str, value: Value) {
        let inv = Invocation::new(f, value.clone());
        self.push(OpType::Info, NEMESIS, &inv, value, None);
        self.hand_over();
    }

    /// The history as history.jsonl holds it: one operation per line, the
    /// nemesis's with process `"nemesis"` as upstream writes them (readers,
    /// ours included, take any non-numeric process for the nemesis).
    pub fn to_jsonl(ops: &[Op]) -> String {
        let mut out = Vec::new();
        for op in ops {
            Self::line(op, None, &mut out);
        }
        // Only UTF-8 is written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends `op`'s line of history.jsonl, newline included, with
    /// `value` in place of the op's own if given.
    fn line(op: &Op, value: Option<&Value>, line: &mut Vec<u8>) {
        if op.process == NEMESIS {
            let mut v = serde_json::to_value(op).unwrap_or_default();
            if let Some(value) = value {
                v["value"] = value.clone();
            }
            v["process"] = json!("nemesis");
            // Writing a value into memory cannot fail.
            let _ = serde_json::to_writer(&mut *line, &v);
        } else {
            op.write_json_with_value(value.unwrap_or(&op.value), line);
        }
        line.push(b'\n');
    }

    /// Every operation, moved out (the history is empty afterwards): for the
    /// analysis once the test is over, without copying what may be megabytes
    /// of read results. Take [`History::exceptions_json`] first. With a
    /// writer, waits for history.jsonl's last line first; its error, if any,
    /// is then [`History::take_write_error`]'s.
    pub fn take_ops(&self) -> Vec<Op> {
        let mut inner = self.inner.borrow_mut();
        let recent = std::mem::take(&mut inner.recent);
        let mut chunks = Vec::new();
        if let Some(w) = inner.writer.take() {
            w.write(recent);
            let written = w.finish();
            inner.write_error = written.result.err();
            inner.checked = written.checked;
            chunks = written.chunks;
        } else {
            chunks.push(recent);
        }
        inner.handed = 0;
        let mut ops = Vec::with_capacity(chunks.iter().map(|c| c.ops.len()).sum());
        let mut in_replies = Vec::new();
        for chunk in chunks {
            ops.extend(chunk.ops);
            in_replies.extend(chunk.in_replies);
        }
        // Once the journal has written every message, nothing else shares
        // the replies, and their elements are moved, not copied.
        for (index, mut reply, key) in in_replies {
            ops[index].value = take_elements(&mut reply, key);
        }
        ops
    }

    /// The error that stopped history.jsonl's writer, once
    /// [`History::take_ops`] has waited for it.
    pub fn take_write_error(&self) -> Option<std::io::Error> {
        self.inner.borrow_mut().write_error.take()
    }

    /// The verdict of the checker fed as the history was written, once
    /// [`History::take_ops`] has waited for it.
    pub fn take_checked(&self) -> Option<crate::workload::CheckOutput> {
        self.inner.borrow_mut().checked.take()
    }

    /// Counts of client completions so far: (ok, info, fail).
    pub fn completion_counts(&self) -> (u64, u64, u64) {
        self.inner.borrow().counts
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
                json!({"class": class, "count": count, "example": {"op": e.op, "message": e.message}})
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
        // Taken while the journal's copy shares the first reply: copied.
        let taken = h.take_ops();
        assert_eq!(taken[1].value, json!([3, 1, 2]));
        assert_eq!(taken[3].value, json!([]));
        assert_eq!(taken[5].value, json!([]));
        assert_eq!(journal_copy.get("messages"), Some(&json!([3, 1, 2])));
        assert!(h.take_ops().is_empty());
    }

    /// A history written as it is recorded gives the same file, the same
    /// operations and the same counts and exceptions as one kept in memory,
    /// across several chunks and with reads whose elements are in replies;
    /// the checker fed as it was written gives the workload's verdict.
    #[test]
    fn a_history_written_as_it_goes_matches_one_kept_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let cfg = crate::TestConfig::new("g-set", crate::NodeProgram::default());
        let workload = crate::workload::by_name("g-set", &cfg).unwrap();
        let checker = workload.checker_as_it_goes();
        let written = History::written_to(Clock::start(), &path, checker).unwrap();
        let kept = History::new(Clock::start());
        let read = Invocation::new("read", Value::Null);
        for i in 0..(3 * writer::CHUNK as i64 + 5) {
            for h in [&written, &kept] {
                let add = Invocation::new("add", json!(i));
                h.invoke(i % 4, &add);
                match i % 5 {
                    0 => h.complete(i % 4, &add, &Completion::Ok(json!(i))),
                    1 => {
                        let exc = Some(("malformed".to_string(), format!("op {i}")));
                        h.complete(i % 4, &add, &Completion::Info(json!("timeout"), exc));
                    }
                    2 => h.complete(i % 4, &add, &Completion::Fail(json!("nope"))),
                    _ => {
                        h.invoke(i % 4, &read);
                        let reply = Body::new("read_ok").with("messages", json!([i, i + 1]));
                        h.complete_owned(i % 4, &read, Completion::OkElements(reply, "messages"));
                    }
                }
                if i % 50 == 0 {
                    h.nemesis("start-partition", json!({"i": i}));
                }
            }
        }
        assert_eq!(written.completion_counts(), kept.completion_counts());
        let without_time = |mut v: Value| {
            v["exceptions"][0]["example"]["op"]["time"] = json!(0);
            v
        };
        assert_eq!(
            without_time(written.exceptions_json()),
            without_time(kept.exceptions_json())
        );
        let mut ops = written.take_ops();
        assert!(written.take_write_error().is_none());
        let checked = written.take_checked().expect("a g-set checks as it goes");
        assert_eq!(checked, workload.check(&ops));
        assert_eq!(
            checked.details["attempt-count"],
            json!(3 * writer::CHUNK + 5)
        );
        let mut expected = kept.take_ops();
        // The two clocks differ; nothing else may.
        for op in ops.iter_mut().chain(expected.iter_mut()) {
            op.time = 0;
        }
        assert_eq!(ops, expected);
        assert!(ops.len() > 3 * writer::CHUNK);
        let file = std::fs::read_to_string(&path).unwrap();
        let reread = maelstrom_check::history::parse_jsonl(&file).unwrap();
        assert_eq!(reread.len(), ops.len());
        for (a, b) in reread.iter().zip(&ops) {
            assert_eq!(
                (a.index, a.kind, &a.value, a.process),
                (b.index, b.kind, &b.value, b.process)
            );
        }
        let exceptions = kept.exceptions_json();
        assert_eq!(exceptions["exceptions"][0]["count"], json!(78));
        assert_eq!(
            exceptions["exceptions"][0]["example"]["op"]["index"],
            json!(4)
        );
    }

    #[test]
    fn nemesis_operations_are_written_with_upstreams_process_name() {
        let h = History::new(Clock::start());
        h.invoke(0, &Invocation::new("read", Value::Null));
        h.nemesis("start-partition", json!("majority"));
        let recorded = h.take_ops();
        let text = History::to_jsonl(&recorded);
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
        assert_eq!(ops, recorded);
    }
}
