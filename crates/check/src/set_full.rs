//! Jepsen's `set-full` checker (upstream §4.2), used for broadcast and g-set.
//!
//! Every added element is classified from the ok reads that follow: *stable*
//! (finally present and never absent again), *lost* (known to exist, then
//! absent from every later read) or *never read*.
//!
//! "Later" is history order (each op's index), never timestamps: in
//! simulation many reads start at the same virtual instant, and a read that
//! started later in the history but at an equal time must still count as
//! later. Timestamps are used only for the latencies.

use crate::budget::{Budget, Meter};
use crate::history::{Op, OpType};
use crate::util::{cmp_json, nanos_to_ms, quantile_map, OrdValue};
use crate::verdict::Validity;
use serde::Serialize;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Options for [`check`].
#[derive(Debug, Clone)]
pub struct SetFullOpts {
    /// The function that adds an element (`"broadcast"` or `"add"`); its
    /// invocation value is the element.
    pub add_f: String,
    /// The function that reads the set; its ok value is an array of elements.
    pub read_f: String,
    /// Whether an element read twice within one read invalidates the history
    /// (upstream's duplicate check never fires, so the default is `false`).
    pub duplicates_invalid: bool,
    /// Time and memory limits.
    pub budget: Budget,
}

impl SetFullOpts {
    /// Options for the broadcast workload (`broadcast` / `read`).
    #[must_use]
    pub fn broadcast() -> Self {
        Self::new("broadcast", "read")
    }

    /// Options for the g-set workload (`add` / `read`).
    #[must_use]
    pub fn g_set() -> Self {
        Self::new("add", "read")
    }

    /// Options for any add and read function names.
    #[must_use]
    pub fn new(add_f: &str, read_f: &str) -> Self {
        SetFullOpts {
            add_f: add_f.into(),
            read_f: read_f.into(),
            duplicates_invalid: false,
            budget: Budget::default(),
        }
    }
}

/// One entry of `worst-stale`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct StaleElement {
    /// The element.
    pub element: Value,
    /// Always `"stable"`.
    pub outcome: String,
    /// Milliseconds from when the element was known until it was stably visible.
    pub stable_latency: u64,
    /// When the element was known to exist (ns).
    pub known_time: u64,
    /// Invocation time of the last read that missed it (ns).
    pub last_absent_time: Option<u64>,
}

/// The result of [`check`], with upstream's keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct SetFullResult {
    /// False if any element was lost; unknown if no element is stable.
    pub valid: Validity,
    /// Number of distinct elements whose addition was attempted.
    pub attempt_count: u64,
    /// Elements eventually always present.
    pub stable_count: u64,
    /// Elements known to exist that later reads never returned.
    pub lost_count: u64,
    /// The lost elements, sorted.
    pub lost: Vec<Value>,
    /// Elements no read could classify.
    pub never_read_count: u64,
    /// The never-read elements, sorted.
    pub never_read: Vec<Value>,
    /// Stable elements that were missing from some read after they were known.
    pub stale_count: u64,
    /// The stale elements, sorted.
    pub stale: Vec<Value>,
    /// The (up to) 8 stale elements with the highest latency.
    pub worst_stale: Vec<StaleElement>,
    /// Quantiles (0, 0.5, 0.95, 0.99, 1) of stable latencies in ms.
    pub stable_latencies: Option<BTreeMap<String, u64>>,
    /// Quantiles of lost latencies in ms, when any element was lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_latencies: Option<BTreeMap<String, u64>>,
    /// Number of elements that some read returned more than once.
    pub duplicated_count: u64,
    /// `[element, max copies in one read]`, sorted by element.
    pub duplicated: Vec<(Value, u64)>,
    /// Why the verdict is unknown, if the budget ran out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Element ids by value, equal values (in [`cmp_json`]'s sense) sharing one.
///
/// Broadcast and g-set elements are integers, and every ok read lists all of
/// them, so lookups dominate the check. Small non-negative integers (the
/// common case: workloads count their elements up from 0) are found by
/// indexing a vector, other integers through a hash map, neither copying nor
/// comparing JSON. Anything else goes through the JSON order, which also
/// decides whether a non-integer number (`1.0`) is the same element as an
/// integer (`1`).
#[derive(Default)]
struct Ids {
    /// `dense[i]` is the id of the integer `i` plus one, or 0 if `i` is no
    /// element; only integers below [`DENSE_LIMIT`] live here.
    dense: Vec<u32>,
    /// Every other integer element.
    ints: HashMap<i64, usize, BuildHasherDefault<IntHasher>>,
    other: BTreeMap<OrdValue, usize>,
    /// Whether `other` holds a number, which an integer may equal.
    other_numbers: bool,
}

/// Integers in `0..DENSE_LIMIT` get their id from [`Ids::dense`]: a table of
/// at most 4 MiB, grown only as far as the largest such element.
const DENSE_LIMIT: u64 = 1 << 20;

impl Ids {
    /// The id of element `v`, if it is one: small integers found here
    /// (inlined into the loop over a read's elements), the rest in
    /// [`Ids::get_general`].
    #[inline(always)]
    fn get(&self, v: &Value) -> Option<usize> {
        if let Value::Number(n) = v {
            let slot = n
                .as_u64()
                .and_then(|u| self.dense.get(usize::try_from(u).ok()?));
            if let Some(&slot) = slot.filter(|&&s| s != 0) {
                return Some(slot as usize - 1);
            }
        }
        self.get_general(v)
    }

    /// Kept out of line so that [`Ids::get`] stays small enough to inline.
    #[inline(never)]
    fn get_general(&self, v: &Value) -> Option<usize> {
        if let Some(i) = v.as_i64() {
            let found = self.get_int(i);
            if found.is_some() || !self.other_numbers {
                return found;
            }
            return self.other.get(&OrdValue(v.clone())).copied();
        }
        if let Some(&id) = self.other.get(&OrdValue(v.clone())) {
            return Some(id);
        }
        if !v.is_number() {
            return None;
        }
        // A float or a large unsigned number equal to an integer element:
        // rare enough for a scan; the smallest id keeps it deterministic.
        self.int_entries()
            .filter(|&(i, _)| cmp_json(&Value::from(i), v) == Ordering::Equal)
            .map(|(_, id)| id)
            .min()
    }

    /// The id of the integer element `i`, if it is one.
    fn get_int(&self, i: i64) -> Option<usize> {
        match u64::try_from(i) {
            Ok(u) if u < DENSE_LIMIT => {
                let slot = self.dense.get(u as usize).copied().unwrap_or(0);
                match (slot as usize).checked_sub(1) {
                    // Only an id past `u32` puts a small integer in `ints`.
                    None if !self.ints.is_empty() => self.ints.get(&i).copied(),
                    found => found,
                }
            }
            _ => self.ints.get(&i).copied(),
        }
    }

    /// Every integer element with its id, in no particular order.
    fn int_entries(&self) -> impl Iterator<Item = (i64, usize)> + '_ {
        let dense = self.dense.iter().enumerate().filter(|(_, &s)| s != 0);
        dense
            .map(|(i, &s)| (i as i64, s as usize - 1))
            .chain(self.ints.iter().map(|(&i, &id)| (i, id)))
    }

    /// Adds `v` with id `id`; the caller has checked that it is new.
    fn insert(&mut self, v: &Value, id: usize) {
        match v.as_i64() {
            Some(i) => match (u64::try_from(i), u32::try_from(id + 1)) {
                (Ok(u), Ok(slot)) if u < DENSE_LIMIT => {
                    let u = u as usize;
                    if self.dense.len() <= u {
                        self.dense.resize(u + 1, 0);
                    }
                    self.dense[u] = slot;
                }
                _ => {
                    self.ints.insert(i, id);
                }
            },
            None => {
                self.other_numbers |= v.is_number();
                self.other.insert(OrdValue(v.clone()), id);
            }
        }
    }
}

/// A hasher for integer keys: one multiplication (Fibonacci hashing). The
/// keys come from the history, not from an adversary, so the default
/// SipHash's protection against chosen collisions only costs time here.
#[derive(Default)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        // The high bits of the product depend on every bit of the key; the
        // rotation brings them down to the low bits the table indexes by.
        self.0 = (self.0 ^ i)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(26);
    }
}

/// A point in the history: (index, time in ns).
type At = (u64, u64);

#[derive(Debug, Clone)]
struct Elem {
    value: Value,
    /// The completion that made the element known: the add's ok, or the
    /// first ok read that returned it.
    known: Option<At>,
    /// The invocation of the latest read (by index) that saw it.
    last_present: Option<At>,
    /// The invocation of the latest read (by index) that missed it.
    last_absent: Option<At>,
}

enum Outcome {
    Stable(u64),
    Lost(u64),
    NeverRead,
}

impl Elem {
    /// Classifies the element by history order; only latencies use time.
    fn outcome(&self) -> Outcome {
        let idx = |a: Option<At>| a.map(|(i, _)| i);
        let (present, absent) = (idx(self.last_present), idx(self.last_absent));
        let stable = present.is_some_and(|p| absent.is_none_or(|a| a < p));
        if stable {
            let known = self.known.map_or(0, |k| k.1);
            let stable_time = self.last_absent.map_or(0, |a| a.1 + 1);
            return Outcome::Stable(nanos_to_ms(stable_time.saturating_sub(known)));
        }
        if let (Some(known), Some(la)) = (self.known, self.last_absent) {
            if present.is_none_or(|p| p < la.0) && known.0 < la.0 {
                return Outcome::Lost(nanos_to_ms(la.1.saturating_sub(known.1)));
            }
        }
        Outcome::NeverRead
    }
}

/// What the reads so far say of every element, one array per field (the
/// per-read pass over every element touches only what it needs).
#[derive(Default)]
struct Track {
    values: Vec<Value>,
    /// [`Elem::known`] by id.
    known: Vec<Option<At>>,
    /// [`Elem::last_present`] by id.
    present: Vec<Option<At>>,
    /// [`Elem::last_absent`] by id.
    absent: Vec<Option<At>>,
    /// The number of the latest read that returned the element.
    stamp: Vec<u64>,
}

/// How many elements one read updates between two budget ticks.
const TICK_ELEMS: usize = 4096;

impl Track {
    fn push(&mut self, value: &Value) {
        self.values.push(value.clone());
        self.known.push(None);
        self.present.push(None);
        self.absent.push(None);
        self.stamp.push(0);
    }

    /// Records read number `read` (invoked at `inv`, completed at `done`) in
    /// elements `ids`: those it returned (stamped `read`) are present, the
    /// others absent; each keeps the read latest by index.
    fn apply_read(&mut self, ids: std::ops::Range<usize>, read: u64, inv: At, done: At) {
        let later = |slot: &Option<At>| slot.is_none_or(|(i, _)| i < inv.0);
        let fields = self.stamp[ids.clone()]
            .iter()
            .zip(&mut self.known[ids.clone()])
            .zip(&mut self.present[ids.clone()])
            .zip(&mut self.absent[ids]);
        for (((&stamp, known), present), absent) in fields {
            let slot = if stamp == read {
                if known.is_none() {
                    *known = Some(done);
                }
                present
            } else {
                absent
            };
            if later(slot) {
                *slot = Some(inv);
            }
        }
    }

    fn into_elems(self) -> Vec<Elem> {
        let fields = self.known.into_iter().zip(self.present).zip(self.absent);
        self.values
            .into_iter()
            .zip(fields)
            .map(|(value, ((known, last_present), last_absent))| Elem {
                value,
                known,
                last_present,
                last_absent,
            })
            .collect()
    }
}

/// Checks a set history (upstream `set-full`, non-linearizable mode).
pub fn check(history: &[Op], opts: &SetFullOpts) -> SetFullResult {
    let mut checker = SetFullChecker::new(opts.clone());
    for op in history {
        if !checker.read(op, &op.value) {
            break;
        }
    }
    checker.finish(history.len() as u64)
}

/// [`check`] fed one operation at a time, in history order, as a history is
/// recorded: [`SetFullChecker::finish`] gives what `check` gives for the
/// operations fed. Its time budget counts only the time spent in
/// [`SetFullChecker::feed`], not the waits between operations.
pub struct SetFullChecker {
    opts: SetFullOpts,
    meter: Meter,
    /// When the last [`SetFullChecker::feed`] returned.
    idle_since: Option<std::time::Instant>,
    ids: Ids,
    track: Track,
    read_invokes: BTreeMap<i64, (u64, u64)>,
    dups: BTreeMap<usize, u64>,
    counts: BTreeMap<usize, u64>,
    reads: u64,
    /// The index of the operation at which the budget ran out.
    stopped_at: Option<u64>,
}

impl SetFullChecker {
    /// A checker that has read nothing yet.
    #[must_use]
    pub fn new(opts: SetFullOpts) -> Self {
        SetFullChecker {
            meter: Meter::new(&opts.budget),
            opts,
            idle_since: None,
            ids: Ids::default(),
            track: Track::default(),
            read_invokes: BTreeMap::new(),
            dups: BTreeMap::new(),
            counts: BTreeMap::new(),
            reads: 0,
            stopped_at: None,
        }
    }

    /// Reads the next operation of the history, whose value is `value` (the
    /// op's own, or one its recorder holds elsewhere).
    pub fn feed(&mut self, op: &Op, value: &Value) {
        if let Some(idle) = self.idle_since {
            self.meter.extend(idle.elapsed());
        }
        self.read(op, value);
        self.idle_since = Some(std::time::Instant::now());
    }

    /// One operation; false once the budget has run out (nothing more is
    /// read).
    fn read(&mut self, op: &Op, value: &Value) -> bool {
        if self.stopped_at.is_some() {
            return false;
        }
        if !op.is_client() {
            return true;
        }
        if self.meter.tick() {
            self.stopped_at = Some(op.index);
            return false;
        }
        let track = &mut self.track;
        if op.f == self.opts.add_f {
            let id = match self.ids.get(value) {
                Some(id) => id,
                None if op.kind == OpType::Invoke => {
                    self.ids.insert(value, track.values.len());
                    track.push(value);
                    return true;
                }
                None => return true,
            };
            if op.kind == OpType::Ok && track.known[id].is_none() {
                track.known[id] = Some((op.index, op.time));
            }
        } else if op.f == self.opts.read_f {
            match op.kind {
                OpType::Invoke => {
                    self.read_invokes.insert(op.process, (op.index, op.time));
                }
                OpType::Ok => {
                    let Some(inv) = self.read_invokes.remove(&op.process) else {
                        return true;
                    };
                    self.reads += 1;
                    let reads = self.reads;
                    let seen = value.as_array().map_or(&[][..], Vec::as_slice);
                    for v in seen {
                        if let Some(id) = self.ids.get(v) {
                            if track.stamp[id] == reads {
                                *self.counts.entry(id).or_insert(1) += 1;
                            }
                            track.stamp[id] = reads;
                        }
                    }
                    for (id, c) in std::mem::take(&mut self.counts) {
                        let d = self.dups.entry(id).or_default();
                        *d = (*d).max(c);
                    }
                    // The budget ticks before elements 4095, 8191, ...: once
                    // every 4096 elements, and never for a small set.
                    let n = track.values.len();
                    let mut lo = 0;
                    while lo < n {
                        let hi = (((lo + 1) / TICK_ELEMS + 1) * TICK_ELEMS - 1).min(n);
                        track.apply_read(lo..hi, reads, inv, (op.index, op.time));
                        if hi == n {
                            break;
                        }
                        if self.meter.tick() {
                            self.stopped_at = Some(op.index);
                            return false;
                        }
                        lo = hi;
                    }
                }
                _ => {
                    self.read_invokes.remove(&op.process);
                }
            }
        }
        true
    }

    /// The verdict over what was fed, in a history of `ops` operations.
    #[must_use]
    pub fn finish(self, ops: u64) -> SetFullResult {
        let reason = self.stopped_at.map(|index| {
            format!(
                "time budget exceeded: checked the history up to index {index} of {ops}; \
                 the rest could still turn lost elements stable, so the verdict is unknown"
            )
        });
        summarise(self.track.into_elems(), self.dups, reason, &self.opts)
    }
}

fn summarise(
    mut elems: Vec<Elem>,
    dups: BTreeMap<usize, u64>,
    mut reason: Option<String>,
    opts: &SetFullOpts,
) -> SetFullResult {
    let duplicated: Vec<(Value, u64)> = {
        let mut d: Vec<(Value, u64)> = dups
            .iter()
            .map(|(&i, &c)| (elems[i].value.clone(), c))
            .collect();
        d.sort_by(|a, b| cmp_json(&a.0, &b.0));
        d
    };
    elems.sort_by(|a, b| cmp_json(&a.value, &b.value));
    let (mut lost, mut never_read, mut stale) = (Vec::new(), Vec::new(), Vec::new());
    let (mut stable_lat, mut lost_lat) = (Vec::new(), Vec::new());
    let mut worst = Vec::new();
    for e in &elems {
        match e.outcome() {
            Outcome::Stable(l) => {
                stable_lat.push(l);
                if l > 0 {
                    stale.push(e.value.clone());
                    worst.push(StaleElement {
                        element: e.value.clone(),
                        outcome: "stable".into(),
                        stable_latency: l,
                        known_time: e.known.map_or(0, |k| k.1),
                        last_absent_time: e.last_absent.map(|a| a.1),
                    });
                }
            }
            Outcome::Lost(l) => {
                lost_lat.push(l);
                lost.push(e.value.clone());
            }
            Outcome::NeverRead => never_read.push(e.value.clone()),
        }
    }
    worst.sort_by(|a, b| {
        b.stable_latency
            .cmp(&a.stable_latency)
            .then_with(|| cmp_json(&a.element, &b.element))
    });
    worst.truncate(8);
    // A duplicate stays a duplicate whatever follows; a lost element may
    // still turn up in a read the budget did not reach.
    let valid = if opts.duplicates_invalid && !duplicated.is_empty() {
        Validity::Invalid
    } else if reason.is_some() {
        Validity::Unknown
    } else if !lost.is_empty() {
        Validity::Invalid
    } else if stable_lat.is_empty() {
        reason = Some("no element was stable: no ok read returned an added element".into());
        Validity::Unknown
    } else {
        Validity::Valid
    };
    SetFullResult {
        valid,
        attempt_count: elems.len() as u64,
        stable_count: stable_lat.len() as u64,
        lost_count: lost.len() as u64,
        lost,
        never_read_count: never_read.len() as u64,
        never_read,
        stale_count: stale.len() as u64,
        stale,
        worst_stale: worst,
        stable_latencies: quantile_map(&stable_lat),
        lost_latencies: quantile_map(&lost_lat),
        duplicated_count: duplicated.len() as u64,
        duplicated,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpType::*;
    use serde_json::json;

    struct H(Vec<Op>);
    impl H {
        fn op(&mut self, kind: OpType, p: i64, f: &str, v: Value, ms: u64) -> &mut Self {
            let mut op = Op::new(self.0.len() as u64, kind, p, f, v);
            op.time = ms * 1_000_000;
            self.0.push(op);
            self
        }
    }

    #[test]
    fn stable_and_stale() {
        let mut h = H(Vec::new());
        h.op(Invoke, 0, "broadcast", json!(1), 0)
            .op(Ok, 0, "broadcast", json!(1), 1)
            .op(Invoke, 1, "read", json!(null), 10)
            .op(Ok, 1, "read", json!([]), 11)
            .op(Invoke, 1, "read", json!(null), 20)
            .op(Ok, 1, "read", json!([1]), 21);
        let r = check(&h.0, &SetFullOpts::broadcast());
        assert_eq!(r.valid, Validity::Valid);
        assert_eq!(r.stable_count, 1);
        assert_eq!(r.stale, vec![json!(1)]);
        assert_eq!(r.worst_stale[0].stable_latency, 9);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["stable-latencies"]["0.5"], json!(9));
        assert_eq!(v["attempt-count"], json!(1));
    }

    #[test]
    fn lost_element() {
        let mut h = H(Vec::new());
        h.op(Invoke, 0, "add", json!(1), 0)
            .op(Ok, 0, "add", json!(1), 1)
            .op(Invoke, 0, "add", json!(2), 2)
            .op(Ok, 0, "add", json!(2), 3)
            .op(Invoke, 1, "read", json!(null), 10)
            .op(Ok, 1, "read", json!([1, 2]), 11)
            .op(Invoke, 1, "read", json!(null), 20)
            .op(Ok, 1, "read", json!([2, 2]), 21);
        let r = check(&h.0, &SetFullOpts::g_set());
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.lost, vec![json!(1)]);
        assert_eq!(r.lost_latencies.unwrap()["1"], 19);
        assert_eq!(r.duplicated, vec![(json!(2), 2)]);
    }

    #[test]
    fn nothing_read_is_unknown() {
        let mut h = H(Vec::new());
        h.op(Invoke, 0, "add", json!(1), 0)
            .op(Info, 0, "add", json!(1), 1);
        let r = check(&h.0, &SetFullOpts::g_set());
        assert_eq!(r.valid, Validity::Unknown);
        assert_eq!(r.never_read, vec![json!(1)]);
    }

    /// Final reads that all start at the same instant, as in simulation: the
    /// one later in the history that misses an element makes it lost.
    #[test]
    fn simultaneous_reads_ordered_by_index() {
        let mut h = H(Vec::new());
        h.op(Invoke, 0, "broadcast", json!(1), 0)
            .op(Ok, 0, "broadcast", json!(1), 1)
            .op(Invoke, 1, "read", json!(null), 10)
            .op(Invoke, 2, "read", json!(null), 10)
            .op(Ok, 1, "read", json!([1]), 10)
            .op(Ok, 2, "read", json!([]), 10);
        let r = check(&h.0, &SetFullOpts::broadcast());
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.lost, vec![json!(1)]);
        // The same reads the other way round: the later read saw it.
        let mut h = H(Vec::new());
        h.op(Invoke, 0, "broadcast", json!(1), 0)
            .op(Ok, 0, "broadcast", json!(1), 1)
            .op(Invoke, 2, "read", json!(null), 10)
            .op(Invoke, 1, "read", json!(null), 10)
            .op(Ok, 1, "read", json!([1]), 10)
            .op(Ok, 2, "read", json!([]), 10);
        let r = check(&h.0, &SetFullOpts::broadcast());
        assert_eq!(r.valid, Validity::Valid);
        assert_eq!(r.stale, vec![json!(1)]);
    }

    /// A read that starts before the add completes (by index) does not make
    /// the element lost, even at equal times.
    #[test]
    fn absent_before_known_is_not_lost() {
        let mut h = H(Vec::new());
        h.op(Invoke, 0, "add", json!(1), 5)
            .op(Invoke, 1, "read", json!(null), 5)
            .op(Ok, 0, "add", json!(1), 5)
            .op(Ok, 1, "read", json!([]), 5);
        let r = check(&h.0, &SetFullOpts::g_set());
        assert_eq!(r.lost_count, 0);
        assert_eq!(r.never_read, vec![json!(1)]);
        assert_eq!(r.valid, Validity::Unknown);
    }

    #[test]
    fn zero_budget_is_unknown_even_with_a_lost_element() {
        let mut h = H(Vec::new());
        h.op(Invoke, 0, "add", json!(1), 0)
            .op(Ok, 0, "add", json!(1), 1)
            .op(Invoke, 1, "read", json!(null), 10)
            .op(Ok, 1, "read", json!([]), 11);
        let mut opts = SetFullOpts::g_set();
        assert_eq!(check(&h.0, &opts).valid, Validity::Invalid);
        opts.budget.time = std::time::Duration::ZERO;
        let r = check(&h.0, &opts);
        assert_eq!(r.valid, Validity::Unknown);
        assert!(r.reason.unwrap().contains("up to index 0 of 4"));
    }

    /// Integers take the fast path; other values, and numbers that equal an
    /// integer in the JSON order (`1.0` is `1`), are still the same elements.
    #[test]
    fn mixed_element_values() {
        let mut h = H(Vec::new());
        h.op(Invoke, 0, "add", json!(1), 0)
            .op(Ok, 0, "add", json!(1), 1)
            .op(Invoke, 0, "add", json!("a"), 2)
            .op(Ok, 0, "add", json!("a"), 3)
            .op(Invoke, 0, "add", json!(1.0), 4)
            .op(Ok, 0, "add", json!(1.0), 5)
            .op(Invoke, 0, "add", json!(2.5), 6)
            .op(Ok, 0, "add", json!(2.5), 7)
            .op(Invoke, 1, "read", json!(null), 10)
            .op(Ok, 1, "read", json!([1.0, "a", 2.5, 7]), 11);
        let r = check(&h.0, &SetFullOpts::g_set());
        assert_eq!(r.attempt_count, 3);
        assert_eq!(r.stable_count, 3);
        assert_eq!(r.valid, Validity::Valid);
        // A read returning 1 as an integer after an add of 2.5 finds both kinds.
        let mut h = H(Vec::new());
        h.op(Invoke, 0, "add", json!(2.0), 0)
            .op(Ok, 0, "add", json!(2.0), 1)
            .op(Invoke, 1, "read", json!(null), 10)
            .op(Ok, 1, "read", json!([2]), 11);
        let r = check(&h.0, &SetFullOpts::g_set());
        assert_eq!(r.stable_count, 1);
        assert_eq!(r.attempt_count, 1);
    }

    /// The elements of the agreement tests: `i` maps to a value of some
    /// representation, every mapping order-preserving in [`cmp_json`]'s
    /// sense, so a checker that treats every representation alike gives the
    /// same result up to the mapping.
    fn mapped(i: u8, how: u8) -> Value {
        let i = u64::from(i);
        match how {
            // Small non-negative integers: the dense table.
            0 => json!(i),
            // Integers past the dense table: the hash map.
            1 => json!((1u64 << 40) + i),
            // Negative integers: the hash map.
            2 => json!(i as i64 - 1000),
            // Strings: the JSON order.
            3 => json!(format!("e{i:04}")),
            // Unsigned numbers past i64 (distinct as f64): the JSON order.
            4 => json!((1u64 << 63) + (i << 12)),
            // Mixed, still in order: negative, float, small, string.
            _ => match i {
                0..10 => json!(i as i64 - 10),
                10..20 => json!(i as f64 + 0.5),
                20..30 => json!(i),
                _ => json!(format!("e{i:04}")),
            },
        }
    }

    /// One step of a random history: a process, what it does, an element
    /// and, for a read, the elements it returns.
    type Step = (u8, u8, u8, Vec<u8>);

    /// Builds a history from `steps`, with elements mapped by `how`: each
    /// process invokes an add or a read when idle and completes it (ok,
    /// info or fail) on its next step.
    fn random_history(steps: &[Step], how: u8) -> Vec<Op> {
        let mut h = H(Vec::new());
        let mut pending: BTreeMap<i64, (String, Value)> = BTreeMap::new();
        for (n, (p, what, elem, seen)) in steps.iter().enumerate() {
            let (p, ms) = (i64::from(p % 4), n as u64 / 2);
            match pending.remove(&p) {
                Some((f, inv)) => {
                    let kind = [Ok, Ok, Ok, Info, Fail][usize::from(what % 5)];
                    let value = if f == "read" && kind == Ok {
                        Value::Array(seen.iter().map(|&e| mapped(e % 45, how)).collect())
                    } else {
                        inv
                    };
                    h.op(kind, p, &f, value, ms);
                }
                None => {
                    let (f, v) = if what % 2 == 0 {
                        ("add", mapped(elem % 40, how))
                    } else {
                        ("read", Value::Null)
                    };
                    pending.insert(p, (f.to_string(), v.clone()));
                    h.op(Invoke, p, f, v, ms);
                }
            }
        }
        h.0
    }

    /// A result with every element mapped back to representation 0.
    fn unmapped(r: &SetFullResult, how: u8) -> Value {
        let back: BTreeMap<String, Value> = (0..45)
            .map(|i| (mapped(i, how).to_string(), json!(i)))
            .collect();
        fn walk(v: &mut Value, back: &BTreeMap<String, Value>) {
            match v {
                Value::Array(a) => a.iter_mut().for_each(|x| walk(x, back)),
                Value::Object(o) if o.contains_key("element") => {
                    walk(o.get_mut("element").unwrap(), back);
                }
                Value::Object(o) => o.values_mut().for_each(|x| walk(x, back)),
                other => {
                    if let Some(orig) = back.get(&other.to_string()) {
                        *other = orig.clone();
                    }
                }
            }
        }
        let mut v = serde_json::to_value(r).unwrap();
        for key in ["lost", "never-read", "stale", "duplicated", "worst-stale"] {
            walk(&mut v[key], &back);
        }
        v
    }

    /// Fed one operation at a time, the checker gives what `check` gives,
    /// a spent budget included.
    fn fed(history: &[Op], opts: &SetFullOpts) -> SetFullResult {
        let mut checker = SetFullChecker::new(opts.clone());
        for op in history {
            checker.feed(op, &op.value);
        }
        checker.finish(history.len() as u64)
    }

    #[test]
    fn a_spent_budget_stops_a_fed_checker_as_it_stops_check() {
        let history = random_history(
            &[(0, 0, 1, vec![]), (0, 0, 0, vec![]), (1, 1, 0, vec![])],
            0,
        );
        let mut opts = SetFullOpts::g_set();
        opts.budget = Budget::with_time(std::time::Duration::ZERO);
        let r = fed(&history, &opts);
        assert_eq!(r.valid, Validity::Unknown);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::to_value(check(&history, &opts)).unwrap()
        );
        assert!(r.reason.unwrap().contains("up to index 0 of 3"));
    }

    proptest::proptest! {
        #[test]
        fn fed_one_at_a_time_is_check(steps in proptest::collection::vec(
            (0u8..8, 0u8..10, 0u8..40, proptest::collection::vec(0u8..45, 0..12)),
            0..120,
        )) {
            let history = random_history(&steps, 0);
            let opts = SetFullOpts::g_set();
            proptest::prop_assert_eq!(
                serde_json::to_value(fed(&history, &opts)).unwrap(),
                serde_json::to_value(check(&history, &opts)).unwrap()
            );
        }

        /// The fast paths (dense table, integer hash map) and the general
        /// one (the JSON order) agree on every history: same verdict, same
        /// counts and latencies, the same elements up to the mapping.
        #[test]
        fn representations_agree(steps in proptest::collection::vec(
            (0u8..8, 0u8..10, 0u8..40, proptest::collection::vec(0u8..45, 0..12)),
            0..120,
        )) {
            let opts = SetFullOpts::g_set();
            let base = check(&random_history(&steps, 0), &opts);
            let base_json = serde_json::to_value(&base).unwrap();
            for how in 1..6 {
                let r = check(&random_history(&steps, how), &opts);
                proptest::prop_assert_eq!(unmapped(&r, how), base_json.clone(), "mapping {}", how);
            }
        }
    }
}
