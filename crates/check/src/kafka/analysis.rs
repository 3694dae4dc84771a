//! The passes of the kafka checker.

use super::{KafkaOpts, KafkaResult};
use crate::budget::Meter;
use crate::history::{pairs, Op, OpType, Pair};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What is known about one key.
#[derive(Default)]
struct KeyInfo {
    /// offset -> messages observed there (sends and polls).
    at: BTreeMap<i64, BTreeSet<i64>>,
    /// message -> offsets it was observed at.
    offsets_of: BTreeMap<i64, BTreeSet<i64>>,
    /// ok sends: message -> (offset, op index).
    sent: BTreeMap<i64, (i64, u64)>,
    /// messages of sends that definitely failed.
    failed: BTreeSet<i64>,
    /// messages observed by polls.
    polled: BTreeSet<i64>,
    max_polled: Option<i64>,
}

impl KeyInfo {
    fn observe(&mut self, offset: i64, msg: i64) {
        self.at.entry(offset).or_default().insert(msg);
        self.offsets_of.entry(msg).or_default().insert(offset);
    }

    /// A known offset strictly between `lo` and `hi`.
    fn known_between(&self, lo: i64, hi: i64) -> Option<i64> {
        if hi <= lo.saturating_add(1) {
            return None;
        }
        self.at.range(lo + 1..hi).next().map(|(&o, _)| o)
    }
}

/// (key, [(offset, msg)]) per micro-op of an ok poll.
type Polled = Vec<(String, Vec<(i64, i64)>)>;

fn micro_ops(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn send_of(mop: &Value) -> Option<(String, &Value)> {
    let a = mop.as_array()?;
    (a.first()?.as_str()? == "send").then_some(())?;
    Some((a.get(1)?.as_str()?.to_string(), a.get(2)?))
}

fn pairs_of(v: &Value) -> Vec<(i64, i64)> {
    micro_ops(v)
        .iter()
        .filter_map(|p| Some((p.get(0)?.as_i64()?, p.get(1)?.as_i64()?)))
        .collect()
}

fn polled_of(completion: &Value) -> Polled {
    let mut out = Vec::new();
    for mop in micro_ops(completion) {
        let Some(a) = mop.as_array() else { continue };
        if a.first().and_then(Value::as_str) != Some("poll") {
            continue;
        }
        if let Some(m) = a.get(1).and_then(Value::as_object) {
            for (k, v) in m {
                out.push((k.clone(), pairs_of(v)));
            }
        }
    }
    out
}

/// Drops the last polled offsets of `process` for the keys `drop` picks.
fn forget(last_poll: &mut BTreeMap<(i64, String), i64>, process: i64, drop: impl Fn(&str) -> bool) {
    last_poll.retain(|(p, k), _| *p != process || !drop(k));
}

const BUDGET: &str = "time budget exceeded";

pub(super) fn analyse(
    history: &[Op],
    opts: &KafkaOpts,
    res: &mut KafkaResult,
) -> Result<(), String> {
    let mut meter = Meter::new(&opts.budget);
    let max = opts.max_errs;
    let all: Vec<Pair<'_>> = pairs(history)
        .into_iter()
        .filter(|p| p.invoke.is_client())
        .collect();
    let mut keys: BTreeMap<String, KeyInfo> = BTreeMap::new();

    // Pass 1: every observation.
    for p in &all {
        if meter.tick() {
            return Err(BUDGET.into());
        }
        match (p.f(), p.kind()) {
            ("send", OpType::Ok) => {
                for mop in micro_ops(p.result().unwrap_or(&Value::Null)) {
                    let Some((k, om)) = send_of(mop) else {
                        continue;
                    };
                    let (Some(o), Some(m)) = (
                        om.get(0).and_then(Value::as_i64),
                        om.get(1).and_then(Value::as_i64),
                    ) else {
                        continue;
                    };
                    let ki = keys.entry(k).or_default();
                    ki.observe(o, m);
                    ki.sent.insert(m, (o, p.invoke.index));
                }
            }
            ("send", OpType::Fail) => {
                for mop in micro_ops(&p.invoke.value) {
                    if let Some((k, m)) = send_of(mop).and_then(|(k, m)| Some((k, m.as_i64()?))) {
                        keys.entry(k).or_default().failed.insert(m);
                    }
                }
            }
            ("poll", OpType::Ok) => {
                for (k, ps) in polled_of(p.result().unwrap_or(&Value::Null)) {
                    let ki = keys.entry(k).or_default();
                    for &(o, m) in &ps {
                        ki.observe(o, m);
                        ki.polled.insert(m);
                        ki.max_polled = Some(ki.max_polled.map_or(o, |x| x.max(o)));
                    }
                }
            }
            _ => {}
        }
    }

    // Pass 2: per-key consistency.
    for (k, ki) in &keys {
        for (o, ms) in ki.at.iter().filter(|(_, ms)| ms.len() > 1) {
            res.record(
                "inconsistent-offsets",
                || json!({"key": k, "offset": o, "values": ms}),
                max,
            );
        }
        for (m, os) in ki.offsets_of.iter().filter(|(_, os)| os.len() > 1) {
            res.record(
                "duplicate",
                || json!({"key": k, "msg": m, "offsets": os}),
                max,
            );
        }
        for m in ki
            .failed
            .iter()
            .filter(|m| ki.polled.contains(m) && !ki.sent.contains_key(m))
        {
            res.record("G1a", || json!({"key": k, "msg": m}), max);
        }
        let mut unseen = Vec::new();
        for (m, &(o, index)) in &ki.sent {
            if ki.polled.contains(m) {
                continue;
            }
            if ki.max_polled.is_some_and(|mp| o <= mp) {
                let mp = ki.max_polled;
                res.record(
                    "lost-write",
                    || json!({"key": k, "offset": o, "msg": m, "index": index, "max-polled-offset": mp}),
                    max,
                );
            } else {
                unseen.push(*m);
            }
        }
        if !unseen.is_empty() {
            let n = unseen.len();
            unseen.truncate(max);
            res.record(
                "unseen",
                || json!({"key": k, "count": n, "msgs": unseen}),
                max,
            );
        }
    }

    // Pass 3: per-process order of polls and sends.
    let mut last_poll: BTreeMap<(i64, String), i64> = BTreeMap::new();
    let mut last_send: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for p in &all {
        if meter.tick() {
            return Err(BUDGET.into());
        }
        let proc_ = p.invoke.process;
        let index = p.invoke.index;
        match (p.f(), p.kind()) {
            // An assign that may have happened keeps the positions of the
            // keys it retains (as the client does) and drops the others; a
            // failed or unfinished one changes nothing. A crash ends the
            // client, and its positions with it.
            ("assign" | "subscribe", OpType::Ok | OpType::Info) if p.completion.is_some() => {
                let kept: BTreeSet<&str> = micro_ops(&p.invoke.value)
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                forget(&mut last_poll, proc_, |k| !kept.contains(k));
            }
            ("crash", _) => forget(&mut last_poll, proc_, |_| true),
            ("poll", OpType::Ok) => {
                for (k, ps) in polled_of(p.result().unwrap_or(&Value::Null)) {
                    let Some(ki) = keys.get(&k) else { continue };
                    for w in ps.windows(2) {
                        let (a, b) = (w[0].0, w[1].0);
                        if b <= a {
                            res.record("int-nonmonotonic-poll", || json!({"key": k, "index": index, "process": proc_, "offsets": [a, b]}), max);
                        } else if let Some(s) = ki.known_between(a, b) {
                            res.record("int-poll-skip", || json!({"key": k, "index": index, "process": proc_, "offsets": [a, b], "skipped": s}), max);
                        }
                    }
                    let (Some(first), Some(last)) = (ps.first(), ps.last()) else {
                        continue;
                    };
                    let slot = (proc_, k.clone());
                    if let Some(&prev) = last_poll.get(&slot) {
                        if first.0 <= prev {
                            res.record("nonmonotonic-poll", || json!({"key": k, "index": index, "process": proc_, "prev-offset": prev, "offset": first.0}), max);
                        } else if let Some(s) = ki.known_between(prev, first.0) {
                            res.record("poll-skip", || json!({"key": k, "index": index, "process": proc_, "prev-offset": prev, "offset": first.0, "skipped": s}), max);
                        }
                    }
                    last_poll.insert(slot, last.0);
                }
            }
            ("send", OpType::Ok) => {
                let mut in_op: BTreeMap<String, i64> = BTreeMap::new();
                for mop in micro_ops(p.result().unwrap_or(&Value::Null)) {
                    let Some((k, om)) = send_of(mop) else {
                        continue;
                    };
                    let Some(o) = om.get(0).and_then(Value::as_i64) else {
                        continue;
                    };
                    if let Some(&prev) = in_op.get(&k) {
                        if o <= prev {
                            res.record(
                                "int-nonmonotonic-send",
                                || json!({"key": k, "index": index, "offsets": [prev, o]}),
                                max,
                            );
                        } else if let Some(s) =
                            keys.get(&k).and_then(|ki| ki.known_between(prev, o))
                        {
                            res.record("int-send-skip", || json!({"key": k, "index": index, "offsets": [prev, o], "skipped": s}), max);
                        }
                    }
                    let slot = (proc_, k.clone());
                    if let (None, Some(&prev)) = (in_op.insert(k.clone(), o), last_send.get(&slot))
                    {
                        if o <= prev {
                            res.record("nonmonotonic-send", || json!({"key": k, "index": index, "process": proc_, "prev-offset": prev, "offset": o}), max);
                        }
                    }
                    last_send.insert(slot, o);
                }
            }
            _ => {}
        }
    }
    Ok(())
}
