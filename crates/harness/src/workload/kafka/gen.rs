//! kafka's generators: the main phase (Jepsen's kafka test over a list-append
//! key pool, with assigns and client crashes mixed in) and the final polls.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

use super::Tracker;
use crate::history::{Completion, Invocation};
use crate::workload::{FinalGen, GenCtx, Generator};

/// Probability that an op is replaced by an assign of its keys (Jepsen's `sub-p`).
const ASSIGN_P: f64 = 1.0 / 64.0;
/// Probability that an assign also takes keys whose sends were not polled yet.
const WIDEN_P: f64 = 1.0 / 3.0;
/// Each client crashes about this often (Jepsen's `crash-client-interval`).
const CRASH_INTERVAL: Duration = Duration::from_secs(30);
/// Mean pause between final polls (Jepsen staggers them at 1/5 s).
const FINAL_POLL_GAP: Duration = Duration::from_millis(200);

/// Elle's list-append key pool, for transactions of one micro-op: `count`
/// active integer keys, the key at index i drawn with weight 2^i; appends to a
/// key carry 1, 2, 3, ... and a key that reached `max_writes` is replaced, in
/// place, by a fresh key one above the largest active key.
#[derive(Debug, Clone)]
pub struct KeyPool {
    active: Vec<u64>,
    writes: BTreeMap<u64, u64>,
    max_writes: u64,
}

/// One micro-op drawn from the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MicroOp {
    /// A read of the key (a poll, for kafka).
    Read(u64),
    /// An append of the value to the key (a send, for kafka).
    Append(u64, u64),
}

impl KeyPool {
    /// Keys `0..count`, each written at most `max_writes` times.
    pub fn new(count: usize, max_writes: usize) -> Self {
        KeyPool {
            active: (0..count.max(1) as u64).collect(),
            writes: BTreeMap::new(),
            max_writes: max_writes.max(1) as u64,
        }
    }

    /// An index into the active keys, index i with weight 2^i (Elle's
    /// exponential distribution with base 2).
    fn index(&self, rng: &mut StdRng) -> usize {
        let n = self.active.len() as i32;
        // Uniform on [2, 2^(n+1)): log2 - 1 falls in [i, i+1) with weight 2^i.
        let x = 2.0 + rng.random::<f64>() * (2f64.powi(n + 1) - 2.0);
        ((x.log2() - 1.0).floor() as usize).min(self.active.len() - 1)
    }

    /// The next micro-op: read or append, 50/50.
    pub fn next(&mut self, rng: &mut StdRng) -> MicroOp {
        let i = self.index(rng);
        let key = self.active[i];
        if rng.random_bool(0.5) {
            return MicroOp::Read(key);
        }
        let count = self.writes.entry(key).or_insert(0);
        *count += 1;
        let value = *count;
        if value >= self.max_writes {
            self.writes.remove(&key);
            self.active[i] = self.active.iter().max().map_or(0, |m| m + 1);
        }
        MicroOp::Append(key, value)
    }
}

/// The main-phase generator.
pub struct KafkaGen {
    pool: KeyPool,
    tracker: Rc<RefCell<Tracker>>,
    /// An op held back while an assign of its keys went first (Jepsen's
    /// interleaving does not consume the op it replaces).
    held: Option<(Invocation, String)>,
    crash_gap: Duration,
    next_crash: Option<Duration>,
}

impl KafkaGen {
    /// A generator over `pool` for `concurrency` workers.
    pub fn new(pool: KeyPool, tracker: Rc<RefCell<Tracker>>, concurrency: usize) -> Self {
        KafkaGen {
            pool,
            tracker,
            held: None,
            crash_gap: CRASH_INTERVAL / concurrency.max(1) as u32,
            next_crash: None,
        }
    }

    /// A fresh op and its key.
    fn fresh(&mut self, rng: &mut StdRng) -> (Invocation, String) {
        match self.pool.next(rng) {
            MicroOp::Read(k) => (Invocation::new("poll", json!([["poll"]])), k.to_string()),
            MicroOp::Append(k, v) => {
                let key = k.to_string();
                (Invocation::new("send", json!([["send", key, v]])), key)
            }
        }
    }

    /// Uniform in `[0, 2 × crash_gap)`: Jepsen's stagger.
    fn crash_pause(&self, rng: &mut StdRng) -> Duration {
        self.crash_gap.mul_f64(2.0 * rng.random::<f64>())
    }
}

impl Generator for KafkaGen {
    fn next(&mut self, rng: &mut StdRng, ctx: &GenCtx) -> Option<Invocation> {
        let due = match self.next_crash {
            Some(at) => at,
            None => {
                let at = self.crash_pause(rng);
                self.next_crash = Some(at);
                at
            }
        };
        if ctx.elapsed >= due {
            self.next_crash = Some(due + self.crash_pause(rng));
            return Some(Invocation::new("crash", Value::Null));
        }
        let (op, key) = match self.held.take() {
            Some(held) => held,
            None => self.fresh(rng),
        };
        if !rng.random_bool(ASSIGN_P) {
            return Some(op);
        }
        let mut keys = vec![key.clone()];
        let tracker = self.tracker.borrow();
        if rng.random_bool(WIDEN_P) {
            // Catch up on keys whose sends no poll has seen yet.
            keys.extend(tracker.unseen_keys().filter(|k| **k != key).cloned());
        }
        drop(tracker);
        self.held = Some((op, key));
        Some(Invocation::new("assign", json!(keys)))
    }
}

/// One worker's final phase: crash its client, assign every key seen during
/// the test from the beginning, then poll until it has read up to the highest
/// offset seen of each key.
pub struct FinalPolls {
    targets: BTreeMap<String, i64>,
    script: VecDeque<Invocation>,
    rng: StdRng,
}

impl FinalPolls {
    /// A final phase reaching `targets` (key → highest offset seen).
    pub fn new(targets: BTreeMap<String, i64>, rng: StdRng) -> Self {
        let keys: Vec<&String> = targets.keys().collect();
        let script = VecDeque::from([
            Invocation::new("crash", Value::Null).final_(),
            Invocation::new("assign", json!(keys)).final_(),
        ]);
        FinalPolls {
            targets,
            script,
            rng,
        }
    }
}

impl FinalGen for FinalPolls {
    fn next(&mut self) -> Option<(Duration, Invocation)> {
        if self.targets.is_empty() {
            return None;
        }
        if let Some(op) = self.script.pop_front() {
            return Some((Duration::ZERO, op));
        }
        let pause = FINAL_POLL_GAP.mul_f64(2.0 * self.rng.random::<f64>());
        Some((pause, Invocation::new("poll", json!([["poll"]])).final_()))
    }

    fn observe(&mut self, op: &Invocation, completion: &Completion) {
        let Some(value) = completion.ok_value() else {
            return;
        };
        if op.f != "poll" {
            return;
        }
        for (key, offset) in poll_max_offsets(&value) {
            if self.targets.get(&key).is_some_and(|t| *t <= offset) {
                self.targets.remove(&key);
            }
        }
    }
}

/// The highest offset per key in an ok poll's value `[["poll", {k: [[o, m], ...]}]]`.
pub fn poll_max_offsets(value: &Value) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let polls = value.as_array().into_iter().flatten();
    for mop in polls.filter(|m| m.get(0) == Some(&json!("poll"))) {
        let Some(msgs) = mop.get(1).and_then(Value::as_object) else {
            continue;
        };
        for (key, pairs) in msgs {
            let max = pairs
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.get(0).and_then(Value::as_i64))
                .max();
            if let Some(max) = max {
                let e = out.entry(key.clone()).or_insert(max);
                *e = (*e).max(max);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn pool_weights_higher_indices_and_retires_keys() {
        let mut pool = KeyPool::new(3, 4);
        let mut rng = StdRng::seed_from_u64(9);
        let mut counts = [0usize; 3];
        for _ in 0..7000 {
            counts[pool.index(&mut rng)] += 1;
        }
        // Weights 1 : 2 : 4.
        assert!((800..1200).contains(&counts[0]), "{counts:?}");
        assert!((3700..4300).contains(&counts[2]), "{counts:?}");
        let mut per_key: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for _ in 0..200 {
            if let MicroOp::Append(k, v) = pool.next(&mut rng) {
                per_key.entry(k).or_default().push(v);
            }
        }
        for (k, vs) in &per_key {
            // Values 1, 2, ... per key, at most 4 of them.
            let expected: Vec<u64> = (1..=vs.len() as u64).collect();
            assert_eq!(vs, &expected, "key {k}");
            assert!(vs.len() <= 4);
        }
        assert!(per_key.len() > 10, "keys were retired: {per_key:?}");
    }

    fn ctx(elapsed_ms: u64) -> GenCtx {
        GenCtx {
            thread: 0,
            process: 0,
            elapsed: Duration::from_millis(elapsed_ms),
        }
    }

    #[test]
    fn mix_of_sends_polls_assigns_and_crashes() {
        let tracker = Rc::new(RefCell::new(Tracker::default()));
        let mut gen = KafkaGen::new(KeyPool::new(10, 16), tracker, 3);
        let mut rng = StdRng::seed_from_u64(4);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        // 60 s at 100 ops/s: about 6 crashes (one per 10 s).
        for i in 0..6000 {
            let op = gen.next(&mut rng, &ctx(i * 10)).unwrap();
            *counts.entry(op.f.clone()).or_default() += 1;
            if op.f == "send" {
                assert!(op.value[0][1].is_string(), "{op:?}");
            }
        }
        let (send, poll) = (counts["send"], counts["poll"]);
        assert!(send.abs_diff(poll) < 400, "{counts:?}");
        assert!((50..150).contains(&counts["assign"]), "{counts:?}");
        assert!((2..=12).contains(&counts["crash"]), "{counts:?}");
    }

    #[test]
    fn final_polls_stop_once_caught_up() {
        let targets = BTreeMap::from([("1".to_string(), 3), ("2".to_string(), 0)]);
        let mut f = FinalPolls::new(targets, StdRng::seed_from_u64(1));
        assert_eq!(f.next().unwrap().1.f, "crash");
        let assign = f.next().unwrap().1;
        assert!(assign.is_final);
        assert_eq!(assign.value, json!(["1", "2"]));
        let (pause, poll) = f.next().unwrap();
        assert!(pause < FINAL_POLL_GAP * 2);
        f.observe(
            &poll,
            &Completion::Ok(json!([["poll", {"1": [[0, 1], [2, 5]], "2": [[0, 9]]}]])),
        );
        assert!(f.next().is_some());
        f.observe(&poll, &Completion::Ok(json!([["poll", {"1": [[3, 7]]}]])));
        assert!(f.next().is_none());
    }
}
