//! Budgets: a check whose budget runs out says `unknown`, never `invalid`,
//! unless the violation it already found cannot be undone by the history
//! it did not read (a duplicate id, a wrong echo, a counter read outside
//! every sum the adds could reach).
//!
//! Every checker gets valid histories of several sizes (so that both "done
//! before the first clock check" and "stopped mid-way" happen) under a zero
//! budget, which must give `unknown`, and under a tiny one, which must give
//! `valid` or `unknown`.

use maelstrom_check::counter::{self, CounterOpts};
use maelstrom_check::echo::{self, EchoOpts};
use maelstrom_check::history::{Op, OpType};
use maelstrom_check::kafka::{self, KafkaOpts};
use maelstrom_check::linearizable::{self, LinOpts, ModelKind};
use maelstrom_check::set_full::{self, SetFullOpts};
use maelstrom_check::unique_ids::{self, UniqueIdsOpts};
use maelstrom_check::{Budget, Validity};
use serde_json::{json, Value};
use std::time::Duration;

/// Large enough for checkers that look at the clock every 4096 steps.
const SIZES: [usize; 3] = [1, 20, 6_000];

fn zero() -> Budget {
    Budget {
        time: Duration::ZERO,
        ..Budget::default()
    }
}

fn tiny() -> Budget {
    Budget {
        time: Duration::from_micros(1),
        ..Budget::default()
    }
}

/// A history under construction: each op is invoked and completed at once.
#[derive(Default)]
struct H(Vec<Op>);

impl H {
    fn op(&mut self, p: i64, f: &str, inv: Value, kind: OpType, out: Value) -> &mut Self {
        self.0
            .push(Op::new(self.0.len() as u64, OpType::Invoke, p, f, inv));
        self.0.push(Op::new(self.0.len() as u64, kind, p, f, out));
        self
    }
    fn final_read(&mut self, p: i64, v: i64) -> &mut Self {
        self.op(p, "read", Value::Null, OpType::Ok, json!(v));
        for op in self.0.iter_mut().rev().take(2) {
            op.final_ = true;
        }
        self
    }
}

/// Asserts the zero-budget and tiny-budget verdicts of one valid history.
fn assert_budgets(what: &str, n: usize, run: impl Fn(Budget) -> Validity) {
    assert_eq!(
        run(Budget::default()),
        Validity::Valid,
        "{what} ({n}): the history should be valid"
    );
    assert_eq!(
        run(zero()),
        Validity::Unknown,
        "{what} ({n}) with a zero budget"
    );
    let v = run(tiny());
    assert_ne!(v, Validity::Invalid, "{what} ({n}) with a tiny budget");
}

#[test]
fn echo_valid_histories() {
    for n in SIZES {
        let mut h = H::default();
        for i in 0..n {
            let msg = json!(format!("Please echo {i}"));
            h.op(
                i as i64 % 5,
                "echo",
                msg.clone(),
                OpType::Ok,
                json!({"type": "echo_ok", "echo": msg}),
            );
        }
        assert_budgets("echo", n, |budget| {
            echo::check(&h.0, &EchoOpts { budget }).valid
        });
    }
}

#[test]
fn unique_ids_valid_histories() {
    for n in SIZES {
        let mut h = H::default();
        for i in 0..n {
            h.op(i as i64 % 5, "generate", Value::Null, OpType::Ok, json!(i));
        }
        let opts = |budget| UniqueIdsOpts {
            budget,
            ..UniqueIdsOpts::default()
        };
        assert_budgets("unique-ids", n, |b| unique_ids::check(&h.0, &opts(b)).valid);
    }
}

/// Adds of 0..n in blocks of n/10 + 1, each block followed by a read missing
/// the block's last element, then a read of everything: every element is
/// stable, but a check stopped early sees an element known and then missing.
fn set_history(n: usize) -> H {
    let mut h = H::default();
    let block = n / 10 + 1;
    for i in 0..n {
        h.op(0, "add", json!(i), OpType::Ok, json!(i));
        if i % block == block - 1 {
            h.op(
                1,
                "read",
                Value::Null,
                OpType::Ok,
                json!((0..i).collect::<Vec<_>>()),
            );
        }
    }
    h.op(
        1,
        "read",
        Value::Null,
        OpType::Ok,
        json!((0..n).collect::<Vec<_>>()),
    );
    h
}

#[test]
fn set_full_valid_histories() {
    for n in SIZES {
        let h = set_history(n);
        let opts = |budget| SetFullOpts {
            budget,
            ..SetFullOpts::g_set()
        };
        assert_budgets("set-full", n, |b| set_full::check(&h.0, &opts(b)).valid);
    }
}

fn counter_history(n: usize, read: i64) -> H {
    let mut h = H::default();
    for i in 0..n {
        let kind = if i % 3 == 0 { OpType::Info } else { OpType::Ok };
        h.op(i as i64 % 5, "add", json!(i % 7), kind, json!(i % 7));
    }
    h.final_read(9, read);
    h
}

#[test]
fn counter_valid_histories() {
    for n in SIZES {
        let ok: i64 = (0..n).filter(|i| i % 3 != 0).map(|i| (i % 7) as i64).sum();
        let h = counter_history(n, ok);
        assert_budgets("counter", n, |budget| {
            counter::check(&h.0, &CounterOpts { budget }).valid
        });
    }
}

/// A sequential history on keys 0..4 of `model` (register or kv; kv values
/// stay short: each key is put, appended to, then read).
fn lin_history(n: usize, model: ModelKind) -> H {
    let mut h = H::default();
    for i in 0..n {
        let k = i % 4;
        if model == ModelKind::KvRegister {
            let s = format!("{}", i % 10);
            h.op(0, "put", json!([k, s]), OpType::Ok, json!([k, s]));
            h.op(0, "append", json!([k, "x"]), OpType::Ok, json!([k, "x"]));
            h.op(
                1,
                "get",
                json!([k, null]),
                OpType::Ok,
                json!([k, format!("{s}x")]),
            );
        } else {
            h.op(0, "write", json!([k, i]), OpType::Ok, json!([k, i]));
            h.op(1, "read", json!([k, null]), OpType::Ok, json!([k, i]));
        }
    }
    h
}

#[test]
fn linearizable_valid_histories() {
    for model in [
        ModelKind::CasRegister,
        ModelKind::Register,
        ModelKind::KvRegister,
    ] {
        // The search looks at the clock every 1024 steps: 1 500 ops suffice.
        for n in [1, 20, 1_500] {
            let h = lin_history(n, model);
            let opts = |budget| LinOpts {
                budget,
                ..LinOpts::default()
            };
            assert_budgets(&format!("{model:?}"), n, |b| {
                linearizable::check(&h.0, model, &opts(b)).valid
            });
        }
    }
}

#[test]
fn kafka_valid_histories() {
    for n in SIZES {
        let mut h = H::default();
        for i in 0..n {
            let k = format!("k{}", i % 3);
            let o = i / 3;
            h.op(
                0,
                "send",
                json!([["send", k, i]]),
                OpType::Ok,
                json!([["send", k, [o, i]]]),
            );
            h.op(
                1,
                "poll",
                json!([["poll"]]),
                OpType::Ok,
                json!([["poll", {k: [[o, i]]}]]),
            );
        }
        let opts = |budget| KafkaOpts {
            budget,
            ..KafkaOpts::default()
        };
        assert_budgets("kafka", n, |b| kafka::check(&h.0, &opts(b)).valid);
    }
}

/// Violations that unread history could undo must not be reported when the
/// budget is gone: a lost element (a later read may show it), a history not
/// linearizable so far, a counter read inside the hull of reachable sums.
#[test]
fn undoable_violations_are_unknown_without_budget() {
    let mut h = H::default();
    h.op(0, "add", json!(1), OpType::Ok, json!(1));
    h.op(1, "read", Value::Null, OpType::Ok, json!([1]));
    h.op(1, "read", Value::Null, OpType::Ok, json!([]));
    let opts = |budget| SetFullOpts {
        budget,
        ..SetFullOpts::g_set()
    };
    assert_eq!(
        set_full::check(&h.0, &opts(Budget::default())).valid,
        Validity::Invalid
    );
    assert_eq!(
        set_full::check(&h.0, &opts(zero())).valid,
        Validity::Unknown
    );

    let mut h = H::default();
    h.op(0, "write", json!([0, 1]), OpType::Ok, json!([0, 1]));
    h.op(1, "read", json!([0, null]), OpType::Ok, json!([0, 2]));
    let opts = |budget| LinOpts {
        budget,
        ..LinOpts::default()
    };
    let check = |b| linearizable::check(&h.0, ModelKind::CasRegister, &opts(b)).valid;
    assert_eq!(check(Budget::default()), Validity::Invalid);
    assert_eq!(check(zero()), Validity::Unknown);

    // ok +10, info +5, -1, -1: acceptable {8..10, 13..15}; 12 is in the hull.
    let mut h = H::default();
    h.op(0, "add", json!(10), OpType::Ok, json!(10));
    for d in [5, -1, -1] {
        h.op(1, "add", json!(d), OpType::Info, json!(d));
    }
    h.final_read(2, 12);
    let check = |budget| counter::check(&h.0, &CounterOpts { budget }).valid;
    assert_eq!(check(Budget::default()), Validity::Invalid);
    assert_eq!(check(zero()), Validity::Unknown);
}

/// Violations nothing unread can undo may still be reported without budget.
#[test]
fn permanent_violations_may_stay_invalid_without_budget() {
    let mut h = H::default();
    h.op(0, "generate", Value::Null, OpType::Ok, json!(7));
    h.op(1, "generate", Value::Null, OpType::Ok, json!(7));
    let opts = |budget| UniqueIdsOpts {
        budget,
        ..UniqueIdsOpts::default()
    };
    assert_eq!(
        unique_ids::check(&h.0, &opts(Budget::default())).valid,
        Validity::Invalid
    );
    assert_ne!(
        unique_ids::check(&h.0, &opts(zero())).valid,
        Validity::Valid
    );

    // A read of 20 is above every reachable sum (at most 15).
    let mut h = H::default();
    h.op(0, "add", json!(10), OpType::Ok, json!(10));
    h.op(1, "add", json!(5), OpType::Info, json!(5));
    h.final_read(2, 20);
    let check = |budget| counter::check(&h.0, &CounterOpts { budget }).valid;
    assert_eq!(check(Budget::default()), Validity::Invalid);
    assert_ne!(check(zero()), Validity::Valid);
}
