//! Read-write register analysis.
//!
//! Writes are unique per key (the generator never writes a value twice to
//! one key), so a read names the transaction whose write it observed. The
//! version order of a key is not observed directly; it is inferred from
//! facts that hold in any execution the history could come from:
//!
//! - **initial nil**: every key starts as nil, before any write; a read of
//!   nil observed the initial version, which every installed version follows;
//! - **writes follow reads**: a transaction that read version `a` of a key
//!   and then wrote `b` to it installed `b` after `a` (its write follows its
//!   read, as in every database Maelstrom models; upstream assumes the same);
//! - **the final state**: the final phase reads each key once, alone, after
//!   the network healed and every other transaction ended. Its value is the
//!   key's final state, the last version of the order, so every other
//!   committed version precedes it. Without this, a store whose concurrent
//!   transactions interleave their writes across keys (x ends with T1's
//!   value, y with T2's) leaves no trace in reads, and G0 goes unseen.
//!
//! Only a transaction's last write to a key installs a version; its earlier
//! writes are intermediate. From each fact `a < b` come a ww edge (writer of
//! `a` to writer of `b`) and rw edges (readers of `a` to the writer of `b`);
//! a read gives a wr edge from the writer of its value. No fact is guessed
//! from timing, so every edge holds whatever the real order was.
//!
//! Non-cyclic anomalies: `internal`, `garbage-read`, `G1a` (a value only a
//! failed transaction wrote), `G1b` (a value its writer overwrote in the same
//! transaction) and `lost-update`.

use super::graph::{Spent, RW, WR, WW};
use super::parse::{IntMap, Mop, Parsed, Status};
use super::{Explain, Recorder};
use crate::budget::Meter;

const DUP: u32 = u32::MAX;
/// The version id of nil in packed (key, version) pairs.
const NIL: u32 = u32::MAX;

fn pack(key: u32, val: Option<u32>) -> u64 {
    (u64::from(key) << 32) | u64::from(val.unwrap_or(NIL))
}

/// A fact `from < to` about one key's version order.
struct Fact {
    key: u32,
    from: Option<u32>,
    to: u32,
    /// True when the fact comes from the final read, false for a
    /// transaction that read `from` and wrote `to`.
    final_: bool,
}

/// What the analysis keeps for explaining edges.
pub(crate) struct RwRegister<'a> {
    p: &'a Parsed<'a>,
    writers: IntMap<u64, u32>,
    facts: Vec<Fact>,
}

/// External reads of a transaction: the first op on each key, if a read.
fn external_reads(mops: &[Mop]) -> impl Iterator<Item = (u32, Option<u32>)> + '_ {
    mops.iter().enumerate().filter_map(move |(i, m)| match m {
        Mop::ReadReg { key, val } if !mops[..i].iter().any(|x| x.key() == *key) => {
            Some((*key, *val))
        }
        _ => None,
    })
}

/// The last value a transaction wrote to `key`.
fn last_write(mops: &[Mop], key: u32) -> Option<u32> {
    mops.iter().rev().find_map(|m| match m {
        Mop::Write { key: k, val } if *k == key => Some(*val),
        _ => None,
    })
}

impl<'a> RwRegister<'a> {
    pub(crate) fn analyse(
        p: &'a Parsed<'a>,
        rec: &mut Recorder,
        edges: &mut Vec<(u32, u32, u8)>,
        meter: &mut Meter,
    ) -> Result<Self, Spent> {
        let mut writers: IntMap<u64, u32> = IntMap::default();
        // Versions committed transactions installed, per key. Indeterminate
        // ones are left out: they may never have taken effect.
        let mut versions: Vec<Vec<u32>> = vec![Vec::new(); p.keys.atoms.len()];
        for (t, txn) in p.txns.iter().enumerate() {
            for m in p.mops(t) {
                if let Mop::Write { key, val } = m {
                    writers
                        .entry(pack(*key, Some(*val)))
                        .and_modify(|w| *w = DUP)
                        .or_insert(t as u32);
                    if txn.status == Status::Ok && last_write(p.mops(t), *key) == Some(*val) {
                        versions[*key as usize].push(*val);
                    }
                }
            }
        }
        let mut rr = RwRegister {
            p,
            writers,
            facts: Vec::new(),
        };
        let mut readers: IntMap<u64, Vec<u32>> = IntMap::default();
        let mut finals: Vec<Option<Option<u32>>> = vec![None; p.keys.atoms.len()];
        let mut final_conflict = vec![false; p.keys.atoms.len()];
        let mut read_then_wrote: IntMap<u64, usize> = IntMap::default();
        for (t, txn) in p.txns.iter().enumerate() {
            if txn.status != Status::Ok {
                continue;
            }
            if meter.tick() {
                return Err(Spent);
            }
            rr.internal(t, rec);
            let read_only = p.mops(t).iter().all(|m| matches!(m, Mop::ReadReg { .. }));
            for (key, val) in external_reads(p.mops(t)) {
                readers.entry(pack(key, val)).or_default().push(t as u32);
                if txn.final_ && read_only {
                    match finals[key as usize] {
                        Some(f) if f != val => final_conflict[key as usize] = true,
                        _ => finals[key as usize] = Some(val),
                    }
                }
                if let Some(v) = val {
                    rr.check_read(t, key, v, rec, edges);
                }
                if let Some(w) = last_write(p.mops(t), key) {
                    rr.facts.push(Fact {
                        key,
                        from: val,
                        to: w,
                        final_: false,
                    });
                    if let Some(&other) = read_then_wrote.get(&pack(key, val)) {
                        rec.record("lost-update", || {
                            rr.anomaly(
                                &[other, t],
                                format!(
                                    "{} and {} both read {} = {} and both wrote it",
                                    rr.name(other),
                                    rr.name(t),
                                    rr.key(key),
                                    rr.opt(val)
                                ),
                            )
                        });
                    } else {
                        read_then_wrote.insert(pack(key, val), t);
                    }
                }
            }
        }
        for (key, f) in finals.iter().enumerate() {
            if let (Some(Some(f)), false) = (f, final_conflict[key]) {
                for &v in versions[key].iter().filter(|&&v| v != *f) {
                    rr.facts.push(Fact {
                        key: key as u32,
                        from: Some(v),
                        to: *f,
                        final_: true,
                    });
                }
            }
        }
        // Edges from facts, then from the initial nil.
        for fact in &rr.facts {
            if meter.tick() {
                return Err(Spent);
            }
            let Some(b) = rr.writer(fact.key, fact.to) else {
                continue;
            };
            if let Some(a) = fact.from.and_then(|a| rr.writer(fact.key, a)) {
                edges.push((a as u32, b as u32, WW));
            }
            for &r in readers
                .get(&pack(fact.key, fact.from))
                .into_iter()
                .flatten()
            {
                edges.push((r, b as u32, RW));
            }
        }
        for (key, vs) in versions.iter().enumerate() {
            let Some(rs) = readers.get(&pack(key as u32, None)) else {
                continue;
            };
            for &v in vs {
                if let Some(b) = rr.writer(key as u32, v) {
                    edges.extend(rs.iter().map(|&r| (r, b as u32, RW)));
                }
            }
        }
        Ok(rr)
    }

    /// The committed (or indeterminate) transaction that wrote `v` to `key`.
    fn writer(&self, key: u32, v: u32) -> Option<usize> {
        match self.writers.get(&pack(key, Some(v))) {
            Some(&w) if w != DUP && self.p.txns[w as usize].status != Status::Fail => {
                Some(w as usize)
            }
            _ => None,
        }
    }

    fn check_read(
        &self,
        t: usize,
        key: u32,
        v: u32,
        rec: &mut Recorder,
        edges: &mut Vec<(u32, u32, u8)>,
    ) {
        let line = |what: String| {
            format!(
                "{} read {} = {}, {what}",
                self.name(t),
                self.key(key),
                self.val(v)
            )
        };
        match self.writers.get(&pack(key, Some(v))) {
            None => rec.record("garbage-read", || {
                self.anomaly(&[t], line("which no transaction wrote".into()))
            }),
            Some(&DUP) => {}
            Some(&w) => {
                let w = w as usize;
                if self.p.txns[w].status == Status::Fail {
                    rec.record("G1a", || {
                        self.anomaly(
                            &[t, w],
                            line(format!("which {} wrote and failed", self.name(w))),
                        )
                    });
                } else if w != t {
                    if last_write(self.p.mops(w), key) != Some(v) {
                        rec.record("G1b", || {
                            self.anomaly(
                                &[t, w],
                                line(format!("which {} overwrote within itself", self.name(w))),
                            )
                        });
                    }
                    edges.push((w as u32, t as u32, WR));
                }
            }
        }
    }

    fn internal(&self, t: usize, rec: &mut Recorder) {
        let mut state: Vec<(u32, Option<u32>)> = Vec::new();
        for m in self.p.mops(t) {
            let key = m.key();
            let known = state.iter_mut().find(|s| s.0 == key);
            match (m, known) {
                (Mop::Write { val, .. }, Some(s)) => s.1 = Some(*val),
                (Mop::Write { val, .. }, None) => state.push((key, Some(*val))),
                (Mop::ReadReg { val, .. }, Some(s)) if s.1 != *val => {
                    let was = s.1;
                    rec.record("internal", || {
                        self.anomaly(
                            &[t],
                            format!(
                                "{} read {} = {}, but its own earlier read or write says {}",
                                self.name(t),
                                self.key(key),
                                self.opt(*val),
                                self.opt(was)
                            ),
                        )
                    });
                    s.1 = *val;
                }
                (Mop::ReadReg { val, .. }, None) => state.push((key, *val)),
                _ => {}
            }
        }
    }

    fn opt(&self, v: Option<u32>) -> String {
        v.map_or_else(|| "nil".to_string(), |v| self.val(v))
    }
}

impl Explain for RwRegister<'_> {
    fn parsed(&self) -> &Parsed<'_> {
        self.p
    }

    fn explain(&self, a: usize, b: usize, kind: u8) -> String {
        let (na, nb) = (self.name(a), self.name(b));
        if kind == WR {
            for (key, v) in external_reads(self.p.mops(b)) {
                if let Some(v) = v.filter(|&v| self.writer(key, v) == Some(a)) {
                    return format!(
                        "{na} < {nb}: {nb} read {} = {}, which {na} wrote",
                        self.key(key),
                        self.val(v)
                    );
                }
            }
        }
        for f in &self.facts {
            if self.writer(f.key, f.to) != Some(b) {
                continue;
            }
            let (k, to) = (self.key(f.key), self.val(f.to));
            let from_writer = f.from.and_then(|v| self.writer(f.key, v));
            if kind == WW && from_writer == Some(a) {
                let from = self.opt(f.from);
                return if f.final_ {
                    format!("{na} < {nb}: {na} wrote {k} = {from}, but the final read found {k} = {to}, which {nb} wrote")
                } else {
                    format!(
                        "{na} < {nb}: {nb} read {k} = {from}, which {na} wrote, then wrote {to}"
                    )
                };
            }
            if kind == RW && external_reads(self.p.mops(a)).any(|r| r == (f.key, f.from)) {
                let from = self.opt(f.from);
                return if f.final_ {
                    format!("{na} < {nb}: {na} read {k} = {from}, but the final read found {k} = {to}, which {nb} wrote")
                } else {
                    format!("{na} < {nb}: {na} read {k} = {from}, which {nb} read and overwrote with {to}")
                };
            }
        }
        if kind == RW {
            for (key, v) in external_reads(self.p.mops(a)) {
                if let (None, Some(w)) = (v, last_write(self.p.mops(b), key)) {
                    return format!("{na} < {nb}: {na} read {} = nil, the initial state, which {nb}'s write of {} follows", self.key(key), self.val(w));
                }
            }
        }
        format!("{na} < {nb}")
    }
}
