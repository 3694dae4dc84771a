//! The workload-specific reasons a run is not valid, drawn from its history:
//! the echoes that came back wrong, the set values lost and the reads that
//! missed them.

use maelstrom_check::history::{pairs, Op, OpType, Pair};
use serde_json::Value;

use super::words::{count, plural, times, words};
use super::EXAMPLES;

/// Whether an echo came back with exactly the text sent.
pub(super) fn echoed(p: &Pair<'_>) -> bool {
    p.kind() == OpType::Ok && p.result().and_then(|r| r.get("echo")) == Some(&p.invoke.value)
}

pub(super) fn echo_words(w: &Value, history: &[Op]) -> Vec<String> {
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
pub(super) fn set_words(w: &Value, history: &[Op]) -> Vec<String> {
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
