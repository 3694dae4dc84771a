//! Linearizability checking: Wing–Gong–Lowe search with memoisation,
//! partitioned by key (P-compositionality) and run in parallel.
//!
//! [`check`] takes a Maelstrom history (lin-kv style values `[key, value]`)
//! and a [`ModelKind`]; [`check_partitions`] takes already-typed operations
//! for any [`Model`].

mod convert;
mod memo;
pub mod model;
mod report;
mod search;

pub use convert::{partitions_from_history, partitions_with_initial, Parts};
pub use model::{
    CasOutcome, Interner, KvModel, KvOp, Model, Operation, RegOp, RegisterModel, StringTable,
};
pub use report::{Candidate, Explanation, KeyResult, LinResult, NullRead, OpView};

use crate::budget::Budget;
use crate::history::Op;
use crate::verdict::Validity;
use search::{search, Limits, SearchEnd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Which sequential model a history is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// Upstream lin-kv's register: `read`, `write`, `cas`; initially nil.
    CasRegister,
    /// A register with `read` and `write` only.
    Register,
    /// A string register with `get`, `put`, `append`; initially `""`.
    KvRegister,
}

/// Options for linearizability checks.
#[derive(Debug, Clone, Default)]
pub struct LinOpts {
    /// Time limit for the whole check and memory limit shared by the workers.
    pub budget: Budget,
    /// Worker threads (`None`: the available parallelism).
    pub threads: Option<usize>,
    /// Stop every other key once one key is found not linearizable (those
    /// keys then report `unknown`, "cancelled").
    pub stop_on_first_invalid: bool,
    /// Every key's initial value for [`check`] (`None`: nil for registers,
    /// `""` for the kv model).
    pub initial_value: Option<serde_json::Value>,
}

/// One independently checkable part of a history (usually one key).
#[derive(Debug, Clone)]
pub struct Partition<M: Model> {
    /// The key, as shown in results.
    pub key: String,
    /// The model instance for this partition.
    pub model: M,
    /// Its operations.
    pub ops: Vec<Operation<M::Op>>,
}

/// Checks a Maelstrom history for linearizability, key by key.
///
/// Values are `[key, value]` (`cas`: `[key, [from, to]]`). Failed ops are
/// dropped; ops without an ok completion may take effect any time after
/// their invocation, or never. Malformed ops make the verdict `unknown`.
/// Unlike upstream's model, an ok read of `null` means the register was
/// empty; a key whose blocking op is such a read is explained as a
/// [`NullRead`].
pub fn check(history: &[Op], model: ModelKind, opts: &LinOpts) -> LinResult {
    match partitions_with_initial(history, model, opts.initial_value.as_ref()) {
        Ok(Parts::Register(parts)) => {
            let mut r = check_partitions(parts, opts);
            report::explain_null_reads(&mut r, history);
            r
        }
        Ok(Parts::Kv(parts)) => check_partitions(parts, opts),
        Err(reason) => LinResult::unknown(reason),
    }
}

/// Checks each partition independently (in parallel) and merges the verdicts.
pub fn check_partitions<M>(parts: Vec<Partition<M>>, opts: &LinOpts) -> LinResult
where
    M: Model + Send,
    M::Op: Send,
    M::State: Send,
{
    let deadline = opts.budget.start();
    let cancel = AtomicBool::new(false);
    let workers = opts
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, parts.len().max(1));
    let limits = Limits {
        deadline,
        memory_bytes: opts.budget.memory_bytes / workers,
        cancel: &cancel,
    };
    // Biggest partitions first, for balance.
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(parts[i].ops.len()));
    let slots: Vec<Mutex<Option<Partition<M>>>> =
        parts.into_iter().map(|p| Mutex::new(Some(p))).collect();
    let results: Vec<Mutex<Option<KeyResult>>> = slots.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || loop {
        let k = next.fetch_add(1, Ordering::Relaxed);
        let Some(&i) = order.get(k) else { break };
        let taken = slots[i].lock().ok().and_then(|mut s| s.take());
        let Some(mut p) = taken else { continue };
        let r = run_one(&mut p, &limits);
        if r.valid == Validity::Invalid && opts.stop_on_first_invalid {
            cancel.store(true, Ordering::Relaxed);
        }
        if let Ok(mut slot) = results[i].lock() {
            *slot = Some(r);
        }
    };
    if workers == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(work);
            }
        });
    }
    let mut merged = LinResult::default();
    for (i, r) in results.into_iter().enumerate() {
        let r = r.into_inner().ok().flatten().unwrap_or_else(|| KeyResult {
            key: format!("#{i}"),
            valid: Validity::Unknown,
            op_count: 0,
            configurations: 0,
            reason: Some("worker failed".into()),
            explanation: None,
        });
        merged.add(r);
    }
    merged
}

fn run_one<M: Model>(p: &mut Partition<M>, limits: &Limits<'_>) -> KeyResult {
    let searched = search(&mut p.model, &p.ops, limits);
    let mut r = KeyResult {
        key: p.key.clone(),
        valid: Validity::Valid,
        op_count: p.ops.len(),
        configurations: searched.configurations,
        reason: None,
        explanation: None,
    };
    match searched.end {
        SearchEnd::Linearizable => {}
        SearchEnd::Unknown(why) => {
            r.valid = Validity::Unknown;
            r.reason = Some(why);
        }
        SearchEnd::NotLinearizable(f) => {
            r.valid = Validity::Invalid;
            r.explanation = Some(report::explain(&mut p.model, &p.ops, &f));
        }
    }
    r
}

#[cfg(test)]
mod tests;
