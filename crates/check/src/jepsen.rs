//! Jepsen and Knossos histories written in EDN, as [`Op`]s.
//!
//! Two layouts are read: one operation map per line (Jepsen's `history.edn`,
//! Porcupine's kv logs) and one vector or list holding every operation
//! (Knossos's test data). An operation is a map such as
//! `{:process 0, :type :invoke, :f :cas, :value [1 2], :time 12345}`:
//!
//! - `:process` is an integer, or a keyword such as `:nemesis` (then the
//!   operation is the nemesis's, which the checkers skip);
//! - `:type` is `:invoke`, `:ok`, `:fail` or `:info`; `:f` a keyword or string;
//! - `:value` any EDN, turned into JSON (keywords become strings without their
//!   colon, so a list-append `[[:append 1 2] [:r 1 [2]]]` reads as
//!   `[["append",1,2],["r",1,[2]]]`); Jepsen's independent checker writes a
//!   key's operations as `[key value]` tuples, which is the shape the
//!   per-key checkers read;
//! - `:key`, when present (Porcupine's kv logs), is put in front of the
//!   value: `[key value]`;
//! - `:time` (nanoseconds) and `:error` are kept; other keys are ignored.
//!
//! Each [`Op::index`] is the line the operation's map starts on, so
//! explanations that name an operation by its index name a line of the file.

use crate::edn::{Edn, EdnError, Pos, Reader};
use crate::history::{Op, OpType, NEMESIS};
use serde_json::{json, Value};

fn error<T>(pos: Pos, msg: impl Into<String>) -> Result<T, EdnError> {
    Err(EdnError {
        pos,
        msg: msg.into(),
    })
}

/// The name of a keyword, string or symbol.
fn name(v: &Edn) -> Option<&str> {
    match v {
        Edn::Keyword(s) | Edn::Str(s) | Edn::Symbol(s) => Some(s),
        _ => None,
    }
}

/// A short description of a value's kind, for errors.
fn kind_of(v: &Edn) -> &'static str {
    match v {
        Edn::Nil => "nil",
        Edn::Bool(_) => "a boolean",
        Edn::Int(_) | Edn::BigInt(_) | Edn::Float(_) => "a number",
        Edn::Str(_) => "a string",
        Edn::Char(_) => "a character",
        Edn::Keyword(_) => "a keyword",
        Edn::Symbol(_) => "a symbol",
        Edn::List(_) => "a list",
        Edn::Vector(_) => "a vector",
        Edn::Map(_) => "a map",
        Edn::Set(_) => "a set",
    }
}

/// One operation map, read at `pos`.
pub fn op_from_edn(pos: Pos, v: &Edn) -> Result<Op, EdnError> {
    if !matches!(v, Edn::Map(_)) {
        return error(
            pos,
            format!(
                "expected an operation map like {{:process 0, :type :invoke, :f :read, \
                 :value nil}}, found {}",
                kind_of(v)
            ),
        );
    }
    let process = match v.get("process") {
        Some(Edn::Int(n)) => *n,
        // `:nemesis`, or any other named process, is not a client.
        Some(Edn::Keyword(_) | Edn::Symbol(_) | Edn::Str(_)) => NEMESIS,
        Some(other) => {
            return error(
                pos,
                format!(
                    ":process must be an integer or a keyword, not {}",
                    kind_of(other)
                ),
            )
        }
        None => return error(pos, "the operation has no :process"),
    };
    let kind = match v.get("type").and_then(name) {
        Some("invoke") => OpType::Invoke,
        Some("ok") => OpType::Ok,
        Some("fail") => OpType::Fail,
        Some("info") => OpType::Info,
        Some(other) => {
            return error(
                pos,
                format!(":type must be :invoke, :ok, :fail or :info, not :{other}"),
            )
        }
        None => return error(pos, "the operation has no :type keyword"),
    };
    let f = match v.get("f") {
        Some(f) => match name(f) {
            Some(n) => n.to_string(),
            None => return error(pos, format!(":f must be a keyword, not {}", kind_of(f))),
        },
        None => return error(pos, "the operation has no :f"),
    };
    let mut value = v.get("value").map_or(Value::Null, Edn::to_json);
    if let Some(key) = v.get("key") {
        value = json!([key.to_json(), value]);
    }
    let line = pos.line as u64;
    let mut op = Op::new(line, kind, process, &f, value);
    op.time = match v.get("time") {
        Some(Edn::Int(t)) if *t >= 0 => *t as u64,
        Some(Edn::Int(_) | Edn::BigInt(_) | Edn::Float(_)) | None => line,
        Some(other) => {
            return error(
                pos,
                format!(":time must be an integer, not {}", kind_of(other)),
            )
        }
    };
    op.error = v.get("error").map(Edn::to_json);
    Ok(op)
}

/// Reads an EDN history: operation maps one after another, or one vector
/// (or list) of them. Every [`Op::index`] is its map's line.
pub fn parse_edn_history(text: &str) -> Result<Vec<Op>, EdnError> {
    let mut reader = Reader::new(text);
    let mut ops = Vec::new();
    if let Some(close) = reader.enter_sequence() {
        while let Some((pos, v)) = reader.next_item(close)? {
            ops.push(op_from_edn(pos, &v)?);
        }
        if let Some((pos, _)) = reader.next_value()? {
            return error(
                pos,
                "more forms after the history's closing bracket (a history is one vector of \
                 operations, or operation maps one after another)",
            );
        }
        return Ok(ops);
    }
    while let Some((pos, v)) = reader.next_value()? {
        ops.push(op_from_edn(pos, &v)?);
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jepsen_lines_with_nemesis_time_and_tuples() {
        let text = "{:type :invoke, :f :read, :value [3 nil], :process 5, :time 100, :index 0}\n\
                    {:type :info, :f :start, :value :majority, :process :nemesis, :time 150}\n\
                    {:type :ok, :f :read, :value [3 4], :process 5, :time 200, :index 1}\n\
                    {:type :fail, :f :cas, :value [3 [1 2]], :process 6, :error :precondition}\n";
        let ops = parse_edn_history(text).unwrap();
        assert_eq!(ops.len(), 4);
        assert_eq!(ops[0].index, 1);
        assert_eq!(ops[0].value, json!([3, null]));
        assert_eq!(ops[0].time, 100);
        assert_eq!(ops[1].process, NEMESIS);
        assert!(!ops[1].is_client());
        assert_eq!(ops[2].kind, OpType::Ok);
        assert_eq!(ops[3].value, json!([3, [1, 2]]));
        assert_eq!(ops[3].error, Some(json!("precondition")));
        // No :time: the line stands in.
        assert_eq!(ops[3].time, 4);
    }

    #[test]
    fn a_knossos_vector_keeps_each_ops_line() {
        let text = "[{:process 0, :type :invoke, :f :write, :value 1}\n\
                    ;; comment\n\
                    {:process 0, :type :ok, :f :write, :value 1}\n\
                    {:process 1 :type :invoke :f :txn :value [[:append 1 2] [:r 1 nil]]}]\n";
        let ops = parse_edn_history(text).unwrap();
        let lines: Vec<u64> = ops.iter().map(|o| o.index).collect();
        assert_eq!(lines, vec![1, 3, 4]);
        assert_eq!(ops[2].value, json!([["append", 1, 2], ["r", 1, null]]));
    }

    #[test]
    fn porcupine_kv_keys_join_the_value() {
        let op = parse_edn_history(r#"{:process 0, :type :invoke, :f :put, :key "k", :value "x"}"#)
            .unwrap();
        assert_eq!(op[0].value, json!(["k", "x"]));
    }

    #[test]
    fn bad_operations_name_their_line() {
        let cases = [
            (
                "{:process 0, :type :invoke, :f :read}\n{:process 0, :f :read}",
                2,
                ":type",
            ),
            ("{:process 0, :type :done, :f :read}", 1, ":invoke, :ok"),
            ("\n\n[1 2]", 3, "operation map"),
            ("{:process [1], :type :ok, :f :read}", 1, ":process"),
            (
                "[{:process 0, :type :ok, :f :r}\n {:process 0, :type :ok, :f :r}",
                1,
                "never closed",
            ),
            (
                "[{:process 0, :type :ok, :f :r}]\n{:a 1}",
                2,
                "after the history",
            ),
        ];
        for (text, line, words) in cases {
            let e = parse_edn_history(text).unwrap_err();
            assert_eq!(e.pos.line, line, "{text}: {e}");
            assert!(e.to_string().contains(words), "{text}: {e}");
        }
    }
}
