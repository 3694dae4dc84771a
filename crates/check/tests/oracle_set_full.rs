//! The set-full checker against an oracle written from the definition,
//! using history positions only (timestamps are generated with many ties, as
//! the simulation gives, and must not decide anything).
//!
//! For each element whose add was invoked: *known* is the position of the
//! first ok completion of an add of it or of an ok read containing it;
//! *last present* / *last absent* are the ok reads with the largest
//! invocation position among those containing / not containing it. Only
//! reads completing after the element's first add invocation count (the
//! element is not tracked before). Stable iff last present exists and comes
//! after last absent (if any); lost iff known and last absent exist, last
//! present (if any) comes before last absent, and known comes before last
//! absent's invocation; else never read. Invalid iff anything is lost;
//! unknown iff nothing is stable; else valid.

mod common;

use common::{completion_kind, config, layout, outcome, positions, Event, Outcome};
use maelstrom_check::history::{to_jsonl, Op, OpType};
use maelstrom_check::set_full::{check, SetFullOpts};
use maelstrom_check::Validity;
use proptest::prelude::*;
use serde_json::{json, Value};

/// A generated op: an add of `elem`, or a read returning the elements whose
/// bits are set in `seen` (bit 7: element 1 twice, a duplicate).
#[derive(Debug, Clone)]
struct Gen {
    thread: u8,
    add: bool,
    elem: u8,
    seen: u8,
    out: Outcome,
}

fn gen_ops() -> impl Strategy<Value = (Vec<Gen>, Vec<u8>, Vec<u8>)> {
    let op = (0u8..4, any::<bool>(), 0u8..6, any::<u8>(), outcome()).prop_map(
        |(thread, add, elem, seen, out)| Gen {
            thread,
            add,
            elem,
            seen,
            out,
        },
    );
    (
        prop::collection::vec(op, 1..14),
        prop::collection::vec(any::<u8>(), 1..32),
        // Time steps between lines, in ms: mostly 0 (ties).
        prop::collection::vec(prop_oneof![3 => Just(0u8), 1 => 1u8..3], 1..32),
    )
}

/// Elements 0..=6 a read returned (6 is never added), with duplicates.
fn read_value(seen: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..7).filter(|b| seen & (1 << b) != 0).collect();
    if seen & 0x80 != 0 && v.contains(&1) {
        v.push(1);
    }
    v
}

fn history(gens: &[Gen], events: &[Event], steps: &[u8]) -> Vec<Op> {
    let mut time = 0u64;
    events
        .iter()
        .enumerate()
        .map(|(pos, e)| {
            time += u64::from(steps[pos % steps.len()]) * 1_000_000;
            let g = &gens[e.op];
            let f = if g.add { "add" } else { "read" };
            let kind = if e.done {
                completion_kind(g.out).expect("pending ops have no completion")
            } else {
                OpType::Invoke
            };
            let value = match (g.add, kind) {
                (true, _) => json!(g.elem),
                (false, OpType::Ok) => json!(read_value(g.seen)),
                (false, _) => Value::Null,
            };
            let mut op = Op::new(pos as u64, kind, e.process, f, value);
            op.time = time;
            op
        })
        .collect()
}

/// What the oracle decides: verdict, and the lost, never-read and stable elements.
#[derive(Debug, PartialEq)]
struct Expected {
    valid: Validity,
    lost: Vec<Value>,
    never_read: Vec<Value>,
    stable: usize,
}

fn oracle(gens: &[Gen], events: &[Event]) -> Expected {
    let (call, ret) = positions(events, gens.len());
    // (invocation, completion, contents) of every ok read.
    let reads: Vec<(usize, usize, Vec<u8>)> = (0..gens.len())
        .filter(|&i| !gens[i].add && gens[i].out == Outcome::Ok)
        .map(|i| (call[i], ret[i].unwrap(), read_value(gens[i].seen)))
        .collect();
    let (mut lost, mut never_read, mut stable) = (Vec::new(), Vec::new(), 0);
    for e in 0..7u8 {
        let Some(first_add) = (0..gens.len())
            .filter(|&i| gens[i].add && gens[i].elem == e)
            .map(|i| call[i])
            .min()
        else {
            continue;
        };
        let tracked: Vec<&(usize, usize, Vec<u8>)> =
            reads.iter().filter(|r| r.1 > first_add).collect();
        let add_ok = (0..gens.len())
            .filter(|&i| gens[i].add && gens[i].elem == e && gens[i].out == Outcome::Ok)
            .filter_map(|i| ret[i]);
        let read_ok = tracked.iter().filter(|r| r.2.contains(&e)).map(|r| r.1);
        let known = add_ok.chain(read_ok).min();
        let last_present = tracked
            .iter()
            .filter(|r| r.2.contains(&e))
            .map(|r| r.0)
            .max();
        let last_absent = tracked
            .iter()
            .filter(|r| !r.2.contains(&e))
            .map(|r| r.0)
            .max();
        let is_stable = last_present.is_some_and(|p| last_absent.is_none_or(|a| a < p));
        let is_lost = match (known, last_absent) {
            (Some(k), Some(a)) => last_present.is_none_or(|p| p < a) && k < a,
            _ => false,
        };
        if is_stable {
            stable += 1;
        } else if is_lost {
            lost.push(json!(e));
        } else {
            never_read.push(json!(e));
        }
    }
    let valid = if !lost.is_empty() {
        Validity::Invalid
    } else if stable == 0 {
        Validity::Unknown
    } else {
        Validity::Valid
    };
    Expected {
        valid,
        lost,
        never_read,
        stable,
    }
}

fn laid_out(gens: &[Gen], sched: &[u8]) -> Vec<Event> {
    let threads: Vec<u8> = gens.iter().map(|g| g.thread).collect();
    let outs: Vec<Outcome> = gens.iter().map(|g| g.out).collect();
    layout(&threads, &outs, sched)
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn set_full_matches_oracle((gens, sched, steps) in gen_ops()) {
        let events = laid_out(&gens, &sched);
        let h = history(&gens, &events, &steps);
        let want = oracle(&gens, &events);
        let r = check(&h, &SetFullOpts::g_set());
        let got = Expected {
            valid: r.valid,
            lost: r.lost.clone(),
            never_read: r.never_read.clone(),
            stable: r.stable_count as usize,
        };
        prop_assert_eq!(got, want, "history:\n{}", to_jsonl(&h));
        prop_assert_eq!(r.lost_count as usize, r.lost.len());
        prop_assert_eq!(r.never_read_count as usize, r.never_read.len());
        prop_assert_eq!(r.attempt_count, r.stable_count + r.lost_count + r.never_read_count);
    }
}

/// The oracle on a hand-made history: element 0 added and read, then
/// missing from a later read (lost); element 1 read last (stable).
#[test]
fn oracle_sanity() {
    let g = |thread, add, elem, seen| Gen {
        thread,
        add,
        elem,
        seen,
        out: Outcome::Ok,
    };
    let gens = [
        g(0, true, 0, 0),
        g(0, true, 1, 0),
        g(0, false, 0, 0b11),
        g(0, false, 0, 0b10),
    ];
    let events = laid_out(&gens, &[0]);
    let want = oracle(&gens, &events);
    assert_eq!(want.valid, Validity::Invalid);
    assert_eq!(want.lost, vec![json!(0)]);
    assert_eq!(want.stable, 1);
}

/// The generator gives every verdict often enough.
#[test]
fn generator_mixes_verdicts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::new(config(0));
    let mut counts = [0usize; 3];
    for _ in 0..600 {
        let (gens, sched, _) = gen_ops().new_tree(&mut runner).unwrap().current();
        let v = oracle(&gens, &laid_out(&gens, &sched)).valid;
        counts[v as usize] += 1;
    }
    eprintln!("valid, unknown, invalid: {counts:?}");
    assert!(counts.iter().all(|&c| c > 60), "{counts:?}");
}
