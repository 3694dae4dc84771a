//! List-append analysis: version orders from the prefixes reads observe.
//!
//! Every read of a list key returns a prefix of the key's version order
//! (each append installs a version: the list with one more element), so
//! all reads of a key must be prefixes of the longest one; the longest read
//! *is* the version order, as far as anyone observed it. An element
//! appended but never read has no known place among the other unread ones,
//! but it follows every element read: had it taken effect before one of
//! them, the longest read would hold it.
//!
//! Edges, for keys whose reads are compatible and free of duplicates:
//! - ww: consecutive elements of the longest read, by distinct writers;
//! - wr: a read ending in element `e` depends on the writer of `e`;
//! - rw: a read of the first `n` elements anti-depends on the writer of
//!   element `n + 1`;
//! - for an element no read holds: ww from the writer of the longest
//!   read's last element, rw from every read of the whole longest read.
//!
//! Non-cyclic anomalies: `internal` (a read disagreeing with the
//! transaction's own earlier reads and appends), `duplicate-elements`,
//! `incompatible-order`, `garbage-read` (an element nobody appended),
//! `G1a` (an element of a failed transaction), `G1b` (a read ending inside
//! another transaction's run of appends to the key), `dirty-update` (a
//! committed append after a failed one) and `lost-update` (two committed
//! transactions read the same version of a key and both appended to it).

use super::graph::{Spent, RW, WR, WW};
use super::parse::{IntMap, ListRef, Mop, Parsed, Status};
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
    order: Vec<Option<ListRef>>,
}

/// Every read of a transaction in order: (key, value, external?), where a
/// read is external when it is the transaction's first op on its key.
fn reads<'p>(
    p: &'p Parsed<'_>,
    mops: &'p [Mop],
) -> impl Iterator<Item = (u32, &'p [u32], ListRef, bool)> + 'p {
    mops.iter().enumerate().filter_map(move |(i, m)| match m {
        Mop::ReadList { key, val: Some(v) } => {
            let external = !mops[..i].iter().any(|x| x.key() == *key);
            Some((*key, p.list(*v), *v, external))
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
        // G1b needs a transaction appending twice to one key; without one,
        // reads skip that check.
        let mut twice = false;
        for t in 0..p.txns.len() {
            let mops = p.mops(t);
            twice |= (1..mops.len()).any(|i| {
                matches!(mops[i], Mop::Write { .. })
                    && mops[..i]
                        .iter()
                        .any(|m| matches!(m, Mop::Write { .. }) && m.key() == mops[i].key())
            });
            for m in mops {
                if let Mop::Write { key, val } = m {
                    writers
                        .entry(pack(*key, *val))
                        .and_modify(|w| *w = DUP)
                        .or_insert(t as u32);
                }
            }
        }
        let nkeys = p.keys.atoms.len();
        let mut order: Vec<Option<ListRef>> = vec![Some((0, 0)); nkeys];
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
            for (key, list, lref, _) in reads(p, p.mops(t)) {
                // A prefix of the key's longest read so far holds nothing
                // new: its elements were checked when first read.
                let start = match order[key as usize].map(|r| p.list(r)) {
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
                if let Some(&last) = list.last().filter(|_| twice) {
                    let w = la.writer(key, last);
                    if let Some(w) = w.filter(|&w| w != t) {
                        if la.appended_after(w, key, last) {
                            rec.record("G1b", || {
                                la.anomaly(&[t, w], format!("{} read {} = {}, ending in {} which {} later followed with another append", la.name(t), la.key(key), la.list(list), la.val(last), la.name(w)))
                            });
                        }
                    }
                }
                if let Some(lr) = order[key as usize] {
                    let longest = p.list(lr);
                    let (short, long) = if list.len() <= longest.len() {
                        (list, longest)
                    } else {
                        (longest, list)
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
                        order[key as usize] = Some(lref);
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
        let mops = self.p.mops(w);
        let at = mops.iter().position(|m| *m == Mop::Write { key, val: e });
        at.is_some_and(|i| {
            mops[i + 1..]
                .iter()
                .any(|m| matches!(m, Mop::Write { key: k, .. } if *k == key))
        })
    }

    fn internal(&self, t: usize, rec: &mut Recorder) {
        let mops = self.p.mops(t);
        // Only a key touched twice can disagree with itself; most
        // transactions touch each key once and need no bookkeeping.
        if !(1..mops.len()).any(|i| mops[..i].iter().any(|m| m.key() == mops[i].key())) {
            return;
        }
        // A read holding an element the transaction itself appends only
        // later read its own future.
        for (i, m) in mops.iter().enumerate() {
            let Mop::ReadList { key, val: Some(l) } = *m else {
                continue;
            };
            let l = self.p.list(l);
            let later = mops[i + 1..].iter().find_map(|x| match *x {
                Mop::Write { key: k, val } if k == key && l.contains(&val) => Some(val),
                _ => None,
            });
            if let Some(e) = later {
                rec.record("internal", || {
                    self.anomaly(
                        &[t],
                        format!(
                            "{} read {} = {}, holding {} that it appends only later",
                            self.name(t),
                            self.key(key),
                            self.list(l),
                            self.val(e)
                        ),
                    )
                });
            }
        }
        // Per key: the full value if a read told us, else our own appends.
        let mut state: Vec<(u32, Option<Vec<u32>>, Vec<u32>)> = Vec::new();
        for m in mops {
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
                    let l = self.p.list(*l);
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
                    *known = Some(l.to_vec());
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
        // ww along each key's order; dirty updates on the way. The writer
        // of each element of the order is noted (`NO_WRITER` if none), so
        // that reads, all prefixes of the order, find the writers of their
        // last and next elements by position rather than by hashing.
        const NO_WRITER: u32 = u32::MAX;
        let mut at: Vec<u32> = vec![0; self.order.len() + 1];
        let mut ow: Vec<u32> = Vec::new();
        // Appends some read holds, by micro-op position.
        let mut seen = vec![false; self.p.mops.len()];
        for (key, order) in self.order.iter().enumerate() {
            at[key] = ow.len() as u32;
            let Some(order) = order.map(|r| self.p.list(r)) else {
                continue;
            };
            let key = key as u32;
            let mut prev: Option<usize> = None;
            let mut aborted: Option<u32> = None;
            for &e in order {
                if meter.tick() {
                    return Err(Spent);
                }
                let w = self.writer(key, e);
                ow.push(w.map_or(NO_WRITER, |w| w as u32));
                if let Some(w) = w {
                    let first = self.p.txns[w].mops.0 as usize;
                    for (i, m) in self.p.mops(w).iter().enumerate() {
                        if *m == (Mop::Write { key, val: e }) {
                            seen[first + i] = true;
                        }
                    }
                }
                match w {
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
        at[self.order.len()] = ow.len() as u32;
        let by_pos = |key: u32, i: usize| -> Option<usize> {
            let (a, b) = (at[key as usize] as usize, at[key as usize + 1] as usize);
            ow[a..b]
                .get(i)
                .copied()
                .filter(|&w| w != NO_WRITER)
                .map(|w| w as usize)
        };
        // wr and rw from external reads; lost updates.
        let mut read_then_wrote: IntMap<u64, usize> = IntMap::default();
        // (key, reader) for reads of a key's whole order.
        let mut whole: Vec<(u32, u32)> = Vec::new();
        for (t, txn) in self.p.txns.iter().enumerate() {
            if txn.status != Status::Ok {
                continue;
            }
            if meter.tick() {
                return Err(Spent);
            }
            for (key, list, _, external) in reads(self.p, self.p.mops(t)) {
                if !external {
                    continue;
                }
                let ordered = self.order[key as usize].is_some();
                let last = match list.len() {
                    0 => None,
                    n if ordered => by_pos(key, n - 1),
                    n => self.writer(key, list[n - 1]),
                };
                if let Some(w) = last {
                    edges.push((w as u32, t as u32, WR));
                }
                if !ordered {
                    continue;
                }
                if let Some(w) = by_pos(key, list.len()) {
                    edges.push((t as u32, w as u32, RW));
                }
                if self.order(key).is_some_and(|o| o.len() == list.len()) {
                    whole.push((key, t as u32));
                }
                let wrote = self
                    .p
                    .mops(t)
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
        // Appends no read holds follow every element read.
        whole.sort_unstable();
        for (t, txn) in self.p.txns.iter().enumerate() {
            if txn.status == Status::Fail {
                continue;
            }
            if meter.tick() {
                return Err(Spent);
            }
            let first = txn.mops.0 as usize;
            for (i, m) in self.p.mops(t).iter().enumerate() {
                let Mop::Write { key, val } = *m else {
                    continue;
                };
                let Some(order) = self.order(key) else {
                    continue;
                };
                if seen[first + i] || self.writer(key, val) != Some(t) {
                    continue;
                }
                if let Some(w) = order.len().checked_sub(1).and_then(|n| by_pos(key, n)) {
                    edges.push((w as u32, t as u32, WW));
                }
                let from = whole.partition_point(|&(k, _)| k < key);
                for &(_, r) in whole[from..].iter().take_while(|&&(k, _)| k == key) {
                    edges.push((r, t as u32, RW));
                }
            }
        }
        Ok(())
    }

    /// Explains an edge into `b` from an append of `b`'s that no read
    /// holds, if that is where the edge comes from.
    fn explain_unread(&self, a: usize, b: usize, kind: u8) -> Option<String> {
        let (na, nb) = (self.name(a), self.name(b));
        for m in self.p.mops(b) {
            let Mop::Write { key, val } = *m else {
                continue;
            };
            let Some(order) = self.order(key).filter(|o| !o.contains(&val)) else {
                continue;
            };
            let last = order.last().copied();
            if kind == WW && last.and_then(|e| self.writer(key, e)) == Some(a) {
                return Some(format!(
                    "{na} < {nb}: {nb} appended {} to {}, which no read holds, so after {}, the last element read, which {na} appended",
                    self.val(val),
                    self.key(key),
                    self.val(last.unwrap_or(val))
                ));
            }
            if kind == RW {
                for (k, list, _, ext) in reads(self.p, self.p.mops(a)) {
                    if ext && k == key && list.len() == order.len() {
                        return Some(format!(
                            "{na} < {nb}: {na} read {} = {}, every element yet read, which lacks {} that {nb} appended",
                            self.key(key),
                            self.list(list),
                            self.val(val)
                        ));
                    }
                }
            }
        }
        None
    }

    /// The version order of `key`, unless its reads disagree.
    fn order(&self, key: u32) -> Option<&'a [u32]> {
        self.order[key as usize].map(|r| self.p.list(r))
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
        let (na, nb) = (self.name(a), self.name(b));
        if kind == WR {
            for (key, list, _, ext) in reads(self.p, self.p.mops(b)) {
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
            for (key, list, _, ext) in reads(self.p, self.p.mops(a)) {
                let next = self.order(key).and_then(|o| o.get(list.len()));
                if let Some(&e) = next.filter(|_| ext) {
                    if self.writer(key, e) == Some(b) {
                        return format!("{na} < {nb}: {na} read {} = {}, which lacks {} that {nb} appended next", self.key(key), self.list(list), self.val(e));
                    }
                }
            }
        }
        if kind == WW {
            // Only keys `a` appended to can carry its ww edges.
            let keys = self.p.mops(a).iter().filter_map(|m| match m {
                Mop::Write { key, .. } => Some(*key),
                _ => None,
            });
            for key in keys {
                let Some(order) = self.order(key) else {
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
        self.explain_unread(a, b, kind)
            .unwrap_or_else(|| format!("{na} < {nb}"))
    }
}
