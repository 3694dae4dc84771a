//! The unique-ids and echo checkers against oracles taken from their docs.
//!
//! unique-ids: valid iff no id is acknowledged (ok) twice; attempted =
//! invocations, acknowledged = ok completions, duplicated = ids acknowledged
//! more than once, range = [least, greatest] acknowledged id.
//! echo: every invocation must complete ok with a body whose `echo` equals
//! the invocation's value; anything else (wrong echo, info, fail, no
//! completion) is one error.

mod common;

use common::{completion_kind, config, layout, outcome, Outcome};
use maelstrom_check::echo::{self, EchoOpts};
use maelstrom_check::history::{to_jsonl, Op, OpType};
use maelstrom_check::unique_ids::{self, UniqueIdsOpts};
use maelstrom_check::Validity;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// An op on `thread` with a small number `x` (the id, or the echoed
/// payload) and `y` (echo: the reply differs from the request when y == 0).
#[derive(Debug, Clone)]
struct Gen {
    thread: u8,
    x: u8,
    y: u8,
    out: Outcome,
}

fn gen_ops(max_x: u8) -> impl Strategy<Value = (Vec<Gen>, Vec<u8>)> {
    let op = (0u8..4, 0..max_x, 0u8..6, outcome()).prop_map(|(thread, x, y, out)| Gen {
        thread,
        x,
        y,
        out,
    });
    (
        prop::collection::vec(op, 0..14),
        prop::collection::vec(any::<u8>(), 1..32),
    )
}

/// Lays the ops out; `value(g, kind)` is the value of each line.
fn history(gens: &[Gen], sched: &[u8], f: &str, value: impl Fn(&Gen, OpType) -> Value) -> Vec<Op> {
    let threads: Vec<u8> = gens.iter().map(|g| g.thread).collect();
    let outs: Vec<Outcome> = gens.iter().map(|g| g.out).collect();
    layout(&threads, &outs, sched)
        .iter()
        .enumerate()
        .map(|(pos, e)| {
            let g = &gens[e.op];
            let kind = if e.done {
                completion_kind(g.out).expect("pending ops have no completion")
            } else {
                OpType::Invoke
            };
            Op::new(pos as u64, kind, e.process, f, value(g, kind))
        })
        .collect()
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn unique_ids_match_oracle((gens, sched) in gen_ops(24)) {
        let h = history(&gens, &sched, "generate", |g, kind| match kind {
            OpType::Ok => json!(g.x),
            _ => Value::Null,
        });
        let acked: Vec<u8> = gens.iter().filter(|g| g.out == Outcome::Ok).map(|g| g.x).collect();
        let mut times: BTreeMap<u8, u64> = BTreeMap::new();
        for &id in &acked {
            *times.entry(id).or_default() += 1;
        }
        let dups: BTreeMap<u8, u64> = times.iter().filter(|(_, &n)| n > 1).map(|(&id, &n)| (id, n)).collect();
        let r = unique_ids::check(&h, &UniqueIdsOpts::default());
        prop_assert_eq!(r.valid, Validity::from_bool(dups.is_empty()), "history:\n{}", to_jsonl(&h));
        prop_assert_eq!(r.attempted_count, gens.len() as u64);
        prop_assert_eq!(r.acknowledged_count, acked.len() as u64);
        prop_assert_eq!(r.duplicated_count, dups.len() as u64);
        let got: BTreeMap<u8, u64> = r.duplicated.iter().map(|(v, n)| (v.as_u64().unwrap() as u8, *n)).collect();
        prop_assert_eq!(got, dups);
        let range = acked.iter().min().map(|lo| (json!(lo), json!(acked.iter().max().unwrap())));
        prop_assert_eq!(r.range, range);
    }

    #[test]
    fn echo_matches_oracle((gens, sched) in gen_ops(8)) {
        let sent = |g: &Gen| json!(format!("Please echo {}", g.x));
        let h = history(&gens, &sched, "echo", |g, kind| match kind {
            OpType::Invoke => sent(g),
            OpType::Ok if g.y == 0 => json!({"type": "echo_ok", "echo": format!("Please echo {}", g.x + 1)}),
            OpType::Ok if g.y == 1 => json!({"type": "echo_ok"}),
            OpType::Ok => json!({"type": "echo_ok", "echo": sent(g)}),
            _ => Value::Null,
        });
        let bad: Vec<Value> = gens
            .iter()
            .filter(|g| g.out != Outcome::Ok || g.y < 2)
            .map(sent)
            .collect();
        let r = echo::check(&h, &EchoOpts::default());
        prop_assert_eq!(r.valid, Validity::from_bool(bad.is_empty()), "history:\n{}", to_jsonl(&h));
        // Each error names the payload that was sent (position 1).
        let mut got: Vec<String> = r.errors.iter().map(|e| e[1].to_string()).collect();
        let mut want: Vec<String> = bad.iter().map(Value::to_string).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }
}
