//! The one operation to look at first when a run is not valid.

use maelstrom_check::history::{pairs, Op, OpType};
use serde_json::Value;

use super::reasons::echoed;
use super::words::{describe, ranges};
use super::{kind, Kind};

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
