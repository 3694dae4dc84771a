//! What happened in a test, in plain words, from its results.json and its
//! history: a one-line summary for every workload, the reasons a run is not
//! valid (which values, which reads, which replies), and the operation that
//! made it invalid. The harness words each test it runs while the history is
//! in memory ([`crate::Outcome::words`]); `maelstrom grade`, `check` and the
//! terminal summary of a stored test word them from the files.

use std::path::Path;

use maelstrom_check::history::{parse_jsonl, Op};
use maelstrom_check::Validity;
use serde_json::Value;

mod culprit;
mod reasons;
#[cfg(test)]
mod tests;
mod words;

pub use culprit::culprit;
use reasons::{echo_words, set_words};
use words::{count, list, plural, ranges, times};

/// How many examples a sentence lists.
pub(super) const EXAMPLES: usize = 8;

/// The workload a results.json's `workload` section came from, told apart by
/// its checker's keys (results.json does not name the workload).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Echo,
    UniqueIds,
    Set,
    Counter,
    LinKv,
    Kafka,
    Other,
}

pub(super) fn kind(w: &Value) -> Kind {
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
            let finals = final_ops(&dir.join("history.jsonl"));
            if finals.is_empty() {
                // No final phase: the words say so only for a non-empty history.
                read_history(dir)
            } else {
                finals
            }
        }
        _ => Vec::new(),
    }
}

/// The final operations of a history.jsonl that the harness wrote, read a
/// line at a time through one buffer: `"final":true` is the last key of a
/// final operation's line (it is left out when false), so the other lines
/// are passed over without parsing them, or holding the whole file (2.3 MB
/// for the broadcast benchmark; reading it whole cost the summary ~4 ms).
fn final_ops(path: &Path) -> Vec<Op> {
    use std::io::BufRead;
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::new();
    let mut finals = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.trim_ascii_end().ends_with(br#""final":true}"#) {
            // The parse confirms it.
            if let Ok(op) = serde_json::from_slice::<Op>(&line) {
                if op.final_ {
                    finals.push(op);
                }
            }
        }
    }
    finals
}

/// What the terminal says of a test in words, in its order: the summary
/// line, the reasons the run is what it is (the protocol's are left to
/// [`crate::protocol::explain`], which the terminal shows last), and for a
/// run that is not valid, the operation that made it so. `history` is the
/// one the results came from (empty if unknown).
pub fn verdict_words(results: &Value, history: &[Op], valid: Validity) -> Vec<String> {
    let mut words: Vec<String> = summary_line(results).into_iter().collect();
    let mut without_protocol = results.clone();
    if let Some(map) = without_protocol.as_object_mut() {
        map.remove("protocol");
    }
    words.extend(explain(&without_protocol, history));
    if valid != Validity::Valid {
        words.extend(culprit(results, history));
    }
    words
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
