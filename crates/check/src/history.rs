//! The history model: operations as the harness records them (`history.jsonl`).

use maelstrom_proto::json_out::{write_i64, write_u64, write_value};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The process number used for the nemesis (and any non-client process).
pub const NEMESIS: i64 = -1;

/// The type of an operation: an invocation or one of its three completions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpType {
    /// The operation started.
    Invoke,
    /// The operation definitely happened.
    Ok,
    /// The operation definitely did not happen.
    Fail,
    /// The outcome is unknown: it may have happened, at any time after its
    /// invocation, or never.
    Info,
}

/// One line of a history: an invocation or a completion.
///
/// Serialised as one JSON object per line with the keys `index`, `type`
/// (`"invoke"|"ok"|"fail"|"info"`), `f`, `value`, `process`, `time`
/// (nanoseconds since the test started) and, when present, `error` and `final`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    /// Position in the history (0, 1, 2, ...).
    #[serde(default)]
    pub index: u64,
    /// Invocation or completion.
    #[serde(rename = "type")]
    pub kind: OpType,
    /// The function, e.g. `"read"`, `"add"`, `"send"`.
    pub f: String,
    /// The argument (invocations) or result (completions).
    #[serde(default)]
    pub value: Value,
    /// The logical process (client thread); the nemesis is [`NEMESIS`].
    #[serde(deserialize_with = "de_process")]
    pub process: i64,
    /// Nanoseconds since the start of the test.
    #[serde(default)]
    pub time: u64,
    /// The error of a failed or indeterminate operation, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// True for operations of the final phase (e.g. final reads).
    #[serde(rename = "final", default, skip_serializing_if = "is_false")]
    pub final_: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn de_process<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| serde::de::Error::custom(format!("bad process number {n}"))),
        Value::String(_) | Value::Null => Ok(NEMESIS),
        other => Err(serde::de::Error::custom(format!("bad process {other}"))),
    }
}

impl Op {
    /// Builds an operation with an empty error and `final = false`.
    pub fn new(index: u64, kind: OpType, process: i64, f: &str, value: Value) -> Self {
        Op {
            index,
            kind,
            f: f.to_string(),
            value,
            process,
            time: index,
            error: None,
            final_: false,
        }
    }

    /// Appends this operation as one line of JSON, without the newline: the
    /// same bytes as `serde_json::to_writer(out, self)`, written directly.
    ///
    /// Most of a history's bytes are the integers of read results, which
    /// [`maelstrom_proto::json_out`] writes into `out` directly instead of through the
    /// serializer (a broadcast test's history.jsonl took twice the
    /// instructions).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        self.write_json_with_value(&self.value, out);
    }

    /// [`Op::write_json`] with `value` in place of the op's own: for a
    /// writer that has the value elsewhere and should not copy it in.
    pub fn write_json_with_value(&self, value: &Value, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"index\":");
        write_u64(out, self.index);
        out.extend_from_slice(b",\"type\":\"");
        out.extend_from_slice(self.kind.name().as_bytes());
        out.extend_from_slice(b"\",\"f\":");
        push_serde(out, &self.f);
        out.extend_from_slice(b",\"value\":");
        write_value(out, value);
        out.extend_from_slice(b",\"process\":");
        write_i64(out, self.process);
        out.extend_from_slice(b",\"time\":");
        write_u64(out, self.time);
        if let Some(error) = &self.error {
            out.extend_from_slice(b",\"error\":");
            write_value(out, error);
        }
        if self.final_ {
            out.extend_from_slice(b",\"final\":true");
        }
        out.push(b'}');
    }

    /// True for operations of client processes (not the nemesis).
    #[must_use]
    pub fn is_client(&self) -> bool {
        self.process >= 0
    }
}

impl OpType {
    /// The name serde gives the type (`"invoke"`, `"ok"`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            OpType::Invoke => "invoke",
            OpType::Ok => "ok",
            OpType::Fail => "fail",
            OpType::Info => "info",
        }
    }
}

/// Appends `v` through serde_json's compact serializer.
fn push_serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing a string or a JSON value into a Vec cannot fail: no IO, and a
    // `Value`'s map keys are strings.
    let _ = serde_json::to_writer(out, v);
}

/// A history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A line was not a valid operation.
    #[error("history line {line}: {source}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// The JSON error.
        source: serde_json::Error,
    },
}

/// Parses a JSON-lines history (blank lines are skipped).
pub fn parse_jsonl(text: &str) -> Result<Vec<Op>, HistoryError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| HistoryError::BadLine {
                line: i + 1,
                source: e,
            })
        })
        .collect()
}

/// Parses a JSON-lines history like [`parse_jsonl`], but numbers every
/// operation ([`Op::index`]) with its 1-based line in `text`, so that
/// explanations naming an operation name a line of the file.
pub fn parse_jsonl_by_line(text: &str) -> Result<Vec<Op>, HistoryError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let mut op: Op = serde_json::from_str(l).map_err(|e| HistoryError::BadLine {
                line: i + 1,
                source: e,
            })?;
            op.index = i as u64 + 1;
            Ok(op)
        })
        .collect()
}

/// Writes a history as JSON lines (one op per line, each ending in `\n`).
#[must_use]
pub fn to_jsonl(history: &[Op]) -> String {
    let mut out = Vec::new();
    for op in history {
        op.write_json(&mut out);
        out.push(b'\n');
    }
    // Only valid UTF-8 was written: JSON text from strings and numbers.
    String::from_utf8(out).unwrap_or_default()
}

/// An invocation and its completion, if it had one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair<'a> {
    /// The invocation.
    pub invoke: &'a Op,
    /// The completion; `None` when the history ended first.
    pub completion: Option<&'a Op>,
}

impl<'a> Pair<'a> {
    /// The completion type; an invocation without completion counts as `Info`.
    #[must_use]
    pub fn kind(&self) -> OpType {
        self.completion.map_or(OpType::Info, |c| c.kind)
    }

    /// The completion's value, if there is a completion.
    #[must_use]
    pub fn result(&self) -> Option<&'a Value> {
        self.completion.map(|c| &c.value)
    }

    /// The function of the invocation.
    #[must_use]
    pub fn f(&self) -> &'a str {
        &self.invoke.f
    }
}

/// Pairs every invocation with the next operation of the same process.
///
/// Pairs come in invocation order. Invocations without a completion get
/// `completion: None` (treated as `info`); completions without an open
/// invocation are ignored.
#[must_use]
pub fn pairs(history: &[Op]) -> Vec<Pair<'_>> {
    let mut out: Vec<Pair<'_>> = Vec::new();
    let mut open: BTreeMap<i64, usize> = BTreeMap::new();
    for op in history {
        if op.kind == OpType::Invoke {
            open.insert(op.process, out.len());
            out.push(Pair {
                invoke: op,
                completion: None,
            });
        } else if let Some(i) = open.remove(&op.process) {
            out[i].completion = Some(op);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The hand-written line is serde's, byte for byte, for every kind of
    /// value: integers at the edges, floats, strings that need escapes,
    /// nested arrays and objects, errors and final ops.
    #[test]
    fn write_json_is_serdes_line() {
        let values = [
            json!(null),
            json!([]),
            json!([0, 1, 22, 333, u64::MAX, i64::MIN, -1]),
            json!([9, 10, 99, 100, 999, 1000, 4096, 9999, 10000, 65535]),
            json!([1.0, 2.5, -0.0, 1e300, 1.5e-7]),
            json!(["a", "quote\"back\\slash", "\u{1}\n\t", "é日本"]),
            json!([[1, [2, []]], {"b": 1, "a": [3, {"c": null}]}, true, false]),
            json!({"key": "value", "n": -5}),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(-0.5),
            json!("x\u{7f}\u{1f}"),
        ];
        let fs = ["read", "broadcast", "we\"ird\n"];
        for (k, value) in values.iter().enumerate() {
            for kind in [OpType::Invoke, OpType::Ok, OpType::Fail, OpType::Info] {
                let mut op = Op::new(k as u64, kind, k as i64 - 2, fs[k % 3], value.clone());
                op.time = u64::MAX - k as u64;
                op.error = (k % 2 == 1).then(|| values[(k + 3) % values.len()].clone());
                op.final_ = k % 3 == 0;
                let mut line = Vec::new();
                op.write_json(&mut line);
                assert_eq!(
                    String::from_utf8(line).unwrap(),
                    serde_json::to_string(&op).unwrap()
                );
            }
        }
        for process in [i64::MIN, i64::MIN + 1, -10, i64::MAX] {
            let op = Op::new(1, OpType::Invoke, process, "read", json!(null));
            let mut line = Vec::new();
            op.write_json(&mut line);
            assert_eq!(
                String::from_utf8(line).unwrap(),
                serde_json::to_string(&op).unwrap()
            );
        }
    }

    #[test]
    fn json_lines_round_trip() {
        let text = r#"{"index":0,"type":"invoke","f":"read","value":null,"process":0,"time":5}
{"index":1,"type":"ok","f":"read","value":[1,2],"process":0,"time":9,"final":true}
{"index":2,"type":"info","f":"start","value":null,"process":"nemesis","time":10,"error":"x"}
"#;
        let h = parse_jsonl(text).unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h[1].kind, OpType::Ok);
        assert!(h[1].final_);
        assert_eq!(h[2].process, NEMESIS);
        assert_eq!(h[2].error, Some(json!("x")));
        let again = parse_jsonl(&to_jsonl(&h)).unwrap();
        assert_eq!(h, again);
        assert!(!to_jsonl(&h[..1]).contains("final"));
    }

    #[test]
    fn numbered_by_line() {
        let text = "\n{\"index\":0,\"type\":\"invoke\",\"f\":\"read\",\"process\":0}\n\n\
                    {\"index\":1,\"type\":\"ok\",\"f\":\"read\",\"process\":0}\n";
        let h = parse_jsonl_by_line(text).unwrap();
        assert_eq!(h.iter().map(|o| o.index).collect::<Vec<_>>(), vec![2, 4]);
        let e = parse_jsonl_by_line("\n\nnot json\n").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }

    #[test]
    fn bad_line_is_an_error() {
        let err = parse_jsonl("{}\n").unwrap_err();
        assert!(err.to_string().contains("line 1"));
    }

    #[test]
    fn pairing() {
        let h = vec![
            Op::new(0, OpType::Invoke, 0, "w", json!(1)),
            Op::new(1, OpType::Invoke, 1, "r", json!(null)),
            Op::new(2, OpType::Ok, 0, "w", json!(1)),
            Op::new(3, OpType::Fail, 2, "r", json!(null)),
        ];
        let p = pairs(&h);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].kind(), OpType::Ok);
        assert_eq!(p[1].kind(), OpType::Info);
        assert!(p[1].completion.is_none());
    }
}
