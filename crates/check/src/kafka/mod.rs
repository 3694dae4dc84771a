//! The kafka checker (upstream §4.9): send/poll/assign/crash histories.
//!
//! Error types found (each sound on its own):
//! - `inconsistent-offsets`: one key's offset observed with different messages;
//! - `duplicate`: one message of a key observed at several offsets;
//! - `G1a`: a poll observed a message whose send definitely failed;
//! - `lost-write`: an ok send at an offset at or below the highest polled
//!   offset of its key that no poll ever observed;
//! - `unseen`: an ok send never observed by any poll (and not a lost write);
//! - `int-poll-skip` / `poll-skip`: within one poll, or between consecutive
//!   polls of one process (reset by assign), offsets jumped over an offset
//!   known to exist;
//! - `int-nonmonotonic-poll` / `nonmonotonic-poll`: offsets going backwards
//!   or repeating, within a poll or between polls of one process;
//! - `int-nonmonotonic-send` / `nonmonotonic-send`: a process's sends to one
//!   key got non-increasing offsets (within one op, or across its ops);
//! - `int-send-skip`: one op's sends to a key skipped a known offset (allowed).
//!
//! Beside the errors the result carries upstream's `worst-realtime-lag`
//! (see [`lag`]) and `info-txn-causes` (the distinct errors of sends and
//! polls whose outcome is unknown).
//!
//! Memory is linear in the number of distinct messages; at most
//! [`KafkaOpts::max_errs`] examples are kept per error type.

mod analysis;
pub mod lag;
#[cfg(test)]
mod tests;

use crate::budget::Budget;
use crate::history::{Op, OpType};
use crate::verdict::Validity;
pub use lag::{worst_realtime_lag, WorstLag};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Error types that do not invalidate a history (upstream's allowed set).
pub const ALLOWED: [&str; 6] = [
    "int-send-skip",
    "G0",
    "G0-process",
    "G0-realtime",
    "PL-1-cycle-exists",
    "strong-PL-1-cycle-exists",
];

/// Options for [`check`].
#[derive(Debug, Clone)]
pub struct KafkaOpts {
    /// Examples kept per error type.
    pub max_errs: usize,
    /// Time and memory limits.
    pub budget: Budget,
}

impl Default for KafkaOpts {
    fn default() -> Self {
        KafkaOpts {
            max_errs: 8,
            budget: Budget::default(),
        }
    }
}

/// Count and first examples of one error type.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ErrorSummary {
    /// Number of occurrences.
    pub count: u64,
    /// The first few occurrences.
    pub errs: Vec<Value>,
}

/// The result of [`check`], with upstream's keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct KafkaResult {
    /// False iff a non-allowed error type occurred; unknown if the budget ran out.
    pub valid: Validity,
    /// Every error type found, sorted.
    pub error_types: Vec<String>,
    /// The error types not in [`ALLOWED`], sorted.
    pub bad_error_types: Vec<String>,
    /// The poll that lagged most behind the newest known offset of a key it
    /// held (seconds; see [`lag`]).
    pub worst_realtime_lag: WorstLag,
    /// The distinct errors of sends and polls that ended `info`, in order
    /// of first appearance (`null` for one without an error).
    pub info_txn_causes: Vec<Value>,
    /// Per error type: count and examples (flattened into the result map).
    #[serde(flatten)]
    pub errors: BTreeMap<String, ErrorSummary>,
    /// Why the verdict is unknown, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl KafkaResult {
    pub(crate) fn record(&mut self, kind: &str, err: impl FnOnce() -> Value, max: usize) {
        let e = self.errors.entry(kind.to_string()).or_default();
        e.count += 1;
        if e.errs.len() < max {
            e.errs.push(err());
        }
    }

    fn finish(mut self, budget_out: Option<String>) -> Self {
        self.error_types = self.errors.keys().cloned().collect();
        self.bad_error_types = self
            .error_types
            .iter()
            .filter(|t| !ALLOWED.contains(&t.as_str()))
            .cloned()
            .collect();
        // An unread part of the history can still explain what looks like an
        // error so far (a poll that catches up), so a budget that ran out
        // gives unknown, whatever was found.
        self.valid = if budget_out.is_some() {
            Validity::Unknown
        } else if !self.bad_error_types.is_empty() {
            Validity::Invalid
        } else {
            Validity::Valid
        };
        self.reason = budget_out;
        self
    }
}

/// Checks a kafka history.
///
/// Values: send invocation `[["send", key, msg]]`, ok completion
/// `[["send", key, [offset, msg]]]`; poll invocation `[["poll"]]`, ok
/// completion `[["poll", {key: [[offset, msg], ...]}]]`; assign: a list of keys.
pub fn check(history: &[Op], opts: &KafkaOpts) -> KafkaResult {
    let mut result = KafkaResult::default();
    let out = analysis::analyse(history, opts, &mut result);
    if out.is_ok() {
        result.worst_realtime_lag = lag::worst_realtime_lag(history);
    }
    result.info_txn_causes = info_causes(history);
    result.finish(out.err())
}

fn info_causes(history: &[Op]) -> Vec<Value> {
    let mut causes: Vec<Value> = Vec::new();
    for op in history.iter().filter(|o| {
        o.kind == OpType::Info && o.is_client() && matches!(o.f.as_str(), "send" | "poll")
    }) {
        let cause = op.error.clone().unwrap_or(Value::Null);
        if !causes.contains(&cause) {
            causes.push(cause);
        }
    }
    causes
}
