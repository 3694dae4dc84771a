//! Transactional anomalies (upstream's txn-list-append and txn-rw-register
//! checkers, after Elle and Adya's formalism).
//!
//! A history of `txn` operations — each a list of micro-ops `["r", k, v]`,
//! `["w", k, v]` or `["append", k, v]` — is turned into a dependency graph
//! between transactions: ww (one installed a version after another's), wr
//! (one read another's version), rw (one overwrote what another read), plus
//! process and real-time order when the requested models need them. How
//! version orders are inferred, soundly, is described in [`list_append`]
//! (reads are prefixes of each key's order) and [`rw_register`] (unique
//! writes, initial nil, writes following reads, the final state).
//!
//! Cycles in the graph are anomalies (see [`cycles`]): G0, G1c, G-single and
//! G2-item, and their `-process` and `-realtime` variants. Beside cycles:
//! `internal`, `G1a`, `G1b`, `garbage-read`, `duplicate-elements`,
//! `incompatible-order`, `dirty-update`, `lost-update`. Each consistency
//! model forbids some of them ([`models`]); the result is invalid when an
//! anomaly a requested model forbids occurs, unknown when only others
//! occur, and lists the models ruled out (`not`: the weakest, `also-not`:
//! the stronger ones).
//!
//! Committed (`ok`) transactions are in the graph with their reads;
//! indeterminate (`info`) ones only through writes someone observed (they
//! took effect, but their reads are unknown); failed ones never, and reading
//! their writes is G1a. The analysis is linear in the history but for the
//! cycle searches, which only run in nontrivial components; the time
//! budget covers both, and a spent budget gives `unknown` unless a
//! forbidden anomaly was already found.

mod cycles;
mod graph;
mod list_append;
pub mod models;
mod parse;
mod rw_register;
#[cfg(test)]
mod tests;

use crate::budget::{Budget, Meter};
use crate::history::Op;
use crate::verdict::Validity;
use cycles::Level;
use graph::{Graph, Spent, PROC, RT};
use parse::{Grammar, Parsed, Status};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Which kind of transactions the history holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnKind {
    /// `txn-list-append`: reads return lists, writes are `append`.
    ListAppend,
    /// `txn-rw-register`: reads return a value or nil, writes are `w`.
    RwRegister,
}

/// Options for [`check`].
#[derive(Debug, Clone)]
pub struct TxnOpts {
    /// The models the history must satisfy (upstream's names).
    pub consistency_models: Vec<String>,
    /// Examples kept per anomaly type.
    pub max_examples: usize,
    /// Anomalies the models allow leave the verdict valid (upstream's
    /// txn-rw-register: its checker reports only what the models forbid, and
    /// any reported anomaly is invalid, so a totally available store's
    /// G-single at read-committed passes, as the challenge expects). Without
    /// it, allowed anomalies make the verdict unknown, as Elle's list-append.
    pub allowed_anomalies_valid: bool,
    /// Time and memory limits.
    pub budget: Budget,
}

impl Default for TxnOpts {
    /// strict-serializable, 8 examples, the default budget.
    fn default() -> Self {
        TxnOpts {
            consistency_models: vec![models::DEFAULT_MODEL.to_string()],
            max_examples: 8,
            allowed_anomalies_valid: false,
            budget: Budget::default(),
        }
    }
}

/// One anomaly: the transactions involved and why, a line per step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    /// The operations (completions of ok transactions, invocations of the
    /// others), in cycle order for cycles.
    pub txns: Vec<Value>,
    /// For a cycle, one line per edge (`"T1 < T2: ..."`); else one line.
    pub explanation: Vec<String>,
}

/// The result of [`check`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TxnResult {
    /// False if a forbidden anomaly occurred; unknown if only others did,
    /// or the budget ran out first.
    pub valid: Validity,
    /// Every anomaly type found, sorted.
    pub anomaly_types: Vec<String>,
    /// Per type, the first examples.
    pub anomalies: BTreeMap<String, Vec<Anomaly>>,
    /// Per type, how many were found.
    pub anomaly_counts: BTreeMap<String, u64>,
    /// The weakest models the anomalies rule out.
    pub not: Vec<String>,
    /// The stronger models they rule out too.
    pub also_not: Vec<String>,
    /// Transactions read: ok, info and fail.
    pub txn_count: usize,
    /// Why the verdict is unknown, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Collects anomalies: counts, and the first examples of each type.
pub(crate) struct Recorder {
    max: usize,
    found: BTreeMap<String, (u64, Vec<Anomaly>)>,
}

impl Recorder {
    pub(crate) fn record(&mut self, kind: &str, make: impl FnOnce() -> Anomaly) {
        let e = self.found.entry(kind.to_string()).or_default();
        e.0 += 1;
        if e.1.len() < self.max {
            e.1.push(make());
        }
    }
}

/// What the analyses share for naming things in explanations.
pub(crate) trait Explain {
    fn parsed(&self) -> &Parsed<'_>;
    /// One line for a data edge `a -> b` of `kind`.
    fn explain(&self, a: usize, b: usize, kind: u8) -> String;

    fn name(&self, t: usize) -> String {
        format!("T{}", self.parsed().txns[t].index)
    }
    fn key(&self, k: u32) -> String {
        self.parsed().keys.atoms[k as usize].to_string()
    }
    fn val(&self, v: u32) -> String {
        self.parsed().vals.atoms[v as usize].to_string()
    }
    fn anomaly(&self, ts: &[usize], line: String) -> Anomaly {
        let p = self.parsed();
        Anomaly {
            txns: ts.iter().map(|&t| p.op_json(t)).collect(),
            explanation: vec![line],
        }
    }
}

/// A transactional history in compact form: keys and values interned,
/// micro-ops in flat arrays, no JSON kept. Built one operation at a time
/// with [`TxnHistoryBuilder`], so a long history never needs to exist as
/// JSON values all at once; checked with [`check_history`].
pub struct TxnHistory {
    parsed: Parsed<'static>,
    kind: TxnKind,
}

impl TxnHistory {
    /// Reads a whole history of operations.
    #[must_use]
    pub fn from_ops(history: &[Op], kind: TxnKind) -> TxnHistory {
        let mut b = TxnHistoryBuilder::new(kind);
        for op in history {
            b.push(op);
        }
        b.finish()
    }

    /// The transactions read (ok, info and fail).
    #[must_use]
    pub fn len(&self) -> usize {
        self.parsed.txns.len()
    }

    /// True if the history holds no transaction.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.parsed.txns.is_empty()
    }

    /// The kind of transactions it holds.
    #[must_use]
    pub fn kind(&self) -> TxnKind {
        self.kind
    }
}

/// Reads a history one operation at a time, in history order, into a
/// [`TxnHistory`]. Operations are paired as [`crate::history::pairs`]
/// pairs them; only `txn` operations of client processes become
/// transactions, and an invocation still open at the end is indeterminate.
pub struct TxnHistoryBuilder {
    inner: parse::Builder,
    kind: TxnKind,
}

impl TxnHistoryBuilder {
    /// An empty history of `kind` transactions.
    #[must_use]
    pub fn new(kind: TxnKind) -> TxnHistoryBuilder {
        TxnHistoryBuilder {
            inner: parse::Builder::new(grammar(kind)),
            kind,
        }
    }

    /// Reads the next operation; the op itself is not kept.
    pub fn push(&mut self, op: &Op) {
        self.inner.push(op);
    }

    /// The history read so far.
    #[must_use]
    pub fn finish(self) -> TxnHistory {
        TxnHistory {
            parsed: self.inner.finish(),
            kind: self.kind,
        }
    }
}

fn grammar(kind: TxnKind) -> Grammar {
    match kind {
        TxnKind::ListAppend => Grammar::List,
        TxnKind::RwRegister => Grammar::Register,
    }
}

/// Checks a transactional history against `opts.consistency_models`.
/// Reports quote the history's operations as recorded.
pub fn check(history: &[Op], kind: TxnKind, opts: &TxnOpts) -> TxnResult {
    check_parsed(&parse::parse(history, grammar(kind)), kind, opts)
}

/// Checks a compact history, as [`check`] does. Reports show each
/// transaction's op rebuilt from the history (index, type, process, time,
/// micro-ops), without fields the checker does not read.
pub fn check_history(history: &TxnHistory, opts: &TxnOpts) -> TxnResult {
    check_parsed(&history.parsed, history.kind, opts)
}

fn check_parsed(parsed: &Parsed<'_>, kind: TxnKind, opts: &TxnOpts) -> TxnResult {
    let unknown: Vec<&String> = opts
        .consistency_models
        .iter()
        .filter(|m| !models::is_known(m))
        .collect();
    if !unknown.is_empty() {
        return TxnResult {
            valid: Validity::Unknown,
            reason: Some(format!(
                "unknown consistency models {unknown:?}; known: {:?}",
                models::known_models()
            )),
            ..TxnResult::default()
        };
    }
    let forbidden: Vec<&str> = opts
        .consistency_models
        .iter()
        .flat_map(|m| models::forbidden_by(m))
        .collect();
    let level = if forbidden.contains(&"G0-realtime") {
        Level::Realtime
    } else if forbidden.contains(&"G0-process") {
        Level::Process
    } else {
        Level::Data
    };
    let mut meter = Meter::new(&opts.budget);
    let mut rec = Recorder {
        max: opts.max_examples,
        found: BTreeMap::new(),
    };
    let outcome = analyse(parsed, kind, level, opts, &mut rec, &mut meter);
    let mut result = TxnResult {
        txn_count: parsed.txns.len(),
        ..TxnResult::default()
    };
    for (k, (n, examples)) in rec.found {
        result.anomaly_types.push(k.clone());
        result.anomaly_counts.insert(k.clone(), n);
        result.anomalies.insert(k, examples);
    }
    (result.not, result.also_not) = models::ruled_out(&result.anomaly_types);
    let bad = result
        .anomaly_types
        .iter()
        .any(|t| forbidden.contains(&t.as_str()));
    result.valid = if bad {
        Validity::Invalid
    } else if let Err(why) = outcome {
        result.reason = Some(why);
        Validity::Unknown
    } else if result.anomaly_types.is_empty() || opts.allowed_anomalies_valid {
        Validity::Valid
    } else {
        Validity::Unknown
    };
    if parsed.malformed > 0 && result.reason.is_none() {
        result.reason = Some(format!(
            "{} transactions had unreadable values and were skipped",
            parsed.malformed
        ));
    }
    result
}

fn analyse(
    p: &Parsed<'_>,
    kind: TxnKind,
    level: Level,
    opts: &TxnOpts,
    rec: &mut Recorder,
    meter: &mut Meter,
) -> Result<(), String> {
    let spent = |_| "time budget spent".to_string();
    let mut edges = Vec::new();
    let ex: Box<dyn Explain> = match kind {
        TxnKind::ListAppend => {
            Box::new(list_append::ListAppend::analyse(p, rec, &mut edges, meter).map_err(spent)?)
        }
        TxnKind::RwRegister => {
            Box::new(rw_register::RwRegister::analyse(p, rec, &mut edges, meter).map_err(spent)?)
        }
    };
    if level >= Level::Process {
        order_edges(p, level, &mut edges);
    }
    // Edge triples, then adjacency lists: about 12 + 5 bytes per edge.
    let need = edges.len() * 17 + p.txns.len() * 64;
    if need > opts.budget.memory_bytes {
        return Err(format!(
            "memory budget: {} edges need about {need} bytes",
            edges.len()
        ));
    }
    let g = Graph::build(p.txns.len(), edges);
    cycles::search(&g, level, ex.as_ref(), rec, meter).map_err(|Spent| {
        format!(
            "time budget spent searching cycles among {} edges",
            g.edge_count()
        )
    })
}

/// Process order (consecutive transactions of a process) and, at the
/// real-time level, real-time order: `a` completed before `b` began. The
/// real-time edges form a transitive reduction's superset of linear size:
/// each transaction gets edges from the frontier of transactions that
/// completed before it began and that nothing completed later follows,
/// which is at most one per concurrent process.
fn order_edges(p: &Parsed<'_>, level: Level, edges: &mut Vec<(u32, u32, u8)>) {
    let live = |t: &parse::Txn| t.status != Status::Fail;
    let mut last: BTreeMap<i64, usize> = BTreeMap::new();
    for (t, txn) in p.txns.iter().enumerate().filter(|(_, x)| live(x)) {
        if let Some(prev) = last.insert(txn.process, t) {
            if p.txns[prev].status == Status::Ok {
                edges.push((prev as u32, t as u32, PROC));
            }
        }
    }
    if level < Level::Realtime {
        return;
    }
    let mut done: Vec<(u64, usize)> = p
        .txns
        .iter()
        .enumerate()
        .filter(|(_, x)| x.status == Status::Ok)
        .map(|(t, x)| (x.complete_pos, t))
        .collect();
    done.sort_unstable();
    let mut frontier: Vec<usize> = Vec::new();
    let mut d = 0;
    for (t, txn) in p.txns.iter().enumerate().filter(|(_, x)| live(x)) {
        while d < done.len() && done[d].0 < txn.invoke_pos {
            let c = done[d].1;
            let began = p.txns[c].invoke_pos;
            frontier.retain(|&f| p.txns[f].complete_pos > began);
            frontier.push(c);
            d += 1;
        }
        edges.extend(frontier.iter().map(|&f| (f as u32, t as u32, RT)));
    }
}
