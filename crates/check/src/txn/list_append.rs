//! List-append analysis: version orders from the prefixes reads observe.
//!
//! Every read of a list key returns a prefix of the key's version order
//! (each append installs a version: the list with one more element), so
//! all reads of a key must be prefixes of the longest one; the longest read
//! *is* the version order, as far as anyone observed it. Elements appended
//! but never read have no known place and give no ordering edges.
//!
//! Edges, for keys whose reads are compatible and free of duplicates:
//! - ww: consecutive elements of the longest read, by distinct writers;
//! - wr: a read ending in element `e` depends on the writer of `e`;
//! - rw: a read of the first `n` elements anti-depends on the writer of
//!   element `n + 1`.
//!
//! Non-cyclic anomalies: `internal` (a read disagreeing with the
//! transaction's own earlier reads and appends), `duplicate-elements`,
//! `incompatible-order`, `garbage-read` (an element nobody appended),
//! `G1a` (an element of a failed transaction), `G1b` (a read ending inside
//! another transaction's run of appends to the key), `dirty-update` (a
//! committed append after a failed one) and `lost-update` (two committed
//! transactions read the same version of a key and both appended to it).

use super::graph::{Spent, RW, WR, WW};
use super::parse::{IntMap, Mop, Parsed, Status};
use super::{Explain, Recorder};
use crate::budget::Meter;

/// Marks an element appended by more than one transaction.
const DUP: u32 = u32::MAX;

fn pack(key: u32, val: u32) -> u64 {
    (u64::from(key) << 32) | u64::from(val)
}

/// What the analysis keeps for explaining edges.
pub(crate) struct ListAppend<'a> {
    p: &'a Parsed<'a>,
    writers: IntMap<u64, u32>,
    /// Per key, the longest read, or `None` when the key's reads disagree.
    order: Vec<Option<Vec<u32>>>,
}

/// The first read of each key a transaction made before appending to it,
/// then every read in order: (key, value, external?).
fn reads(mops: &[Mop]) -> impl Iterator<Item = (u32, &Vec<u32>, bool)> {
    let mut written: Vec<u32> = Vec::new();
    let mut read: Vec<u32> = Vec::new();
    mops.iter().filter_map(move |m| match m {
        Mop::Write { key, .. } => {
            written.push(*key);
            None
        }
        Mop::ReadList { key, val: Some(v) } => {
            let external = !written.contains(key) && !read.contains(key);
            read.push(*key);
            Some((*key, v, external))
        }
        _ => None,
    })
}

impl<'a> ListAppend<'a> {
    pub(crate) fn analyse(
        p: &'a Parsed<'a>,
        rec: &mut Recorder,
        edges: &mut Vec<(u32, u32, u8)>,
        meter: &mut Meter,
    ) -> Result<Self, Spent> {
        let mut writers: IntMap<u64, u32> = IntMap::default();
        for (t, txn) in p.txns.iter().enumerate() {
            for m in &txn.mops {
                if let Mop::Write { key, val } = m {
                    writers
                        .entry(pack(*key, *val))
                        .and_modify(|w| *w = DUP)
                        .or_insert(t as u32);
                }
            }
        }
        let nkeys = p.keys.atoms.len();
        let mut order: Vec<Option<Vec<u32>>> = vec![Some(Vec::new()); nkeys];
        let mut scratch: Vec<u32> = Vec::new();
        let mut la = ListAppend {
            p,
            writers,
            order: Vec::new(),
        };
        for (t, txn) in p.txns.iter().enumerate() {
            if txn.status != Status::Ok {
                continue;
            }
            if meter.tick() {
                return Err(Spent);
            }
            la.internal(t, rec);
            for (key, list, _) in reads(&txn.mops) {
                // A prefix of the key's longest read so far holds nothing
                // new: its elements were checked when first read.
                let start = match &order[key as usize] {
                    Some(l) if list.len() <= l.len() && l.starts_with(list) => list.len(),
                    Some(l) if list.starts_with(l) => l.len(),
                    _ => 0,
                };
                scratch.clear();
                if start < list.len() {
                    scratch.extend_from_slice(list);
                    scratch.sort_unstable();
                }
                if scratch.windows(2).any(|w| w[0] == w[1]) {
                    rec.record("duplicate-elements", || {
                        la.anomaly(
                            &[t],
                            format!(
                                "{} read {} = {}, which holds an element twice",
                                la.name(t),
                                la.key(key),
                                la.list(list)
                            ),
                        )
                    });
                    order[key as usize] = None;
                }
                for &e in &list[start..] {
                    match la.writers.get(&pack(key, e)) {
                        None => rec.record("garbage-read", || {
                            la.anomaly(
                                &[t],
                                format!(
                                    "{} read {} = {}, but no transaction appended {}",
                                    la.name(t),
                                    la.key(key),
                                    la.list(list),
                                    la.val(e)
                                ),
                            )
                        }),
                        Some(&w) if w != DUP && p.txns[w as usize].status == Status::Fail => {
                            rec.record("G1a", || {
                                la.anomaly(
                                    &[t, w as usize],
                                    format!(
                                        "{} read {} = {}, but {} appended {} and failed",
                                        la.name(t),
                                        la.key(key),
                                        la.list(list),
                                        la.name(w as usize),
                                        la.val(e)
                                    ),
                                )
                            });
                        }
                        _ => {}
                    }
                }
                if let Some(&last) = list.last() {
                    let w = la.writer(key, last);
                    if let Some(w) = w.filter(|&w| w != t) {
                        if la.appended_after(w, key, last) {
                            rec.record("G1b", || {
                                la.anomaly(&[t, w], format!("{} read {} = {}, ending in {} which {} later followed with another append", la.name(t), la.key(key), la.list(list), la.val(last), la.name(w)))
                            });
                        }
                    }
                }
                if let Some(longest) = &mut order[key as usize] {
                    let (short, long) = if list.len() <= longest.len() {
                        (list.as_slice(), longest.as_slice())
                    } else {
                        (longest.as_slice(), list.as_slice())
                    };
                    if !long.starts_with(short) {
                        let other = la.list(longest);
                        rec.record("incompatible-order", || {
                            la.anomaly(
                                &[t],
                                format!(
                                    "{} read {} = {}, which disagrees with another read {}",
                                    la.name(t),
                                    la.key(key),
                                    la.list(list),
                                    other
                                ),
                            )
                        });
                        order[key as usize] = None;
                    } else if list.len() > longest.len() {
                        longest.clone_from(list);
                    }
                }
            }
        }
        la.order = order;
        la.edges(rec, edges, meter)?;
        Ok(la)
    }

    /// The committed (or indeterminate) transaction that appended `e`.
    fn writer(&self, key: u32, e: u32) -> Option<usize> {
        match self.writers.get(&pack(key, e)) {
            Some(&w) if w != DUP && self.p.txns[w as usize].status != Status::Fail => {
                Some(w as usize)
            }
            _ => None,
        }
    }

    fn appended_after(&self, w: usize, key: u32, e: u32) -> bool {
        let mops = &self.p.txns[w].mops;
        let at = mops.iter().position(|m| *m == Mop::Write { key, val: e });
        at.is_some_and(|i| {
            mops[i + 1..]
                .iter()
                .any(|m| matches!(m, Mop::Write { key: k, .. } if *k == key))
        })
    }

    fn internal(&self, t: usize, rec: &mut Recorder) {
        // Per key: the full value if a read told us, else our own appends.
        let mut state: Vec<(u32, Option<Vec<u32>>, Vec<u32>)> = Vec::new();
        for m in &self.p.txns[t].mops {
            let key = m.key();
            let i = match state.iter().position(|s| s.0 == key) {
                Some(i) => i,
                None => {
                    state.push((key, None, Vec::new()));
                    state.len() - 1
                }
            };
            let (_, known, suffix) = &mut state[i];
            match m {
                Mop::Write { val, .. } => match known {
                    Some(v) => v.push(*val),
                    None => suffix.push(*val),
                },
                Mop::ReadList { val: Some(l), .. } => {
                    let bad = match known {
                        Some(v) => v != l,
                        None => !l.ends_with(suffix),
                    };
                    if bad {
                        let expected = match known {
                            Some(v) => self.list(v),
                            None => format!("a list ending in {}", self.list(suffix)),
                        };
                        rec.record("internal", || {
                            self.anomaly(
                                &[t],
                                format!(
                                    "{} read {} = {}, but its own earlier reads and appends say {}",
                                    self.name(t),
                                    self.key(key),
                                    self.list(l),
                                    expected
                                ),
                            )
                        });
                    }
                    *known = Some(l.clone());
                    suffix.clear();
                }
                _ => {}
            }
        }
    }

    fn edges(
        &self,
        rec: &mut Recorder,
        edges: &mut Vec<(u32, u32, u8)>,
        meter: &mut Meter,
    ) -> Result<(), Spent> {
        // ww along each key's order; dirty updates on the way.
        for (key, order) in self.order.iter().enumerate() {
            let Some(order) = order else { continue };
            let key = key as u32;
            let mut prev: Option<usize> = None;
            let mut aborted: Option<u32> = None;
            for &e in order {
                if meter.tick() {
                    return Err(Spent);
                }
                match self.writer(key, e) {
                    Some(w) => {
                        if let Some(a) = aborted.filter(|_| self.p.txns[w].status == Status::Ok) {
                            rec.record("dirty-update", || {
                                self.anomaly(&[w], format!("{} appended {} to {} after {}, which a failed transaction appended", self.name(w), self.val(e), self.key(key), self.val(a)))
                            });
                            aborted = None;
                        }
                        if let Some(pw) = prev.filter(|&pw| pw != w) {
                            edges.push((pw as u32, w as u32, WW));
                        }
                        prev = Some(w);
                    }
                    None => {
                        let failed = self.writers.get(&pack(key, e)).is_some_and(|&w| {
                            w != DUP && self.p.txns[w as usize].status == Status::Fail
                        });
                        if failed {
                            aborted = Some(e);
                        }
                    }
                }
            }
        }
        // wr and rw from external reads; lost updates.
        let mut read_then_wrote: IntMap<u64, usize> = IntMap::default();
        for (t, txn) in self.p.txns.iter().enumerate() {
            if txn.status != Status::Ok {
                continue;
            }
            if meter.tick() {
                return Err(Spent);
            }
            for (key, list, external) in reads(&txn.mops) {
                if !external {
                    continue;
                }
                if let Some(w) = list.last().and_then(|&e| self.writer(key, e)) {
                    edges.push((w as u32, t as u32, WR));
                }
                let Some(order) = &self.order[key as usize] else {
                    continue;
                };
                if let Some(w) = order.get(list.len()).and_then(|&e| self.writer(key, e)) {
                    edges.push((t as u32, w as u32, RW));
                }
                let wrote = txn
                    .mops
                    .iter()
                    .any(|m| matches!(m, Mop::Write { key: k, .. } if *k == key));
                if wrote {
                    if let Some(&other) = read_then_wrote.get(&pack(key, list.len() as u32)) {
                        rec.record("lost-update", || {
                            self.anomaly(
                                &[other, t],
                                format!(
                                    "{} and {} both read {} = {} and both appended to it",
                                    self.name(other),
                                    self.name(t),
                                    self.key(key),
                                    self.list(list)
                                ),
                            )
                        });
                    } else {
                        read_then_wrote.insert(pack(key, list.len() as u32), t);
                    }
                }
            }
        }
        Ok(())
    }

    fn list(&self, l: &[u32]) -> String {
        let items: Vec<String> = l.iter().map(|&e| self.val(e)).collect();
        format!("[{}]", items.join(", "))
    }
}

impl Explain for ListAppend<'_> {
    fn parsed(&self) -> &Parsed<'_> {
        self.p
    }

    fn explain(&self, a: usize, b: usize, kind: u8) -> String {
        let (ta, tb) = (&self.p.txns[a], &self.p.txns[b]);
        let (na, nb) = (self.name(a), self.name(b));
        if kind == WR {
            for (key, list, ext) in reads(&tb.mops) {
                if let Some(&e) = list.last().filter(|_| ext) {
                    if self.writer(key, e) == Some(a) {
                        return format!(
                            "{na} < {nb}: {nb} read {} = {}, whose last element {} {na} appended",
                            self.key(key),
                            self.list(list),
                            self.val(e)
                        );
                    }
                }
            }
        }
        if kind == RW {
            for (key, list, ext) in reads(&ta.mops) {
                let next = self.order[key as usize]
                    .as_ref()
                    .and_then(|o| o.get(list.len()));
                if let Some(&e) = next.filter(|_| ext) {
                    if self.writer(key, e) == Some(b) {
                        return format!("{na} < {nb}: {na} read {} = {}, which lacks {} that {nb} appended next", self.key(key), self.list(list), self.val(e));
                    }
                }
            }
        }
        if kind == WW {
            // Only keys `a` appended to can carry its ww edges.
            let keys = ta.mops.iter().filter_map(|m| match m {
                Mop::Write { key, .. } => Some(*key),
                _ => None,
            });
            for key in keys {
                let Some(order) = &self.order[key as usize] else {
                    continue;
                };
                let ws: Vec<(u32, Option<usize>)> = order
                    .iter()
                    .map(|&e| (e, self.writer(key, e)))
                    .filter(|x| x.1.is_some())
                    .collect();
                for w in ws.windows(2) {
                    if w[0].1 == Some(a) && w[1].1 == Some(b) {
                        return format!(
                            "{na} < {nb}: {nb} appended {} right after {na} appended {} to {}",
                            self.val(w[1].0),
                            self.val(w[0].0),
                            self.key(key)
                        );
                    }
                }
            }
        }
        format!("{na} < {nb}")
    }
}
