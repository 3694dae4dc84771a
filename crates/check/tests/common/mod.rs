//! Shared pieces of the oracle property tests: the proptest configuration and
//! a layout of generated operations into a history (interleaved processes).
//!
//! Each test file includes this module with `mod common;`, and not every
//! file uses every helper.
#![allow(dead_code)]

pub mod txn;

use maelstrom_check::history::{Op, OpType};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::Value;

/// A proptest configuration with a fixed seed (deterministic runs) and
/// `default_cases` cases, unless `PROPTEST_CASES` (and `PROPTEST_RNG_SEED`)
/// say otherwise. Failures are shrunk and printed, not persisted: with a fixed
/// seed a failure comes back on every run anyway.
pub fn config(default_cases: u32) -> Config {
    let env = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<u64>().ok());
    Config {
        cases: env("PROPTEST_CASES").map_or(default_cases, |n| n as u32),
        rng_seed: RngSeed::Fixed(env("PROPTEST_RNG_SEED").unwrap_or(0x6d61_656c)),
        failure_persistence: None,
        ..Config::default()
    }
}

/// How a generated operation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An `ok` completion.
    Ok,
    /// An explicit `info` completion.
    Info,
    /// A `fail` completion.
    Fail,
    /// No completion at all: the history ends first (treated as `info`).
    Pending,
}

/// Mostly ok, with every other outcome common enough to matter.
pub fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        5 => Just(Outcome::Ok),
        2 => Just(Outcome::Info),
        2 => Just(Outcome::Fail),
        1 => Just(Outcome::Pending),
    ]
}

/// One line of a laid-out history: op `op` is invoked (`done == false`) or
/// completes (`done == true`) as process `process`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Index of the generated operation.
    pub op: usize,
    /// False for the invocation, true for the completion.
    pub done: bool,
    /// The process number (a thread gets a fresh one after an info op, as in Jepsen).
    pub process: i64,
}

/// Lays out operations as a history. `threads[i]` is the thread of op `i`
/// (ops of one thread run one after another, in index order); `schedule`
/// picks, step by step, which thread with work left emits its next line.
/// After an `info` or pending op its thread continues under a new process
/// number, since a Jepsen process whose op is indeterminate is retired.
pub fn layout(threads: &[u8], outcomes: &[Outcome], schedule: &[u8]) -> Vec<Event> {
    let nthreads = threads
        .iter()
        .map(|&t| usize::from(t) + 1)
        .max()
        .unwrap_or(0);
    let mut queues: Vec<Vec<usize>> = vec![Vec::new(); nthreads];
    for (i, &t) in threads.iter().enumerate() {
        queues[usize::from(t)].push(i);
    }
    let mut next = vec![0usize; nthreads];
    let mut invoked = vec![false; nthreads];
    let mut generation = vec![0i64; nthreads];
    let mut out = Vec::new();
    let mut step = 0usize;
    loop {
        let ready: Vec<usize> = (0..nthreads)
            .filter(|&t| next[t] < queues[t].len())
            .collect();
        if ready.is_empty() {
            return out;
        }
        let pick = schedule
            .get(step % schedule.len().max(1))
            .copied()
            .unwrap_or(0);
        step += 1;
        let t = ready[usize::from(pick) % ready.len()];
        let op = queues[t][next[t]];
        let process = t as i64 + nthreads as i64 * generation[t];
        if !invoked[t] {
            out.push(Event {
                op,
                done: false,
                process,
            });
            invoked[t] = true;
            if outcomes[op] != Outcome::Pending {
                continue;
            }
        } else {
            out.push(Event {
                op,
                done: true,
                process,
            });
        }
        if matches!(outcomes[op], Outcome::Info | Outcome::Pending) {
            generation[t] += 1;
        }
        invoked[t] = false;
        next[t] += 1;
    }
}

/// The history line of an event, with `index` and `time` set to its position.
pub fn line(pos: usize, e: &Event, kind: OpType, f: &str, value: Value) -> Op {
    Op::new(pos as u64, kind, e.process, f, value)
}

/// The completion type of an outcome (`None` for a pending op).
pub fn completion_kind(o: Outcome) -> Option<OpType> {
    match o {
        Outcome::Ok => Some(OpType::Ok),
        Outcome::Info => Some(OpType::Info),
        Outcome::Fail => Some(OpType::Fail),
        Outcome::Pending => None,
    }
}

/// Positions of each op's invocation and completion in a layout.
pub fn positions(events: &[Event], n: usize) -> (Vec<usize>, Vec<Option<usize>>) {
    let mut call = vec![usize::MAX; n];
    let mut ret = vec![None; n];
    for (pos, e) in events.iter().enumerate() {
        if e.done {
            ret[e.op] = Some(pos);
        } else {
            call[e.op] = pos;
        }
    }
    (call, ret)
}

/// Every op is laid out exactly once, invocation before completion, and a
/// pending op has no completion.
#[test]
fn layout_is_well_formed() {
    let threads = [0, 1, 0, 2, 1];
    let outcomes = [
        Outcome::Ok,
        Outcome::Info,
        Outcome::Pending,
        Outcome::Fail,
        Outcome::Ok,
    ];
    let events = layout(&threads, &outcomes, &[1, 2, 0, 0, 1, 2, 2]);
    let (call, ret) = positions(&events, 5);
    assert_eq!(events.len(), 9);
    for i in 0..5 {
        assert!(call[i] < ret[i].unwrap_or(usize::MAX));
        assert_eq!(ret[i].is_none(), outcomes[i] == Outcome::Pending);
    }
    // Op 4 follows op 1 (info) on thread 1, so it runs as a new process.
    assert_ne!(events[call[4]].process, events[call[1]].process);
    // Thread 0 runs op 0 then op 2.
    assert!(ret[0].unwrap() < call[2]);
}
