//! Results of linearizability checks and explanations of failures.

use super::model::{Model, Operation};
use super::search::Failure;
use crate::history::{Op, OpType};
use crate::verdict::Validity;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// An operation as shown in explanations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpView {
    /// History index of the invocation.
    pub index: u64,
    /// Invocation time.
    pub call: u64,
    /// Return time; `null` if it never returned.
    pub ret: Option<u64>,
    /// The operation, rendered by the model.
    pub op: Value,
}

/// An operation that could have come next, and what the model says about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Candidate {
    /// The operation.
    pub op: OpView,
    /// The state it would lead to, or `null` if it is illegal in the state.
    pub next_state: Option<Value>,
}

/// Why a partition is not linearizable: the longest linearisable prefix found
/// and the window of operations none of which could extend it successfully.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Explanation {
    /// Length of the longest linearised prefix.
    pub linearized_count: usize,
    /// The last (up to 8) ops of that prefix, each with the state after it.
    pub last_linearized: Vec<(OpView, Value)>,
    /// The model state after the prefix.
    pub state: Value,
    /// An op not in the prefix that cannot be linearised after it: one the
    /// search proved can never become legal, or else the earliest-returning
    /// pending op (it must be linearised before its return).
    pub blocking_op: Option<OpView>,
    /// Ops invoked before the blocking op returned (the concurrent window),
    /// with the state each would lead to from `state` (up to 32).
    pub candidates: Vec<Candidate>,
    /// Set when the blocking op is a read that returned `null` while the
    /// register held a value: the commonest way to fail lin-kv, and one
    /// upstream's checker lets through, so it gets its own words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub null_read: Option<NullRead>,
}

/// A read that returned `null` (a missing key) where the register held a value.
///
/// Upstream Maelstrom checks lin-kv with Knossos's cas-register model, which
/// takes a `null` read result for "unknown" and accepts it in any state. Here
/// `null` is the value read, so the read is illegal unless the register was
/// empty; a node that means "no such key" must answer error 20 instead.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct NullRead {
    /// History index of the read's invocation.
    pub index: u64,
    /// The process that read.
    pub process: i64,
    /// The key read.
    pub key: String,
    /// What the register held after the longest linearizable prefix.
    pub held: Value,
    /// The explanation in words.
    pub text: String,
}

/// The verdict for one key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct KeyResult {
    /// The key.
    pub key: String,
    /// Linearizable, not, or undecided.
    pub valid: Validity,
    /// Operations checked.
    pub op_count: usize,
    /// Configurations memoised during the search.
    pub configurations: usize,
    /// Why the verdict is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why the key is not linearizable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// The verdict for a whole history: per-key results merged.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct LinResult {
    /// False if any key is not linearizable, else unknown if any key is
    /// undecided, else true.
    pub valid: Validity,
    /// Number of keys.
    pub key_count: usize,
    /// Keys that are not linearizable, sorted.
    pub failures: Vec<String>,
    /// Keys that could not be decided, sorted.
    pub unknown: Vec<String>,
    /// Per-key results.
    pub results: BTreeMap<String, KeyResult>,
    /// Why the whole check is unknown (e.g. a malformed history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl LinResult {
    /// An undecided result for the whole history.
    #[must_use]
    pub fn unknown(reason: String) -> Self {
        LinResult {
            valid: Validity::Unknown,
            reason: Some(reason),
            ..LinResult::default()
        }
    }

    pub(crate) fn add(&mut self, r: KeyResult) {
        self.valid = self.valid.merge(r.valid);
        self.key_count += 1;
        match r.valid {
            Validity::Invalid => self.failures.push(r.key.clone()),
            Validity::Unknown => self.unknown.push(r.key.clone()),
            Validity::Valid => {}
        }
        self.failures.sort();
        self.unknown.sort();
        self.results.insert(r.key.clone(), r);
    }
}

fn view<M: Model>(model: &M, o: &Operation<M::Op>) -> OpView {
    OpView {
        index: o.index,
        call: o.call,
        ret: o.ret,
        op: model.describe_op(&o.op),
    }
}

pub(crate) fn explain<M: Model>(
    model: &mut M,
    ops: &[Operation<M::Op>],
    f: &Failure<M::State>,
) -> Explanation {
    let mut state = model.init();
    let mut last = Vec::new();
    let tail_from = f.prefix.len().saturating_sub(8);
    for (k, &i) in f.prefix.iter().enumerate() {
        state = model.step(&state, &ops[i].op).unwrap_or(state);
        if k >= tail_from {
            last.push((view(model, &ops[i]), model.describe_state(&state)));
        }
    }
    let pending: Vec<usize> = (0..ops.len()).filter(|&i| !f.linearised[i]).collect();
    let blocking = f.culprit.or_else(|| {
        pending
            .iter()
            .copied()
            .filter(|&i| ops[i].ret.is_some())
            .min_by_key(|&i| (ops[i].ret, i))
    });
    let horizon = blocking.and_then(|b| ops[b].ret).unwrap_or(u64::MAX);
    let mut window: Vec<usize> = pending
        .into_iter()
        .filter(|&i| ops[i].call < horizon)
        .collect();
    window.sort_by_key(|&i| (ops[i].call, i));
    window.truncate(32);
    let candidates = window
        .into_iter()
        .map(|i| Candidate {
            op: view(model, &ops[i]),
            next_state: model
                .step(&f.state, &ops[i].op)
                .map(|s| model.describe_state(&s)),
        })
        .collect();
    Explanation {
        linearized_count: f.prefix.len(),
        last_linearized: last,
        state: model.describe_state(&f.state),
        blocking_op: blocking.map(|b| view(model, &ops[b])),
        candidates,
        null_read: None,
    }
}

/// Adds a [`NullRead`] to every failed key of `result` whose blocking op is a
/// read that returned `null` while the register held a value. `history` is
/// the one `result` was computed from (for the reading process).
pub(crate) fn explain_null_reads(result: &mut LinResult, history: &[Op]) {
    for r in result.results.values_mut() {
        let key = r.key.clone();
        let Some(e) = r.explanation.as_mut() else {
            continue;
        };
        let Some(b) = &e.blocking_op else { continue };
        // A register model renders an ok read of nil as ["read", null]; a
        // read whose result is unknown renders as ["read", "?"].
        if b.op != serde_json::json!(["read", null]) || e.state.is_null() {
            continue;
        }
        let process = history
            .iter()
            .find(|o| o.index == b.index && o.kind == OpType::Invoke)
            .map_or(-1, |o| o.process);
        let text = format!(
            "Read {index} by process {process} of key {key} returned null, but the register \
             held {held} at that point (after the {n} operations linearized before it). \
             A key that does not exist must be answered with error 20 (key-does-not-exist), \
             never with a null value, and a key that was written never reads as missing. \
             Upstream Maelstrom's checker would not have caught this: its cas-register \
             model accepts a null read in any state.",
            index = b.index,
            held = e.state,
            n = e.linearized_count,
        );
        e.null_read = Some(NullRead {
            index: b.index,
            process,
            key,
            held: e.state.clone(),
            text,
        });
    }
}
