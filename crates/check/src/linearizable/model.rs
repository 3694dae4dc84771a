//! Sequential specifications for the linearizability checker.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

/// A sequential specification: a state machine that accepts or rejects
/// operations (each with its input and observed output).
///
/// `step` takes `&mut self` so that a model can intern states (a partition is
/// checked by one thread with its own model instance).
pub trait Model {
    /// The model state; must be cheap to clone and hash.
    type State: Clone + Eq + Hash + Debug;
    /// An operation: input and observed output.
    type Op: Debug;
    /// The initial state.
    fn init(&mut self) -> Self::State;
    /// The state after `op`, or `None` if `op` cannot happen in `state`.
    fn step(&mut self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;
    /// True if `op` never changes the state where it is legal (e.g. reads).
    /// Such operations are linearised greedily, which prunes the search.
    fn is_read_only(&self, op: &Self::Op) -> bool;
    /// Called once with every operation of the partition before the search.
    fn prepare(&mut self, _ops: &[Operation<Self::Op>]) {}
    /// Pruning hint: could `target` become legal from `state` by applying
    /// some of `others` first (each at most once, in some order)? Answering
    /// `true` is always sound; `false` must mean "impossible".
    fn may_reach(
        &mut self,
        _state: &Self::State,
        _target: &Self::Op,
        _others: &[&Self::Op],
    ) -> bool {
        true
    }
    /// A JSON rendering of a state, for explanations.
    fn describe_state(&self, state: &Self::State) -> Value;
    /// A JSON rendering of an operation, for explanations.
    fn describe_op(&self, op: &Self::Op) -> Value;
}

/// One operation of a history to check, with its real-time interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation<O> {
    /// Input and output.
    pub op: O,
    /// When it was invoked (any monotone clock, e.g. history position).
    pub call: u64,
    /// When it returned; `None` if it never did (an `info` op), in which case
    /// it may take effect at any time after `call`, or never.
    pub ret: Option<u64>,
    /// The history index of the invocation, for reports.
    pub index: u64,
}

/// Interns JSON values (or strings) to small ids; id 0 is reserved for `null`.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    values: Vec<Value>,
    ids: HashMap<String, u32>,
}

impl Interner {
    /// A fresh interner holding only `null` (id 0).
    #[must_use]
    pub fn new() -> Self {
        Interner {
            values: vec![Value::Null],
            ids: HashMap::from([("null".to_string(), 0)]),
        }
    }

    /// The id of `v`, allocating one if needed.
    pub fn intern(&mut self, v: &Value) -> u32 {
        let key = v.to_string();
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(v.clone());
        self.ids.insert(key, id);
        id
    }

    /// The value of an id (`null` for unknown ids).
    #[must_use]
    pub fn value(&self, id: u32) -> &Value {
        self.values.get(id as usize).unwrap_or(&Value::Null)
    }
}

/// Outcome of a compare-and-set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasOutcome {
    /// It succeeded: the state was `from` and became `to`.
    Ok,
    /// It definitely failed because the state was not `from`.
    Failed,
    /// Unknown: it took effect iff the state was `from`, or did not happen.
    Unknown,
}

/// An operation on a register; values are [`Interner`] ids (0 = nil).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegOp {
    /// A read that returned this value.
    Read(u32),
    /// A read whose result is unknown (accepts any state).
    ReadAny,
    /// A write of this value (ok or unknown: the same constraint).
    Write(u32),
    /// A compare-and-set.
    Cas {
        /// Expected value.
        from: u32,
        /// New value.
        to: u32,
        /// What the client saw.
        outcome: CasOutcome,
    },
}

/// A register (read, write, cas) whose values are interned; the initial
/// value is nil (id 0) unless given. The plain `Register` is the same model
/// without cas.
#[derive(Debug, Clone)]
pub struct RegisterModel {
    values: Arc<Interner>,
    initial: u32,
}

impl RegisterModel {
    /// A register model rendering values with `values`, initially nil.
    #[must_use]
    pub fn new(values: Arc<Interner>) -> Self {
        RegisterModel { values, initial: 0 }
    }

    /// A register model whose initial value is the interned id `initial`
    /// (Knossos's `(cas-register 0)`, say, where nil is the default).
    #[must_use]
    pub fn with_initial(values: Arc<Interner>, initial: u32) -> Self {
        RegisterModel { values, initial }
    }
}

impl Model for RegisterModel {
    type State = u32;
    type Op = RegOp;

    fn init(&mut self) -> u32 {
        self.initial
    }

    fn step(&mut self, &s: &u32, op: &RegOp) -> Option<u32> {
        match *op {
            RegOp::Read(v) => (s == v).then_some(s),
            RegOp::ReadAny => Some(s),
            RegOp::Write(v) => Some(v),
            RegOp::Cas { from, to, outcome } => match outcome {
                CasOutcome::Ok => (s == from).then_some(to),
                CasOutcome::Failed => (s != from).then_some(s),
                CasOutcome::Unknown => Some(if s == from { to } else { s }),
            },
        }
    }

    fn is_read_only(&self, op: &RegOp) -> bool {
        matches!(
            op,
            RegOp::Read(_)
                | RegOp::ReadAny
                | RegOp::Cas {
                    outcome: CasOutcome::Failed,
                    ..
                }
        )
    }

    fn may_reach(&mut self, &s: &u32, target: &RegOp, others: &[&RegOp]) -> bool {
        let needed = match *target {
            RegOp::Read(v) => v,
            RegOp::Cas {
                from,
                outcome: CasOutcome::Ok,
                ..
            } => from,
            _ => return true,
        };
        s == needed
            || others.iter().any(|o| match **o {
                RegOp::Write(v) => v == needed,
                RegOp::Cas { to, outcome, .. } => outcome != CasOutcome::Failed && to == needed,
                _ => false,
            })
    }

    fn describe_state(&self, &s: &u32) -> Value {
        self.values.value(s).clone()
    }

    fn describe_op(&self, op: &RegOp) -> Value {
        let v = |id: u32| self.values.value(id).clone();
        match *op {
            RegOp::Read(x) => json!(["read", v(x)]),
            RegOp::ReadAny => json!(["read", "?"]),
            RegOp::Write(x) => json!(["write", v(x)]),
            RegOp::Cas { from, to, outcome } => {
                let o = match outcome {
                    CasOutcome::Ok => "ok",
                    CasOutcome::Failed => "fail",
                    CasOutcome::Unknown => "?",
                };
                json!(["cas", [v(from), v(to)], o])
            }
        }
    }
}

/// An operation on a string register (Porcupine's kv model), with string ids
/// from the model's [`StringTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvOp {
    /// A get that returned this string.
    Get(u32),
    /// A get with unknown result.
    GetAny,
    /// Replace the value.
    Put(u32),
    /// Append to the value.
    Append(u32),
}

/// Interned strings; id 0 is the empty string.
#[derive(Debug, Clone)]
pub struct StringTable {
    strings: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u32>,
}

impl Default for StringTable {
    fn default() -> Self {
        let empty: Arc<str> = Arc::from("");
        StringTable {
            strings: vec![empty.clone()],
            ids: HashMap::from([(empty, 0)]),
        }
    }
}

impl StringTable {
    /// The id of `s`, allocating one if needed.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        let a: Arc<str> = Arc::from(s);
        self.strings.push(a.clone());
        self.ids.insert(a, id);
        id
    }

    /// The string of an id (empty for unknown ids).
    #[must_use]
    pub fn get(&self, id: u32) -> &str {
        self.strings.get(id as usize).map_or("", |s| s)
    }
}

/// A string register with get, put and append; the initial value is `""`
/// unless given.
/// States are interned strings, and appends are memoised per (state, suffix).
/// Strings that are not a prefix of any value a get returned all map to one
/// "unobservable" state, which keeps the memo table small when writes are
/// overwritten before anyone reads them.
#[derive(Debug, Clone, Default)]
pub struct KvModel {
    strings: StringTable,
    appends: HashMap<(u32, u32), u32>,
    /// Values returned by gets (set by `prepare`).
    observed: Vec<Arc<str>>,
    /// Per string id: 0 = not yet known, 1 = live, 2 = dead.
    live: Vec<u8>,
    /// The string id of the initial value.
    initial: u32,
}

/// The state standing for every string that no get returns, nor any
/// extension of it: such states behave identically until the next put.
const DEAD: u32 = u32::MAX;

impl KvModel {
    /// A model whose ops were interned in `strings`.
    #[must_use]
    pub fn new(strings: StringTable) -> Self {
        KvModel {
            strings,
            appends: HashMap::new(),
            observed: Vec::new(),
            live: Vec::new(),
            initial: 0,
        }
    }

    /// A model whose ops were interned in `strings` and whose initial value
    /// is the string id `initial`.
    #[must_use]
    pub fn with_initial(strings: StringTable, initial: u32) -> Self {
        KvModel {
            initial,
            ..KvModel::new(strings)
        }
    }
}

impl KvModel {
    /// `id`, or [`DEAD`] if no get could ever observe it or an extension.
    fn canon(&mut self, id: u32) -> u32 {
        if id == DEAD || self.observed.is_empty() {
            return id;
        }
        let i = id as usize;
        if self.live.len() <= i {
            self.live.resize(i + 1, 0);
        }
        if self.live[i] == 0 {
            let s = self.strings.get(id);
            let live = self.observed.iter().any(|g| g.starts_with(s));
            self.live[i] = if live { 1 } else { 2 };
        }
        if self.live[i] == 1 {
            id
        } else {
            DEAD
        }
    }
}

impl Model for KvModel {
    type State = u32;
    type Op = KvOp;

    fn init(&mut self) -> u32 {
        self.canon(self.initial)
    }

    fn prepare(&mut self, ops: &[Operation<KvOp>]) {
        let mut seen: Vec<u32> = ops
            .iter()
            .filter_map(|o| match o.op {
                KvOp::Get(v) => Some(v),
                _ => None,
            })
            .collect();
        seen.sort_unstable();
        seen.dedup();
        self.observed = seen
            .iter()
            .map(|&v| Arc::from(self.strings.get(v)))
            .collect();
        // With no observations every state is equivalent; keep them exact
        // (canon is the identity) so explanations stay readable.
        self.live.clear();
    }

    fn step(&mut self, &s: &u32, op: &KvOp) -> Option<u32> {
        match *op {
            KvOp::Get(v) => (s == v).then_some(s),
            KvOp::GetAny => Some(s),
            KvOp::Put(v) => Some(self.canon(v)),
            KvOp::Append(_) if s == DEAD => Some(DEAD),
            KvOp::Append(v) => {
                if let Some(&n) = self.appends.get(&(s, v)) {
                    return Some(n);
                }
                let joined = format!("{}{}", self.strings.get(s), self.strings.get(v));
                let n = self.strings.intern(&joined);
                let n = self.canon(n);
                self.appends.insert((s, v), n);
                Some(n)
            }
        }
    }

    fn is_read_only(&self, op: &KvOp) -> bool {
        matches!(op, KvOp::Get(_) | KvOp::GetAny)
    }

    fn may_reach(&mut self, &s: &u32, target: &KvOp, others: &[&KvOp]) -> bool {
        let KvOp::Get(want) = *target else {
            return true;
        };
        if s == want {
            return true;
        }
        let dead = s == DEAD;
        let want = self.strings.get(want);
        let have = self.strings.get(s);
        // A put of a prefix of `want` may restart the string.
        if others.iter().any(|o| match **o {
            KvOp::Put(p) => want.starts_with(self.strings.get(p)),
            _ => false,
        }) {
            return true;
        }
        // Otherwise the string only grows: it must already be a prefix, and
        // some pending append must supply the next part.
        if dead {
            return false;
        }
        let Some(rest) = want.strip_prefix(have) else {
            return false;
        };
        others.iter().any(|o| match **o {
            KvOp::Append(a) => {
                let a = self.strings.get(a);
                !a.is_empty() && rest.starts_with(a)
            }
            _ => false,
        })
    }

    fn describe_state(&self, &s: &u32) -> Value {
        if s == DEAD {
            return json!("<a string no get returned>");
        }
        json!(self.strings.get(s))
    }

    fn describe_op(&self, op: &KvOp) -> Value {
        let s = |id: u32| self.strings.get(id).to_string();
        match *op {
            KvOp::Get(v) => json!(["get", s(v)]),
            KvOp::GetAny => json!(["get", "?"]),
            KvOp::Put(v) => json!(["put", s(v)]),
            KvOp::Append(v) => json!(["append", s(v)]),
        }
    }
}
