//! Values, operations and counts as words: JSON values read as values (not
//! debug output), lists cut to a few examples, ranges, plurals.

use maelstrom_check::history::{OpType, Pair};
use serde_json::Value;

use super::EXAMPLES;

/// An operation and how it ended, e.g. `read (process 1, final) returned 12` or
/// `echo "hi" (process 0) failed: not-supported: no echo`.
pub(super) fn describe(p: &Pair<'_>) -> String {
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
pub(super) fn error_words(e: Option<&Value>) -> String {
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
pub(super) fn words(v: &Value) -> String {
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
pub(super) fn list(items: &[Value]) -> String {
    let shown: Vec<String> = items.iter().take(EXAMPLES).map(words).collect();
    let more = items.len().saturating_sub(EXAMPLES);
    if more > 0 {
        format!("{}, and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// `[[value, times], ...]` as `"a" (3 times), ...`.
pub(super) fn times(v: &Value) -> String {
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
pub(super) fn ranges(v: &Value) -> String {
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
pub(super) fn count(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64).filter(|n| *n > 0)
}

pub(super) fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
