//! The counter checker against an oracle that enumerates every subset of
//! the indeterminate adds.
//!
//! Ok adds happened, failed adds did not, info and pending adds may have.
//! The acceptable values are the ok sum plus the sum of any subset of the
//! indeterminate deltas. Invalid iff some ok final read is not acceptable;
//! unknown iff there is no ok final read; else valid. Reads without the
//! `final` flag are not checked.

mod common;

use common::{completion_kind, config, layout, outcome, Outcome};
use maelstrom_check::counter::{check, CounterOpts};
use maelstrom_check::history::{to_jsonl, Op, OpType};
use maelstrom_check::Validity;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// An add of `x` (-3..=3) or a read returning `x` (-8..=8), final or not.
#[derive(Debug, Clone)]
struct Gen {
    thread: u8,
    add: bool,
    final_: bool,
    x: i64,
    out: Outcome,
}

fn gen_ops() -> impl Strategy<Value = (Vec<Gen>, Vec<u8>)> {
    let add = (0u8..3, -3i64..=3, outcome()).prop_map(|(thread, x, out)| Gen {
        thread,
        add: true,
        final_: false,
        x,
        out,
    });
    let read = (0u8..3, prop::bool::weighted(0.7), -8i64..=8, outcome()).prop_map(
        |(thread, final_, x, out)| Gen {
            thread,
            add: false,
            final_,
            x,
            out,
        },
    );
    let ops =
        prop::collection::vec(prop_oneof![2 => add, 1 => read], 1..14).prop_map(|mut gens| {
            // Most reads return some acceptable value (picked by their `x`), so
            // that valid histories are common; the others return `x` itself.
            let ok: Vec<i64> = acceptable(&gens).into_iter().collect();
            for g in gens.iter_mut().filter(|g| !g.add && g.x % 4 != 0) {
                g.x = ok[g.x.unsigned_abs() as usize % ok.len()];
            }
            gens
        });
    (ops, prop::collection::vec(any::<u8>(), 1..32))
}

fn history(gens: &[Gen], sched: &[u8]) -> Vec<Op> {
    let threads: Vec<u8> = gens.iter().map(|g| g.thread).collect();
    let outs: Vec<Outcome> = gens.iter().map(|g| g.out).collect();
    let events = layout(&threads, &outs, sched);
    events
        .iter()
        .enumerate()
        .map(|(pos, e)| {
            let g = &gens[e.op];
            let kind = if e.done {
                completion_kind(g.out).expect("pending ops have no completion")
            } else {
                OpType::Invoke
            };
            let value = match (g.add, kind) {
                (true, _) => json!(g.x),
                (false, OpType::Ok) => json!(g.x),
                (false, _) => Value::Null,
            };
            let f = if g.add { "add" } else { "read" };
            let mut op = Op::new(pos as u64, kind, e.process, f, value);
            op.final_ = g.final_;
            op
        })
        .collect()
}

/// Every value the counter may hold: ok sum plus any subset of the rest.
fn acceptable(gens: &[Gen]) -> BTreeSet<i64> {
    let ok: i64 = gens
        .iter()
        .filter(|g| g.add && g.out == Outcome::Ok)
        .map(|g| g.x)
        .sum();
    let maybe: Vec<i64> = gens
        .iter()
        .filter(|g| g.add && matches!(g.out, Outcome::Info | Outcome::Pending))
        .map(|g| g.x)
        .collect();
    (0..1u32 << maybe.len())
        .map(|subset| {
            ok + (0..maybe.len())
                .filter(|i| subset & (1 << i) != 0)
                .map(|i| maybe[i])
                .sum::<i64>()
        })
        .collect()
}

fn final_reads(gens: &[Gen]) -> Vec<i64> {
    gens.iter()
        .filter(|g| !g.add && g.final_ && g.out == Outcome::Ok)
        .map(|g| g.x)
        .collect()
}

fn oracle(gens: &[Gen]) -> (Validity, Vec<i64>) {
    let ok = acceptable(gens);
    let reads = final_reads(gens);
    let errors: Vec<i64> = reads.iter().copied().filter(|x| !ok.contains(x)).collect();
    let valid = if !errors.is_empty() {
        Validity::Invalid
    } else if reads.is_empty() {
        Validity::Unknown
    } else {
        Validity::Valid
    };
    (valid, errors)
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn counter_matches_oracle((gens, sched) in gen_ops()) {
        let h = history(&gens, &sched);
        let (valid, errors) = oracle(&gens);
        let r = check(&h, &CounterOpts::default());
        prop_assert_eq!(r.valid, valid, "history:\n{}", to_jsonl(&h));
        // The same reads and errors (as multisets: the oracle does not know
        // the history order of the reads).
        let sorted = |mut v: Vec<i64>| { v.sort_unstable(); v };
        let got: Vec<i64> = r.errors.iter().flatten().filter_map(Value::as_i64).collect();
        prop_assert_eq!(sorted(got), sorted(errors));
        let reads: Vec<i64> = r.final_reads.iter().filter_map(Value::as_i64).collect();
        prop_assert_eq!(sorted(reads), sorted(final_reads(&gens)));
        // The ranges are exactly the acceptable set.
        let from_ranges: BTreeSet<i64> = r.acceptable.iter().flat_map(|&(lo, hi)| lo..=hi).collect();
        prop_assert_eq!(from_ranges, acceptable(&gens));
    }
}

#[test]
fn oracle_sanity() {
    let add = |x, out| Gen {
        thread: 0,
        add: true,
        final_: false,
        x,
        out,
    };
    let read = |x| Gen {
        thread: 0,
        add: false,
        final_: true,
        x,
        out: Outcome::Ok,
    };
    // Upstream's example: ok +10, info +5, -1, -1 gives [8, 10] and [13, 15].
    let gens = [
        add(10, Outcome::Ok),
        add(5, Outcome::Info),
        add(-1, Outcome::Info),
        add(-1, Outcome::Pending),
        add(100, Outcome::Fail),
    ];
    let want: BTreeSet<i64> = [8, 9, 10, 13, 14, 15].into();
    assert_eq!(acceptable(&gens), want);
    let mut with_reads = gens.to_vec();
    with_reads.push(read(14));
    assert_eq!(oracle(&with_reads).0, Validity::Valid);
    with_reads.push(read(12));
    assert_eq!(oracle(&with_reads), (Validity::Invalid, vec![12]));
    assert_eq!(oracle(&gens).0, Validity::Unknown);
}

#[test]
fn generator_mixes_verdicts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::new(config(0));
    let mut counts = [0usize; 3];
    for _ in 0..600 {
        let (gens, _) = gen_ops().new_tree(&mut runner).unwrap().current();
        counts[oracle(&gens).0 as usize] += 1;
    }
    eprintln!("valid, unknown, invalid: {counts:?}");
    assert!(counts.iter().all(|&c| c > 60), "{counts:?}");
}
