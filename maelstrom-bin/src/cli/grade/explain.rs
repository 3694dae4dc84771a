//! What went wrong in a test, in plain words, from its results.json.

use serde_json::Value;

use super::criteria::fmt_value;

/// How many examples a sentence lists.
const EXAMPLES: usize = 8;

/// Sentences saying why a test's results are not valid: the invalid sections,
/// then what the workload's checker found (lost values, duplicates, final
/// reads, wrong replies, non-linearizable keys), then how the operations went.
pub fn explain(results: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let sections = results.as_object().into_iter().flatten();
    let bad: Vec<String> = sections
        .filter(|(_, v)| matches!(v.get("valid"), Some(Value::Bool(false))))
        .map(|(k, _)| k.clone())
        .collect();
    if !bad.is_empty() {
        out.push(format!("invalid: {}", bad.join(", ")));
    }
    let unknown: Vec<String> = results
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| v.get("valid").is_some_and(|v| v == "unknown"))
        .map(|(k, _)| k.clone())
        .collect();
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
    if let Some(n) = count(w, "lost-count") {
        out.push(format!(
            "{n} acknowledged value{} never showed up in the final reads (lost): {}",
            plural(n),
            examples(&w["lost"])
        ));
    }
    if let Some(n) = count(w, "duplicated-count") {
        out.push(format!(
            "{n} value{} came back more than once (value, times): {}",
            plural(n),
            examples(&w["duplicated"])
        ));
    }
    if w.get("valid") == Some(&Value::Bool(false)) {
        if let (Some(reads), Some(ok)) = (w.get("final-reads"), w.get("acceptable")) {
            out.push(format!(
                "the final reads returned {}, but the only acceptable values were {}",
                examples(reads),
                examples(ok)
            ));
        }
    }
    if let Some(errors) = w.get("errors").and_then(Value::as_array) {
        if let Some(first) = errors.first() {
            out.push(format!(
                "{} wrong repl{}, the first: {}",
                errors.len(),
                if errors.len() == 1 { "y" } else { "ies" },
                short(first, 200)
            ));
        }
    }
    // Checkers that explain themselves (lin-kv: the key and the operations
    // that cannot be linearized; kafka; budgets that ran out).
    for key in ["summary", "reason"] {
        if let Some(text) = w.get(key).and_then(Value::as_str) {
            out.extend(text.lines().map(str::to_string));
        }
    }
    if !out.is_empty() || results.get("valid") != Some(&Value::Bool(true)) {
        if let Some(line) = stats_line(&results["stats"]) {
            out.push(line);
        }
    }
    out
}

/// The first operation in a history (history.jsonl) that failed or timed out,
/// in words: what a starter's "not supported" looks like from the outside.
pub fn first_error(history_jsonl: &str) -> Option<String> {
    history_jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|op| op["type"] == "fail" || (op["type"] == "info" && op.get("error").is_some()))
        .map(|op| {
            let what = match op["type"].as_str() {
                Some("fail") => "failed",
                _ => "did not complete",
            };
            let error = match op.get("error").and_then(Value::as_array) {
                Some(parts) => {
                    let parts: Vec<String> = parts.iter().map(|p| fmt_value(Some(p))).collect();
                    parts.join(": ")
                }
                None => op.get("error").map(|e| short(e, 120)).unwrap_or_default(),
            };
            format!(
                "the first operation that {what}: {} {} (process {}) got {error}",
                fmt_value(op.get("f")),
                short(&op["value"], 80),
                op["process"]
            )
        })
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

/// The first few items of an array, and how many more there are.
fn examples(v: &Value) -> String {
    match v.as_array() {
        Some(items) => {
            let shown: Vec<String> = items
                .iter()
                .take(EXAMPLES)
                .map(|x| fmt_value(Some(x)))
                .collect();
            let more = items.len().saturating_sub(EXAMPLES);
            if more > 0 {
                format!("{} and {more} more", shown.join(", "))
            } else if shown.is_empty() {
                "none".into()
            } else {
                shown.join(", ")
            }
        }
        None => short(v, 120),
    }
}

fn short(v: &Value, max: usize) -> String {
    let s = v.to_string();
    if s.chars().count() > max {
        format!("{}...", s.chars().take(max).collect::<String>())
    } else {
        s
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

    #[test]
    fn lost_values_and_invalid_sections() {
        let r = json!({
            "valid": false,
            "workload": {"valid": false, "lost-count": 2, "lost": [3, 17]},
            "net": {"valid": true},
            "stats": {"count": 40, "ok-count": 40, "fail-count": 0, "info-count": 0},
        });
        assert_eq!(
            explain(&r),
            vec![
                "invalid: workload",
                "2 acknowledged values never showed up in the final reads (lost): 3, 17",
                "operations: 40, of which 40 ok, 0 failed (the node said an error) and 0 indefinite (timed out or crashed)",
            ]
        );
    }

    #[test]
    fn counters_duplicates_and_wrong_replies() {
        let r = json!({"valid": false, "workload": {
            "valid": false, "final-reads": [11, 12], "acceptable": [[15, 15]],
            "duplicated-count": 1, "duplicated": [["n1-1", 2]],
            "errors": [{"expected": 3}],
        }});
        let e = explain(&r);
        assert!(
            e.contains(
                &"1 value came back more than once (value, times): [\"n1-1\",2]".to_string()
            ),
            "{e:?}"
        );
        assert!(
            e.contains(
                &"the final reads returned 11, 12, but the only acceptable values were [15,15]"
                    .to_string()
            ),
            "{e:?}"
        );
        assert!(
            e.contains(&"1 wrong reply, the first: {\"expected\":3}".to_string()),
            "{e:?}"
        );
    }

    #[test]
    fn the_first_failed_operation() {
        let h = r#"{"index":0,"type":"invoke","f":"echo","value":"hi","process":0,"time":1}
{"index":1,"type":"fail","f":"echo","value":"hi","process":0,"time":2,"error":["not-supported","no echo"]}"#;
        assert_eq!(
            first_error(h).as_deref(),
            Some("the first operation that failed: echo \"hi\" (process 0) got not-supported: no echo")
        );
        assert_eq!(first_error(""), None);
    }

    #[test]
    fn protocol_violations_name_the_first_line() {
        let r = json!({"valid": false, "protocol": {"valid": false, "count": 3,
            "first": [{"node": "n1", "line": "{\"src\": null}", "problem": "its src is null"}]}});
        let text = explain(&r).join("\n");
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
        assert!(explain(&r).is_empty());
    }
}
