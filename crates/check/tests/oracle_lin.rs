//! The linearizability checker against a brute-force oracle.
//!
//! Small random histories (up to 8 ops, up to 3 threads, one or two keys)
//! with ok, info, failed and pending ops, for every built-in model and for a
//! custom model written to the public `Model` contract. The oracle tries
//! every order: a history is linearizable iff some total order of all ok ops
//! plus any subset of the info/pending ops respects real time (an op that
//! completed before another was invoked, by history position, comes first)
//! and is legal in the sequential model. Failed ops never happen.

mod common;

use common::{completion_kind, config, layout, line, outcome, positions, Event, Outcome};
use maelstrom_check::history::{Op, OpType};
use maelstrom_check::linearizable::{
    check, check_partitions, LinOpts, Model, ModelKind, Operation, Partition,
};
use maelstrom_check::Validity;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A generated op: thread, key, function (0..3), two small arguments, outcome.
#[derive(Debug, Clone)]
struct Gen {
    thread: u8,
    key: u8,
    f: u8,
    a: u8,
    b: u8,
    out: Outcome,
}

fn gen_ops(fs: u8, keys: u8) -> impl Strategy<Value = (Vec<Gen>, Vec<u8>)> {
    let op = (0u8..3, 0..keys, 0..fs, 0u8..8, 0u8..8, outcome()).prop_map(
        |(thread, key, f, a, b, out)| Gen {
            thread,
            key,
            f,
            a,
            b,
            out,
        },
    );
    (
        prop::collection::vec(op, 1..=8),
        prop::collection::vec(any::<u8>(), 1..24),
    )
}

/// An op as the oracle sees it: whether it must happen, its real-time
/// interval (history positions), and what it does.
struct Timed<O> {
    must: bool,
    call: usize,
    ret: Option<usize>,
    op: O,
}

/// True iff some order of all `must` ops plus any subset of the others is
/// legal from `init` and puts every op after each op that returned before it
/// was invoked. Depth-first over every order, exponential on purpose.
fn brute_force<S: Clone, O>(ops: &[Timed<O>], init: S, step: &dyn Fn(&S, &O) -> Option<S>) -> bool {
    fn go<S: Clone, O>(
        ops: &[Timed<O>],
        placed: &mut Vec<bool>,
        state: &S,
        step: &dyn Fn(&S, &O) -> Option<S>,
    ) -> bool {
        if ops.iter().zip(placed.iter()).all(|(o, &p)| p || !o.must) {
            return true;
        }
        for i in 0..ops.len() {
            let ready = !placed[i]
                && ops
                    .iter()
                    .zip(placed.iter())
                    .all(|(o, &p)| p || o.ret.is_none_or(|r| r > ops[i].call));
            if !ready {
                continue;
            }
            if let Some(next) = step(state, &ops[i].op) {
                placed[i] = true;
                if go(ops, placed, &next, step) {
                    return true;
                }
                placed[i] = false;
            }
        }
        false
    }
    go(ops, &mut vec![false; ops.len()], &init, step)
}

/// The oracle's view of the generated ops (failed ops left out).
fn timed<O>(gens: &[Gen], events: &[Event], op: impl Fn(&Gen) -> O) -> Vec<Timed<O>> {
    let (call, ret) = positions(events, gens.len());
    gens.iter()
        .enumerate()
        .filter(|(_, g)| g.out != Outcome::Fail)
        .map(|(i, g)| Timed {
            must: g.out == Outcome::Ok,
            call: call[i],
            ret: ret[i].filter(|_| g.out == Outcome::Ok),
            op: op(g),
        })
        .collect()
}

/// The Maelstrom history of generated ops; `value(g, ok)` gives the
/// `[key, x]` value of an invocation (`ok == false`) or ok completion.
fn history(
    gens: &[Gen],
    events: &[Event],
    name: impl Fn(&Gen) -> &'static str,
    value: impl Fn(&Gen, bool) -> Value,
) -> Vec<Op> {
    events
        .iter()
        .enumerate()
        .map(|(pos, e)| {
            let g = &gens[e.op];
            if !e.done {
                return line(pos, e, OpType::Invoke, name(g), value(g, false));
            }
            let kind = completion_kind(g.out).expect("pending ops have no completion");
            let v = value(g, kind == OpType::Ok);
            line(pos, e, kind, name(g), v)
        })
        .collect()
}

/// Register values: 0 is nil, 1 and 2 are themselves.
fn reg(x: u8) -> Value {
    match x % 3 {
        0 => Value::Null,
        v => json!(v),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum RegSpec {
    Read(Option<Value>),
    Write(Value),
    Cas(Value, Value),
}

fn reg_spec(g: &Gen) -> RegSpec {
    match g.f {
        0 => RegSpec::Read((g.out == Outcome::Ok).then(|| reg(g.b))),
        1 => RegSpec::Write(reg(g.a % 2 + 1)),
        _ => RegSpec::Cas(reg(g.a), reg(g.b % 2 + 1)),
    }
}

/// A map from key to register value (absent = nil): one object for the
/// whole history, so the oracle does not rely on checking keys separately.
fn reg_step(s: &BTreeMap<u8, Value>, (key, op): &(u8, RegSpec)) -> Option<BTreeMap<u8, Value>> {
    let cur = s.get(key).cloned().unwrap_or(Value::Null);
    let mut next = s.clone();
    match op {
        RegSpec::Read(None) => {}
        RegSpec::Read(Some(v)) if *v == cur => {}
        RegSpec::Read(Some(_)) => return None,
        RegSpec::Write(v) => {
            next.insert(*key, v.clone());
        }
        RegSpec::Cas(from, to) if *from == cur => {
            next.insert(*key, to.clone());
        }
        RegSpec::Cas(..) => return None,
    }
    Some(next)
}

fn reg_history(gens: &[Gen], events: &[Event]) -> Vec<Op> {
    let name = |g: &Gen| ["read", "write", "cas"][usize::from(g.f)];
    let value = |g: &Gen, ok: bool| match reg_spec(g) {
        RegSpec::Read(Some(v)) if ok => json!([g.key, v]),
        RegSpec::Read(_) => json!([g.key, null]),
        RegSpec::Write(v) => json!([g.key, v]),
        RegSpec::Cas(from, to) => json!([g.key, [from, to]]),
    };
    history(gens, events, name, value)
}

/// KV strings: puts of "", "x", "y"; appends of "x", "y"; gets of short strings.
const PUTS: [&str; 3] = ["", "x", "y"];
const GETS: [&str; 8] = ["", "x", "y", "xy", "yx", "xx", "yy", "xyx"];

#[derive(Debug, Clone, PartialEq)]
enum KvSpec {
    Get(Option<String>),
    Put(String),
    Append(String),
}

fn kv_spec(g: &Gen) -> KvSpec {
    match g.f {
        0 => KvSpec::Get((g.out == Outcome::Ok).then(|| GETS[usize::from(g.b)].to_string())),
        1 => KvSpec::Put(PUTS[usize::from(g.a % 3)].to_string()),
        _ => KvSpec::Append(PUTS[usize::from(g.a % 2 + 1)].to_string()),
    }
}

fn kv_step(s: &BTreeMap<u8, String>, (key, op): &(u8, KvSpec)) -> Option<BTreeMap<u8, String>> {
    let cur = s.get(key).cloned().unwrap_or_default();
    let mut next = s.clone();
    match op {
        KvSpec::Get(Some(v)) if *v != cur => return None,
        KvSpec::Get(_) => {}
        KvSpec::Put(v) => {
            next.insert(*key, v.clone());
        }
        KvSpec::Append(v) => {
            next.insert(*key, cur + v);
        }
    }
    Some(next)
}

fn kv_history(gens: &[Gen], events: &[Event]) -> Vec<Op> {
    let name = |g: &Gen| ["get", "put", "append"][usize::from(g.f)];
    let value = |g: &Gen, ok: bool| match kv_spec(g) {
        KvSpec::Get(Some(v)) if ok => json!([g.key, v]),
        KvSpec::Get(_) => json!([g.key, null]),
        KvSpec::Put(v) | KvSpec::Append(v) => json!([g.key, v]),
    };
    history(gens, events, name, value)
}

fn lin_opts() -> LinOpts {
    LinOpts {
        threads: Some(1),
        ..LinOpts::default()
    }
}

fn verdict(linearizable: bool) -> Validity {
    Validity::from_bool(linearizable)
}

/// A custom model: a register of 0..4 with `Set(v)`, `Read(v)` and
/// `Bump(v)` (legal only when the value is `v`; makes it `v + 1`). Its
/// `may_reach` is exact about which values some of the other ops can
/// produce, which is as strong a "not reachable" as the contract allows.
#[derive(Debug, Clone)]
struct Gate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GateOp {
    Set(u8),
    Read(u8),
    Bump(u8),
}

fn gate_step(s: &u8, op: &GateOp) -> Option<u8> {
    match *op {
        GateOp::Set(v) => Some(v),
        GateOp::Read(v) => (*s == v).then_some(*s),
        GateOp::Bump(v) => (*s == v).then_some(v + 1),
    }
}

impl Model for Gate {
    type State = u8;
    type Op = GateOp;
    fn init(&mut self) -> u8 {
        0
    }
    fn step(&mut self, s: &u8, op: &GateOp) -> Option<u8> {
        gate_step(s, op)
    }
    fn is_read_only(&self, op: &GateOp) -> bool {
        matches!(op, GateOp::Read(_))
    }
    fn may_reach(&mut self, s: &u8, target: &GateOp, others: &[&GateOp]) -> bool {
        let need = match *target {
            GateOp::Set(_) => return true,
            GateOp::Read(v) | GateOp::Bump(v) => v,
        };
        // After any sequence of others the value is the output of the last
        // one applied (or `s` if none): Set(w) gives w, Bump(w) gives w + 1.
        *s == need
            || others.iter().any(|o| match **o {
                GateOp::Set(w) => w == need,
                GateOp::Bump(w) => w + 1 == need,
                GateOp::Read(_) => false,
            })
    }
    fn describe_state(&self, s: &u8) -> Value {
        json!(s)
    }
    fn describe_op(&self, op: &GateOp) -> Value {
        json!(format!("{op:?}"))
    }
}

fn gate_op(g: &Gen) -> GateOp {
    // Sets only write 0..3, so Read(4) and Bump(4) are often unreachable.
    match g.f {
        0 => GateOp::Read(g.b % 5),
        1 => GateOp::Set(g.a % 3),
        _ => GateOp::Bump(g.a % 5),
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn cas_register_matches_oracle((gens, sched) in gen_ops(3, 2)) {
        let threads: Vec<u8> = gens.iter().map(|g| g.thread).collect();
        let outs: Vec<Outcome> = gens.iter().map(|g| g.out).collect();
        let events = layout(&threads, &outs, &sched);
        let h = reg_history(&gens, &events);
        let want = brute_force(&timed(&gens, &events, |g| (g.key, reg_spec(g))), BTreeMap::new(), &reg_step);
        let got = check(&h, ModelKind::CasRegister, &lin_opts());
        prop_assert_eq!(got.valid, verdict(want), "history:\n{}", maelstrom_check::history::to_jsonl(&h));
    }

    #[test]
    fn register_matches_oracle((gens, sched) in gen_ops(2, 2)) {
        let threads: Vec<u8> = gens.iter().map(|g| g.thread).collect();
        let outs: Vec<Outcome> = gens.iter().map(|g| g.out).collect();
        let events = layout(&threads, &outs, &sched);
        let h = reg_history(&gens, &events);
        let want = brute_force(&timed(&gens, &events, |g| (g.key, reg_spec(g))), BTreeMap::new(), &reg_step);
        let got = check(&h, ModelKind::Register, &lin_opts());
        prop_assert_eq!(got.valid, verdict(want), "history:\n{}", maelstrom_check::history::to_jsonl(&h));
    }

    #[test]
    fn kv_matches_oracle((gens, sched) in gen_ops(3, 2)) {
        let threads: Vec<u8> = gens.iter().map(|g| g.thread).collect();
        let outs: Vec<Outcome> = gens.iter().map(|g| g.out).collect();
        let events = layout(&threads, &outs, &sched);
        let h = kv_history(&gens, &events);
        let want = brute_force(&timed(&gens, &events, |g| (g.key, kv_spec(g))), BTreeMap::new(), &kv_step);
        let got = check(&h, ModelKind::KvRegister, &lin_opts());
        prop_assert_eq!(got.valid, verdict(want), "history:\n{}", maelstrom_check::history::to_jsonl(&h));
    }

    /// Through `check_partitions` with a model of our own (one partition).
    #[test]
    fn custom_model_matches_oracle((gens, sched) in gen_ops(3, 1)) {
        let threads: Vec<u8> = gens.iter().map(|g| g.thread).collect();
        let outs: Vec<Outcome> = gens.iter().map(|g| g.out).collect();
        let events = layout(&threads, &outs, &sched);
        let ops: Vec<Timed<GateOp>> = timed(&gens, &events, gate_op);
        let want = brute_force(&ops, 0u8, &gate_step);
        let part = Partition {
            key: "gate".into(),
            model: Gate,
            ops: ops
                .iter()
                .map(|t| Operation {
                    op: t.op,
                    call: t.call as u64,
                    ret: t.ret.map(|r| r as u64),
                    index: t.call as u64,
                })
                .collect(),
        };
        let got = check_partitions(vec![part.clone()], &lin_opts());
        prop_assert_eq!(got.valid, verdict(want), "ops: {:?}", part.ops);
    }
}

/// The oracle itself on hand-made cases, so that a broken oracle cannot
/// agree with a broken checker unnoticed.
#[test]
fn oracle_sanity() {
    let t = |must, call, ret, op| Timed {
        must,
        call,
        ret,
        op,
    };
    let step = |s: &u8, op: &GateOp| gate_step(s, op);
    // Set(1) returns before Read(1) starts: fine; the other way round: not.
    assert!(brute_force(
        &[
            t(true, 0, Some(1), GateOp::Set(1)),
            t(true, 2, Some(3), GateOp::Read(1))
        ],
        0,
        &step
    ));
    assert!(!brute_force(
        &[
            t(true, 2, Some(3), GateOp::Set(1)),
            t(true, 0, Some(1), GateOp::Read(1))
        ],
        0,
        &step
    ));
    // Concurrent: either order.
    assert!(brute_force(
        &[
            t(true, 1, Some(3), GateOp::Set(1)),
            t(true, 0, Some(2), GateOp::Read(1))
        ],
        0,
        &step
    ));
    // An info op may take effect after the end of history, or never...
    assert!(brute_force(
        &[
            t(false, 0, None, GateOp::Set(1)),
            t(true, 1, Some(2), GateOp::Read(1))
        ],
        0,
        &step
    ));
    assert!(brute_force(&[t(false, 0, None, GateOp::Bump(4))], 0, &step));
    // ...but not before it was invoked.
    assert!(!brute_force(
        &[
            t(true, 0, Some(1), GateOp::Read(1)),
            t(false, 2, None, GateOp::Set(1))
        ],
        0,
        &step
    ));
}

/// The shape of bug (d): an info op that can never become legal must not
/// prune the search (it may simply never take effect).
#[test]
fn unreachable_info_op_never_prunes() {
    let ops = vec![
        Operation {
            op: GateOp::Bump(4),
            call: 0,
            ret: None,
            index: 0,
        },
        Operation {
            op: GateOp::Set(1),
            call: 1,
            ret: Some(2),
            index: 1,
        },
        Operation {
            op: GateOp::Read(1),
            call: 3,
            ret: Some(4),
            index: 3,
        },
    ];
    let part = Partition {
        key: "gate".into(),
        model: Gate,
        ops,
    };
    let got = check_partitions(vec![part], &lin_opts());
    assert_eq!(got.valid, Validity::Valid, "{got:?}");
}

/// The generators give both verdicts often enough for the comparison to
/// mean something (a generator of only-valid histories would hide bugs).
#[test]
fn generators_mix_verdicts() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::new(config(0));
    for (model, fs, keys) in [
        ("cas", 3, 2),
        ("register", 2, 2),
        ("kv", 3, 2),
        ("gate", 3, 1),
    ] {
        let strategy = gen_ops(fs, keys);
        let mut valid = 0;
        let total = 400;
        for _ in 0..total {
            let (gens, sched) = strategy.new_tree(&mut runner).unwrap().current();
            let threads: Vec<u8> = gens.iter().map(|g| g.thread).collect();
            let outs: Vec<Outcome> = gens.iter().map(|g| g.out).collect();
            let events = layout(&threads, &outs, &sched);
            let ok = match model {
                "kv" => brute_force(
                    &timed(&gens, &events, |g| (g.key, kv_spec(g))),
                    BTreeMap::new(),
                    &kv_step,
                ),
                "gate" => brute_force(&timed(&gens, &events, gate_op), 0, &gate_step),
                _ => brute_force(
                    &timed(&gens, &events, |g| (g.key, reg_spec(g))),
                    BTreeMap::new(),
                    &reg_step,
                ),
            };
            valid += usize::from(ok);
        }
        eprintln!("{model}: {valid}/{total} linearizable");
        assert!(
            valid > total / 5 && valid < total * 4 / 5,
            "{model}: {valid}/{total} linearizable"
        );
    }
}
