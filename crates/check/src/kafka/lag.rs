//! Realtime lag, as upstream's kafka checker measures it.
//!
//! The lag of a key in a poll is a lower bound on how long the poll's view of
//! that key had been out of date when the poll began: the time between the
//! moment the history proves a newer offset existed (an ok send or poll that
//! returned it) and the poll's invocation. A process's view of a key is the
//! highest offset it has polled since it was assigned the key (an assign
//! keeps the offsets of the keys it retains and starts the others at -1,
//! nothing read), and every poll reports a lag for every key the process
//! holds, whether the poll returned anything for it or not.
//!
//! Upstream's results carry only the worst lag (`worst-realtime-lag`, times
//! in seconds); the full series feeds its plots. Here the series is streamed
//! to a callback so memory stays linear in the number of offsets.

use crate::history::{Op, OpType};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One poll's lag on one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lag<'a> {
    /// When the poll was invoked, in nanoseconds.
    pub time: u64,
    /// The polling process.
    pub process: i64,
    /// The key.
    pub key: &'a str,
    /// The lag, in nanoseconds (0 when the view was the newest known).
    pub lag: u64,
}

/// The worst lag of a history, with upstream's key names and units
/// (seconds). With no polls it is `{"time": 0, "lag": 0}`, as upstream.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorstLag {
    /// When the poll was invoked, in seconds since the test began.
    pub time: f64,
    /// The polling process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<i64>,
    /// The key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The lag, in seconds.
    pub lag: f64,
}

const NANOS: f64 = 1e9;

/// Calls `each` with the highest offset per key that a completed op shows
/// exists: sends by their offsets, polls by the highest offset returned (-1
/// for a key returned with no messages). A key may come more than once.
fn each_max_offset<'a>(op: &'a Op, mut each: impl FnMut(&'a str, i64)) {
    let mops = op.value.as_array().map_or(&[][..], Vec::as_slice);
    for mop in mops {
        let Some(a) = mop.as_array() else { continue };
        match (a.first().and_then(Value::as_str), op.f.as_str()) {
            (Some("send"), "send") => {
                if let (Some(k), Some(o)) = (
                    a.get(1).and_then(Value::as_str),
                    a.get(2).and_then(|v| v.get(0)).and_then(Value::as_i64),
                ) {
                    each(k, o);
                }
            }
            (Some("poll"), "poll") => {
                let Some(m) = a.get(1).and_then(Value::as_object) else {
                    continue;
                };
                for (k, pairs) in m {
                    let highest = pairs
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.get(0).and_then(Value::as_i64))
                        .fold(-1, i64::max);
                    each(k, highest);
                }
            }
            _ => {}
        }
    }
}

fn keys_of(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// Calls `each` with every poll's lag on every key its process holds, in
/// history order (keys sorted within a poll).
pub fn for_each_lag<'a>(history: &'a [Op], mut each: impl FnMut(Lag<'a>)) {
    // Per key: element i is the first time offset i was known to exist, i.e.
    // when offset i - 1 stopped being the newest message of the log.
    let mut known_at: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for op in history
        .iter()
        .filter(|o| o.is_client() && matches!(o.kind, OpType::Ok | OpType::Info))
    {
        each_max_offset(op, |k, offset| {
            let Ok(len) = usize::try_from(offset + 1) else {
                return;
            };
            let times = known_at.entry(k).or_default();
            // Offsets below a known one exist too; an earlier time already
            // recorded for them stands.
            if times.len() < len {
                times.resize(len, op.time);
            }
        });
    }
    let mut invoked: BTreeMap<i64, u64> = BTreeMap::new();
    let mut views: BTreeMap<i64, BTreeMap<&str, i64>> = BTreeMap::new();
    for op in history.iter().filter(|o| o.is_client()) {
        if op.kind == OpType::Invoke {
            invoked.insert(op.process, op.time);
            continue;
        }
        let start = invoked.remove(&op.process).unwrap_or(op.time);
        if op.kind != OpType::Ok {
            continue;
        }
        match op.f.as_str() {
            "assign" => {
                let old = views.remove(&op.process).unwrap_or_default();
                let new = keys_of(&op.value)
                    .map(|k| (k, old.get(k).copied().unwrap_or(-1)))
                    .collect();
                views.insert(op.process, new);
            }
            "subscribe" => {
                views.insert(op.process, BTreeMap::new());
            }
            "poll" => {
                let view = views.entry(op.process).or_default();
                each_max_offset(op, |k, o| {
                    let e = view.entry(k).or_insert(o);
                    *e = (*e).max(o);
                });
                for (&key, &o) in view.iter() {
                    let newer = usize::try_from(o + 1)
                        .ok()
                        .and_then(|i| known_at.get(key)?.get(i).copied());
                    each(Lag {
                        time: start,
                        process: op.process,
                        key,
                        lag: newer.map_or(0, |t| start.saturating_sub(t)),
                    });
                }
            }
            _ => {}
        }
    }
}

/// The worst lag of `history` (the first of equals), in upstream's shape.
pub fn worst_realtime_lag(history: &[Op]) -> WorstLag {
    let mut worst: Option<Lag<'_>> = None;
    for_each_lag(history, |l| {
        if worst.as_ref().is_none_or(|w| l.lag > w.lag) {
            worst = Some(l);
        }
    });
    worst.map_or_else(WorstLag::default, |w| WorstLag {
        time: w.time as f64 / NANOS,
        process: Some(w.process),
        key: Some(w.key.to_string()),
        lag: w.lag as f64 / NANOS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A history with explicit times (nanoseconds).
    struct H(Vec<Op>);

    impl H {
        fn op(&mut self, time: u64, kind: OpType, p: i64, f: &str, v: Value) -> &mut Self {
            let mut op = Op::new(self.0.len() as u64, kind, p, f, v);
            op.time = time;
            self.0.push(op);
            self
        }
        fn lags(&self) -> Vec<(u64, i64, String, u64)> {
            let mut out = Vec::new();
            for_each_lag(&self.0, |l| {
                out.push((l.time, l.process, l.key.to_string(), l.lag))
            });
            out
        }
    }

    fn send(h: &mut H, at: u64, p: i64, k: &str, offset: i64, msg: i64) {
        h.op(at, OpType::Invoke, p, "send", json!([["send", k, msg]]))
            .op(
                at,
                OpType::Ok,
                p,
                "send",
                json!([["send", k, [offset, msg]]]),
            );
    }

    fn poll(h: &mut H, at: u64, done: u64, p: i64, msgs: Value) {
        h.op(at, OpType::Invoke, p, "poll", json!([["poll"]])).op(
            done,
            OpType::Ok,
            p,
            "poll",
            json!([["poll", msgs]]),
        );
    }

    #[test]
    fn a_poll_behind_a_newer_send_lags_from_that_send() {
        // Upstream's own example: x@0 sent at 1, polled at 2 (no lag); x@1
        // sent at 3; a poll invoked at 4 returning nothing lags by 1.
        let mut h = H(Vec::new());
        send(&mut h, 1, 0, "x", 0, 10);
        poll(&mut h, 2, 2, 1, json!({"x": [[0, 10]]}));
        send(&mut h, 3, 0, "x", 1, 11);
        poll(&mut h, 4, 5, 1, json!({"x": []}));
        assert_eq!(h.lags(), vec![(2, 1, "x".into(), 0), (4, 1, "x".into(), 1)]);
        let w = worst_realtime_lag(&h.0);
        assert_eq!(w.lag, 1e-9);
        assert_eq!((w.process, w.key.as_deref()), (Some(1), Some("x")));
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            json!({"time": 4e-9, "process": 1, "key": "x", "lag": 1e-9})
        );
    }

    #[test]
    fn an_offset_is_known_from_its_first_sighting_even_via_a_higher_one() {
        // Offset 2 seen at 10 proves offsets 0 and 1 exist from 10 too; a
        // later sighting of offset 1 does not make them newer.
        let mut h = H(Vec::new());
        send(&mut h, 10, 0, "k", 2, 3);
        send(&mut h, 20, 0, "k", 1, 2);
        // Nothing read yet: lags from when offset 0 was known (10).
        poll(&mut h, 50, 50, 1, json!({"k": []}));
        // Read up to offset 0: offset 1 existed since 10 as well.
        poll(&mut h, 60, 60, 1, json!({"k": [[0, 1]]}));
        // Read everything: no newer offset is known.
        poll(&mut h, 70, 70, 1, json!({"k": [[1, 2], [2, 3]]}));
        let lags: Vec<u64> = h.lags().into_iter().map(|l| l.3).collect();
        assert_eq!(lags, vec![40, 50, 0]);
    }

    #[test]
    fn assign_keeps_retained_keys_and_starts_new_ones_unread() {
        let mut h = H(Vec::new());
        send(&mut h, 0, 0, "a", 0, 1);
        send(&mut h, 0, 0, "b", 0, 2);
        poll(&mut h, 5, 5, 1, json!({"a": [[0, 1]], "b": [[0, 2]]}));
        send(&mut h, 8, 0, "a", 1, 3);
        h.op(9, OpType::Invoke, 1, "assign", json!(["a", "c"])).op(
            9,
            OpType::Ok,
            1,
            "assign",
            json!(["a", "c"]),
        );
        send(&mut h, 10, 0, "c", 0, 4);
        poll(&mut h, 30, 31, 1, json!({}));
        // b was dropped; a keeps offset 0 (so lags from 8, when a@1 was
        // sent); c starts unread (lags from 10, when c@0 was sent).
        let last: Vec<(String, u64)> = h.lags()[2..].iter().map(|l| (l.2.clone(), l.3)).collect();
        assert_eq!(last, vec![("a".into(), 22), ("c".into(), 20)]);
        // A failed assign changes nothing.
        h.op(40, OpType::Invoke, 1, "assign", json!(["b"])).op(
            40,
            OpType::Fail,
            1,
            "assign",
            json!(["b"]),
        );
        poll(&mut h, 50, 50, 1, json!({}));
        let keys: Vec<String> = h.lags()[4..].iter().map(|l| l.2.clone()).collect();
        assert_eq!(keys, vec!["a".to_string(), "c".to_string()]);
    }

    #[test]
    fn without_polls_the_worst_lag_is_zero() {
        let mut h = H(Vec::new());
        send(&mut h, 1, 0, "x", 0, 1);
        assert_eq!(
            serde_json::to_value(worst_realtime_lag(&h.0)).unwrap(),
            json!({"time": 0.0, "lag": 0.0})
        );
    }
}
