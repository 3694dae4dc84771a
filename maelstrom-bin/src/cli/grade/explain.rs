//! What happened in a test, in plain words, from its results.json and its
//! history: a one-line summary for every workload, the reasons a run is not
//! valid (which values, which reads, which replies), and the operation that
//! made it invalid. Shared by `maelstrom grade` and `maelstrom test`'s summary.

use std::path::Path;

use maelstrom_check::history::{pairs, parse_jsonl, Op, OpType, Pair};
use serde_json::Value;

/// How many examples a sentence lists.
const EXAMPLES: usize = 8;

/// The workload a results.json's `workload` section came from, told apart by
/// its checker's keys (results.json does not name the workload).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Echo,
    UniqueIds,
    Set,
    Counter,
    LinKv,
    Kafka,
    Other,
}

fn kind(w: &Value) -> Kind {
    let has = |k: &str| w.get(k).is_some();
    if has("attempt-count") && has("lost-count") {
        Kind::Set
    } else if has("final-reads") {
        Kind::Counter
    } else if has("acknowledged-count") {
        Kind::UniqueIds
    } else if has("key-count") {
        Kind::LinKv
    } else if has("bad-error-types") {
        Kind::Kafka
    } else if has("errors") {
        Kind::Echo
    } else {
        Kind::Other
    }
}

/// Reads a test folder's history.jsonl; empty when it is missing or unreadable
/// (the words then come from results.json alone).
pub fn read_history(dir: &Path) -> Vec<Op> {
    std::fs::read_to_string(dir.join("history.jsonl"))
        .ok()
        .and_then(|text| parse_jsonl(&text).ok())
        .unwrap_or_default()
}

/// Reads what [`explain`] uses of a valid run's history.jsonl: a set
/// workload's final operations (its words count the final reads that missed
/// each value), an echo workload's whole history, nothing for the others.
/// A broadcast history is mostly reads carrying every value; parsing all of
/// it cost the terminal summary more than the test's own check did.
pub fn read_history_of_valid(dir: &Path, results: &Value) -> Vec<Op> {
    match kind(&results["workload"]) {
        Kind::Echo => read_history(dir),
        Kind::Set => {
            let Ok(text) = std::fs::read_to_string(dir.join("history.jsonl")) else {
                return Vec::new();
            };
            // Only a final operation's line holds this key (`final` is left
            // out when false); the parse below confirms it.
            let finals: Vec<Op> = text
                .lines()
                .filter(|l| l.contains("\"final\":true"))
                .filter_map(|l| serde_json::from_str::<Op>(l).ok())
                .filter(|op| op.final_)
                .collect();
            if finals.is_empty() {
                // No final phase: the words say so only for a non-empty history.
                parse_jsonl(&text).unwrap_or_default()
            } else {
                finals
            }
        }
        _ => Vec::new(),
    }
}

/// One line saying how the workload went, valid or not.
pub fn summary_line(results: &Value) -> Option<String> {
    let w = &results["workload"];
    let n = |k: &str| w.get(k).and_then(Value::as_u64).unwrap_or(0);
    let ops = results["stats"]["count"].as_u64();
    Some(match kind(w) {
        Kind::Echo => {
            let bad = w["errors"].as_array().map_or(0, Vec::len);
            match ops {
                Some(total) if bad == 0 => format!("echo: all {total} echoes came back unchanged"),
                Some(total) => format!("echo: {bad} of {total} echoes did not come back unchanged"),
                None => format!("echo: {bad} echoes did not come back unchanged"),
            }
        }
        Kind::UniqueIds => format!(
            "unique-ids: {} of {} requests got an id; {} id{} handed out more than once",
            n("acknowledged-count"),
            n("attempted-count"),
            n("duplicated-count"),
            plural(n("duplicated-count")),
        ),
        Kind::Set => format!(
            "set: {} values added; {} stable, {} lost, {} stale, {} never read",
            n("attempt-count"),
            n("stable-count"),
            n("lost-count"),
            n("stale-count"),
            n("never-read-count"),
        ),
        Kind::Counter => {
            let reads = w["final-reads"].as_array().cloned().unwrap_or_default();
            if reads.is_empty() {
                "counter: no final read succeeded".into()
            } else {
                format!(
                    "counter: final reads {}; the value could be {}",
                    list(&reads),
                    ranges(&w["acceptable"])
                )
            }
        }
        Kind::LinKv => {
            let failed = w["failures"].as_array().map_or(0, Vec::len);
            let keys = n("key-count");
            // `maelstrom check` names the model it checked against.
            let name = results
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or("lin-kv");
            if failed == 0 {
                format!("{name}: {keys} key{} checked, none failed", plural(keys))
            } else {
                format!(
                    "{name}: {failed} of {keys} key{} not linearizable: {}",
                    plural(keys),
                    list(&w["failures"].as_array().cloned().unwrap_or_default())
                )
            }
        }
        Kind::Kafka => {
            let bad: Vec<String> = w["bad-error-types"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    let t = t.as_str().unwrap_or("?");
                    format!("{t} ({})", w[t]["count"].as_u64().unwrap_or(0))
                })
                .collect();
            if bad.is_empty() {
                "kafka: no anomaly found in sends and polls".into()
            } else {
                format!("kafka: anomalies found: {}", bad.join(", "))
            }
        }
        Kind::Other => return None,
    })
}

/// Sentences saying why a test's results are not valid: the invalid sections,
/// then what the workload's checker found (lost values with the final reads
/// that missed them, duplicates, final reads, wrong replies, keys that are not
/// linearizable), then how the operations went. `history` may be empty.
pub fn explain(results: &Value, history: &[Op]) -> Vec<String> {
    let mut out = Vec::new();
    let sections = |want: &dyn Fn(&Value) -> bool| -> Vec<String> {
        results
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| v.get("valid").is_some_and(want))
            .map(|(k, _)| k.clone())
            .collect()
    };
    let bad = sections(&|v| v == &Value::Bool(false));
    if !bad.is_empty() {
        out.push(format!("invalid: {}", bad.join(", ")));
    }
    let unknown = sections(&|v| v == "unknown");
    if !unknown.is_empty() {
        out.push(format!(
            "the checker could not decide: {}",
            unknown.join(", ")
        ));
    }
    // A node that broke the protocol: its first offending line, in words.
    let protocol = &results["protocol"];
    if let (Some(n), Some(first)) = (count(protocol, "count"), protocol["first"].get(0)) {
        out.push(format!(
            "{n} line{} on STDOUT broke the protocol; the first, from {}: {} (because {})",
            plural(n),
            first["node"].as_str().unwrap_or("?"),
            first["line"].as_str().unwrap_or("?"),
            first["problem"].as_str().unwrap_or("?")
        ));
    }
    let w = &results["workload"];
    match kind(w) {
        Kind::Echo => out.extend(echo_words(w, history)),
        Kind::UniqueIds => {
            if let Some(n) = count(w, "duplicated-count") {
                out.push(format!(
                    "{n} id{} went to more than one request: {}",
                    plural(n),
                    times(&w["duplicated"])
                ));
            }
        }
        Kind::Set => out.extend(set_words(w, history)),
        Kind::Counter => {
            let errors = w["errors"].as_array().cloned().unwrap_or_default();
            if !errors.is_empty() {
                out.push(format!(
                    "{} final read{} returned {}, but the counter's value could only be {} \
                     (the acknowledged adds, plus any that may or may not have happened)",
                    errors.len(),
                    plural(errors.len() as u64),
                    list(&errors),
                    ranges(&w["acceptable"])
                ));
            }
        }
        Kind::LinKv | Kind::Kafka | Kind::Other => {}
    }
    // Checkers that explain themselves (lin-kv: the key and the operations
    // that cannot be linearized; kafka; budgets that ran out).
    if let Some(text) = w.get("summary").and_then(Value::as_str) {
        out.extend(text.lines().map(str::to_string));
    } else if let Some(text) = w.get("reason").and_then(Value::as_str) {
        out.push(format!("the checker stopped: {text}"));
    }
    if !out.is_empty() || results.get("valid") != Some(&Value::Bool(true)) {
        if let Some(line) = stats_line(&results["stats"]) {
            out.push(line);
        }
    }
    out
}

/// The operation that made the run invalid, in words: the first echo that came
/// back wrong, the first final read outside the counter's possible values, the
/// first id handed out twice, the operation a key's linearization stopped at.
/// When the checker names no operation, the first one the node refused (a
/// starter's "not supported"), or the first that timed out if nothing ever
/// succeeded; never a timeout unrelated to the failure.
pub fn culprit(results: &Value, history: &[Op]) -> Option<String> {
    let w = &results["workload"];
    let ps = pairs(history);
    let client = || ps.iter().filter(|p| p.invoke.is_client());
    let named = match kind(w) {
        Kind::Echo => client().find(|p| !echoed(p)).map(describe),
        Kind::Counter => {
            let bad = w["errors"].as_array().cloned().unwrap_or_default();
            client()
                .find(|p| {
                    p.invoke.final_
                        && p.kind() == OpType::Ok
                        && p.result().is_some_and(|v| bad.contains(v))
                })
                .map(|p| {
                    format!(
                        "{}; the value could only be {}",
                        describe(p),
                        ranges(&w["acceptable"])
                    )
                })
                // No final read succeeded: the first final read that did not.
                .or_else(|| {
                    let reads_ok = w["final-reads"].as_array().is_some_and(|r| !r.is_empty());
                    (!reads_ok)
                        .then(|| client().find(|p| p.invoke.final_ && p.kind() != OpType::Ok))
                        .flatten()
                        .map(describe)
                })
        }
        Kind::UniqueIds => {
            let dups: Vec<Value> = w["duplicated"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.get(0).cloned())
                .collect();
            client()
                .find(|p| p.kind() == OpType::Ok && p.result().is_some_and(|v| dups.contains(v)))
                .map(|p| format!("{} (an id another request also got)", describe(p)))
        }
        Kind::LinKv => {
            let key = w["failures"].get(0).and_then(Value::as_str);
            let blocking =
                key.and_then(|k| w["results"][k]["explanation"]["blocking-op"]["index"].as_u64());
            blocking.and_then(|i| {
                ps.iter()
                    .find(|p| p.invoke.index == i)
                    .map(|p| format!("{} (no order of the operations allows it)", describe(p)))
            })
        }
        Kind::Set => {
            let reads_ok = ps.iter().any(|p| p.invoke.final_ && p.kind() == OpType::Ok);
            (!reads_ok)
                .then(|| client().find(|p| p.invoke.final_ && p.kind() != OpType::Ok))
                .flatten()
                .map(describe)
        }
        Kind::Kafka | Kind::Other => None,
    };
    if let Some(text) = named {
        return Some(format!("The operation that made the run invalid: {text}"));
    }
    if let Some(p) = client().find(|p| p.kind() == OpType::Fail) {
        return Some(format!(
            "The first operation the node refused: {}",
            describe(p)
        ));
    }
    let any_ok = client().any(|p| p.kind() == OpType::Ok);
    if !any_ok {
        if let Some(p) = client().find(|p| p.kind() == OpType::Info) {
            return Some(format!(
                "No operation succeeded; the first: {}",
                describe(p)
            ));
        }
    }
    None
}

/// Whether an echo came back with exactly the text sent.
fn echoed(p: &Pair<'_>) -> bool {
    p.kind() == OpType::Ok && p.result().and_then(|r| r.get("echo")) == Some(&p.invoke.value)
}

fn echo_words(w: &Value, history: &[Op]) -> Vec<String> {
    let ps = pairs(history);
    let bad: Vec<&Pair<'_>> = ps
        .iter()
        .filter(|p| p.invoke.is_client() && p.f() == "echo" && !echoed(p))
        .collect();
    if bad.is_empty() {
        // No history to read: the checker's count alone.
        let n = w["errors"].as_array().map_or(0, Vec::len) as u64;
        return if n > 0 {
            vec![format!(
                "{n} echo request{} did not come back unchanged",
                plural(n)
            )]
        } else {
            vec![]
        };
    }
    let count = |k: OpType| bad.iter().filter(|p| p.kind() == k).count();
    let (refused, unanswered) = (count(OpType::Fail), count(OpType::Info));
    let wrong = bad.len() - refused - unanswered;
    vec![format!(
        "{} echo request{} did not come back unchanged: {refused} refused with an error, \
         {unanswered} not answered in time, {wrong} answered with something else",
        bad.len(),
        plural(bad.len() as u64)
    )]
}

/// Lost, stale and never-read values, each with how many final reads missed it.
fn set_words(w: &Value, history: &[Op]) -> Vec<String> {
    let finals: Vec<&Value> = pairs(history)
        .into_iter()
        .filter(|p| p.invoke.final_ && p.kind() == OpType::Ok)
        .filter_map(|p| p.result())
        .collect();
    let missed = |v: &Value| {
        finals
            .iter()
            .filter(|r| !r.as_array().is_some_and(|a| a.contains(v)))
            .count()
    };
    let mut out = Vec::new();
    let groups = [
        ("lost", "acknowledged, then missing from the final reads"),
        (
            "stale",
            "acknowledged, but some reads after that missed them",
        ),
        (
            "never-read",
            "their add never got an ok and no read returned them; that is allowed",
        ),
    ];
    for (key, meaning) in groups {
        let values = w[key].as_array().cloned().unwrap_or_default();
        if values.is_empty() {
            continue;
        }
        let shown: Vec<String> = values
            .iter()
            .take(EXAMPLES)
            .map(|v| {
                if finals.is_empty() {
                    words(v)
                } else {
                    format!(
                        "{} (missed by {} of {} final reads)",
                        words(v),
                        missed(v),
                        finals.len()
                    )
                }
            })
            .collect();
        let more = values.len().saturating_sub(EXAMPLES);
        out.push(format!(
            "{} {key} ({meaning}): {}{}",
            values.len(),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    if let Some(n) = count(w, "duplicated-count") {
        out.push(format!(
            "{n} value{} came back more than once in one read: {}",
            plural(n),
            times(&w["duplicated"])
        ));
    }
    if finals.is_empty() && !history.is_empty() {
        out.push("no final read succeeded, so nothing shows what the nodes ended with".into());
    }
    out
}

/// An operation and how it ended, e.g. `read (process 1, final) returned 12` or
/// `echo "hi" (process 0) failed: not-supported: no echo`.
fn describe(p: &Pair<'_>) -> String {
    let op = p.invoke;
    let arg = if op.value.is_null() {
        String::new()
    } else {
        format!(" {}", words(&op.value))
    };
    let who = format!(
        "(process {}{})",
        op.process,
        if op.final_ { ", final" } else { "" }
    );
    let end = match p.completion {
        None => "never completed".to_string(),
        Some(c) => match c.kind {
            OpType::Ok => {
                // A reply body's bookkeeping says nothing about what went wrong.
                let mut value = c.value.clone();
                if let Some(map) = value.as_object_mut() {
                    map.remove("in_reply_to");
                    map.remove("msg_id");
                }
                if value.is_null() {
                    "succeeded".into()
                } else {
                    format!("returned {}", words(&value))
                }
            }
            OpType::Fail => format!("failed: {}", error_words(c.error.as_ref())),
            _ => format!("did not complete: {}", error_words(c.error.as_ref())),
        },
    };
    format!("{}{arg} {who} {end}", op.f)
}

/// An error as the history holds it: `[name, text]` from the node, or the
/// harness's own words.
fn error_words(e: Option<&Value>) -> String {
    match e {
        None | Some(Value::Null) => "no error given".into(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter(|p| !p.is_null())
            .map(|p| p.as_str().map_or_else(|| words(p), str::to_string))
            .collect::<Vec<_>>()
            .join(": "),
        Some(Value::String(s)) => s.clone(),
        Some(other) => words(other),
    }
}

/// A value as a reader would write it: numbers bare, strings quoted, lists as
/// `[a, b]`, objects as `{key: value}`; long lists cut after a few items.
pub fn words(v: &Value) -> String {
    match v {
        Value::Array(items) => format!("[{}]", list(items)),
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .take(EXAMPLES)
                .map(|(k, v)| format!("{k}: {}", words(v)))
                .collect();
            let more = map.len().saturating_sub(EXAMPLES);
            if more > 0 {
                format!("{{{}, and {more} more}}", fields.join(", "))
            } else {
                format!("{{{}}}", fields.join(", "))
            }
        }
        Value::String(s) if s.chars().count() > 120 => {
            format!("\"{}...\"", s.chars().take(117).collect::<String>())
        }
        other => other.to_string(),
    }
}

/// Items separated by commas, the first few only.
fn list(items: &[Value]) -> String {
    let shown: Vec<String> = items.iter().take(EXAMPLES).map(words).collect();
    let more = items.len().saturating_sub(EXAMPLES);
    if more > 0 {
        format!("{}, and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// `[[value, times], ...]` as `"a" (3 times), ...`.
fn times(v: &Value) -> String {
    let items = v.as_array().cloned().unwrap_or_default();
    let shown: Vec<String> = items
        .iter()
        .take(EXAMPLES)
        .map(|d| match (d.get(0), d.get(1).and_then(Value::as_u64)) {
            (Some(x), Some(n)) => format!("{} ({n} times)", words(x)),
            _ => words(d),
        })
        .collect();
    let more = items.len().saturating_sub(EXAMPLES);
    if more > 0 {
        format!("{}, and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A counter's acceptable `[[lo, hi], ...]` as `16 to 17` or `5`, joined by "or".
fn ranges(v: &Value) -> String {
    let parts: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| match (r.get(0), r.get(1)) {
            (Some(lo), Some(hi)) if lo == hi => words(lo),
            (Some(lo), Some(hi)) => format!("{} to {}", words(lo), words(hi)),
            _ => words(r),
        })
        .collect();
    if parts.is_empty() {
        "nothing (no add was acknowledged?)".into()
    } else {
        parts.join(" or ")
    }
}

/// A number that is present and not zero.
fn count(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64).filter(|n| *n > 0)
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// How the operations went, when that explains a failure: a node that answers
/// nothing but errors fails every operation.
fn stats_line(stats: &Value) -> Option<String> {
    let get = |k: &str| stats.get(k).and_then(Value::as_u64);
    let (total, ok) = (get("count")?, get("ok-count")?);
    let (fail, info) = (
        get("fail-count").unwrap_or(0),
        get("info-count").unwrap_or(0),
    );
    if total == 0 {
        return Some("no operation completed".into());
    }
    Some(format!(
        "operations: {total}, of which {ok} ok, {fail} failed (the node said an error) and {info} \
         indefinite (timed out or crashed)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// One history row: `(type, process, f, value, final, error)`.
    type Row<'a> = (&'a str, i64, &'a str, Value, bool, Option<Value>);

    /// A history from rows.
    fn history(rows: &[Row<'_>]) -> Vec<Op> {
        let text: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, (t, p, f, v, fin, e))| {
                let mut op = json!({"index": i, "type": t, "f": f, "value": v, "process": p});
                if *fin {
                    op["final"] = json!(true);
                }
                if let Some(e) = e {
                    op["error"] = e.clone();
                }
                op.to_string()
            })
            .collect();
        parse_jsonl(&text.join("\n")).unwrap()
    }

    #[test]
    fn set_values_are_listed_with_the_final_reads_that_missed_them() {
        let r = json!({
            "valid": false,
            "workload": {"valid": false, "attempt-count": 3, "stable-count": 1,
                "lost-count": 1, "lost": [0], "stale-count": 1, "stale": [1],
                "never-read-count": 1, "never-read": [2]},
            "net": {"valid": true},
            "stats": {"count": 40, "ok-count": 40, "fail-count": 0, "info-count": 0},
        });
        let h = history(&[
            ("invoke", 0, "read", json!(null), true, None),
            ("invoke", 1, "read", json!(null), true, None),
            ("ok", 0, "read", json!([1]), true, None),
            ("ok", 1, "read", json!([0, 1]), true, None),
        ]);
        assert_eq!(
            explain(&r, &h),
            vec![
                "invalid: workload",
                "1 lost (acknowledged, then missing from the final reads): 0 (missed by 1 of 2 \
                 final reads)",
                "1 stale (acknowledged, but some reads after that missed them): 1 (missed by 0 \
                 of 2 final reads)",
                "1 never-read (their add never got an ok and no read returned them; that is \
                 allowed): 2 (missed by 2 of 2 final reads)",
                "operations: 40, of which 40 ok, 0 failed (the node said an error) and 0 \
                 indefinite (timed out or crashed)",
            ]
        );
        assert_eq!(
            summary_line(&r).unwrap(),
            "set: 3 values added; 1 stable, 1 lost, 1 stale, 1 never read"
        );
    }

    /// A valid set run's words come from its final operations alone, read
    /// without parsing the rest; a history without a final phase is read whole.
    #[test]
    fn a_valid_set_run_reads_only_its_final_operations() {
        let r = json!({
            "valid": true,
            "workload": {"valid": true, "attempt-count": 2, "stable-count": 2,
                "lost-count": 0, "stale-count": 1, "stale": [1], "never-read-count": 0},
            "stats": {"count": 8, "ok-count": 8, "fail-count": 0, "info-count": 0},
        });
        let main = [
            ("invoke", 0, "add", json!(1), false, None),
            ("invoke", 1, "read", json!(null), false, None),
            ("ok", 0, "add", json!(1), false, None),
            ("ok", 1, "read", json!([]), false, None),
        ];
        let finals = [
            ("invoke", 0, "read", json!(null), true, None),
            ("invoke", 1, "read", json!(null), true, None),
            ("ok", 1, "read", json!([1]), true, None),
            ("ok", 0, "read", json!([0]), true, None),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        let whole = history(&[main.clone(), finals.clone()].concat());
        std::fs::write(&path, maelstrom_check::history::to_jsonl(&whole)).unwrap();
        let read = read_history_of_valid(dir.path(), &r);
        assert_eq!(read.len(), 4);
        assert!(read.iter().all(|op| op.final_));
        assert_eq!(explain(&r, &read), explain(&r, &whole));
        assert_eq!(
            explain(&r, &read),
            [
                "1 stale (acknowledged, but some reads after that missed them): 1 (missed by 1 \
                 of 2 final reads)",
                "operations: 8, of which 8 ok, 0 failed (the node said an error) and 0 \
                 indefinite (timed out or crashed)"
            ]
        );

        let no_finals = history(&main);
        std::fs::write(&path, maelstrom_check::history::to_jsonl(&no_finals)).unwrap();
        let read = read_history_of_valid(dir.path(), &r);
        assert_eq!(read.len(), 4);
        assert_eq!(explain(&r, &read), explain(&r, &no_finals));
    }

    #[test]
    fn echo_failures_in_words_never_a_debug_vector() {
        let r = json!({"valid": false, "workload": {"valid": false, "errors": [
            ["Expected a message with :echo", "Please echo 69", "But received", "Please echo 69"]
        ]}, "stats": {"count": 2, "ok-count": 1, "fail-count": 0, "info-count": 1}});
        let h = history(&[
            ("invoke", 0, "echo", json!("Please echo 1"), false, None),
            (
                "ok",
                0,
                "echo",
                json!({"type": "echo_ok", "echo": "Please echo 1"}),
                false,
                None,
            ),
            ("invoke", 0, "echo", json!("Please echo 69"), false, None),
            (
                "info",
                0,
                "echo",
                json!("Please echo 69"),
                false,
                Some(json!("indeterminate: timed out waiting for a reply")),
            ),
        ]);
        let text = explain(&r, &h).join("\n");
        assert!(!text.contains("Expected a message with"), "{text}");
        assert!(
            text.contains(
                "1 echo request did not come back unchanged: 0 refused with an \
                           error, 1 not answered in time, 0 answered with something else"
            ),
            "{text}"
        );
        assert_eq!(
            culprit(&r, &h).unwrap(),
            "The operation that made the run invalid: echo \"Please echo 69\" (process 0) did \
             not complete: indeterminate: timed out waiting for a reply"
        );
        assert_eq!(
            summary_line(&r).unwrap(),
            "echo: 1 of 2 echoes did not come back unchanged"
        );
    }

    #[test]
    fn a_counter_points_at_the_bad_final_read_not_an_earlier_timeout() {
        let r = json!({"valid": false, "workload": {"valid": false, "errors": [12],
            "final-reads": [12, 16], "acceptable": [[16, 17]]}});
        let h = history(&[
            ("invoke", 1, "read", json!(null), false, None),
            (
                "info",
                1,
                "read",
                json!(null),
                false,
                Some(json!("indeterminate: timed out")),
            ),
            ("invoke", 0, "read", json!(null), true, None),
            ("invoke", 2, "read", json!(null), true, None),
            ("ok", 0, "read", json!(16), true, None),
            ("ok", 2, "read", json!(12), true, None),
        ]);
        assert_eq!(
            culprit(&r, &h).unwrap(),
            "The operation that made the run invalid: read (process 2, final) returned 12; \
             the value could only be 16 to 17"
        );
        assert!(explain(&r, &h).contains(
            &"1 final read returned 12, but the counter's value could only be 16 to 17 (the \
              acknowledged adds, plus any that may or may not have happened)"
                .to_string()
        ));
        assert_eq!(
            summary_line(&r).unwrap(),
            "counter: final reads 12, 16; the value could be 16 to 17"
        );
    }

    #[test]
    fn a_refusal_is_named_when_the_checker_names_no_operation() {
        let r = json!({"valid": false, "workload": {"valid": true, "attempt-count": 0,
            "stable-count": 0, "lost-count": 0, "stale-count": 0, "never-read-count": 0}});
        let h = history(&[
            ("invoke", 0, "broadcast", json!(3), false, None),
            (
                "fail",
                0,
                "broadcast",
                json!(3),
                false,
                Some(json!(["not-supported", "does not handle broadcast"])),
            ),
            ("invoke", 0, "read", json!(null), true, None),
            ("ok", 0, "read", json!([]), true, None),
        ]);
        assert_eq!(
            culprit(&r, &h).unwrap(),
            "The first operation the node refused: broadcast 3 (process 0) failed: \
             not-supported: does not handle broadcast"
        );
        // A timeout alone, beside operations that succeeded, is no culprit.
        let h = history(&[
            ("invoke", 0, "broadcast", json!(3), false, None),
            (
                "info",
                0,
                "broadcast",
                json!(3),
                false,
                Some(json!("net-timeout")),
            ),
            ("invoke", 0, "read", json!(null), true, None),
            ("ok", 0, "read", json!([3]), true, None),
        ]);
        assert_eq!(culprit(&r, &h), None);
    }

    #[test]
    fn duplicates_and_kafka_and_lin_kv_summaries() {
        let r = json!({"valid": false, "workload": {"valid": false, "attempted-count": 4,
            "acknowledged-count": 4, "duplicated-count": 1, "duplicated": [["n1-1", 2]]}});
        assert!(explain(&r, &[])
            .contains(&"1 id went to more than one request: \"n1-1\" (2 times)".to_string()));
        assert_eq!(
            summary_line(&r).unwrap(),
            "unique-ids: 4 of 4 requests got an id; 1 id handed out more than once"
        );
        let k = json!({"workload": {"valid": false, "bad-error-types": ["lost-write"],
            "lost-write": {"count": 3, "errs": []}}});
        assert_eq!(
            summary_line(&k).unwrap(),
            "kafka: anomalies found: lost-write (3)"
        );
        let l = json!({"workload": {"valid": false, "key-count": 4, "failures": ["1"]}});
        assert_eq!(
            summary_line(&l).unwrap(),
            "lin-kv: 1 of 4 keys not linearizable: \"1\""
        );
        let mut checked = l.clone();
        checked["model"] = json!("cas-register");
        assert_eq!(
            summary_line(&checked).unwrap(),
            "cas-register: 1 of 4 keys not linearizable: \"1\""
        );
    }

    #[test]
    fn values_read_as_values() {
        assert_eq!(words(&json!([1, [2, 3], "a"])), "[1, [2, 3], \"a\"]");
        assert_eq!(words(&json!({"type": "echo_ok"})), "{type: \"echo_ok\"}");
        assert_eq!(
            words(&json!((0..10).collect::<Vec<_>>())),
            "[0, 1, 2, 3, 4, 5, 6, 7, and 2 more]"
        );
    }

    #[test]
    fn protocol_violations_name_the_first_line() {
        let r = json!({"valid": false, "protocol": {"valid": false, "count": 3,
            "first": [{"node": "n1", "line": "{\"src\": null}", "problem": "its src is null"}]}});
        let text = explain(&r, &[]).join("\n");
        assert!(text.contains("invalid: protocol"), "{text}");
        assert!(
            text.contains("3 lines on STDOUT broke the protocol; the first, from n1"),
            "{text}"
        );
        assert!(text.contains("(because its src is null)"), "{text}");
    }

    #[test]
    fn a_valid_test_needs_no_words() {
        let r = json!({"valid": true, "workload": {"valid": true, "lost-count": 0}});
        assert!(explain(&r, &[]).is_empty());
    }
}
