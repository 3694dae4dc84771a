//! The history model: operations as the harness records them (`history.jsonl`).

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

    /// True for operations of client processes (not the nemesis).
    #[must_use]
    pub fn is_client(&self) -> bool {
        self.process >= 0
    }
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
    let mut out = String::new();
    for op in history {
        // Serialising an Op cannot fail: every field is plain data.
        out.push_str(&serde_json::to_string(op).unwrap_or_default());
        out.push('\n');
    }
    out
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
