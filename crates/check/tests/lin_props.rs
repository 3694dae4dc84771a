//! Property tests: histories produced by running a sequential register with
//! random overlapping intervals are linearizable; injecting one impossible
//! read makes them not.

use maelstrom_check::history::{Op, OpType};
use maelstrom_check::linearizable::{check, LinOpts, ModelKind};
use maelstrom_check::Validity;
use proptest::prelude::*;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
struct Step {
    /// 0 = read, 1 = write, 2 = cas.
    kind: u8,
    a: u8,
    b: u8,
    /// How long before / after its linearisation point it was invoked / returned.
    pre: u16,
    post: u16,
    /// Never completes (info) — only used for writes and cas.
    info: bool,
}

#[derive(Debug, Clone)]
struct Done {
    f: &'static str,
    arg: Value,
    result: Option<Value>,
    call: u64,
    ret: Option<u64>,
    fail: bool,
    /// Register value after this op (if it took effect).
    after: Option<u8>,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            0u8..3,
            0u8..4,
            0u8..4,
            0u16..60,
            0u16..60,
            prop::bool::weighted(0.1),
        )
            .prop_map(|(kind, a, b, pre, post, info)| Step {
                kind,
                a,
                b,
                pre,
                post,
                info,
            }),
        1..40,
    )
}

/// Runs the steps against a register; op i takes effect at time 100 + 20 i.
fn execute(steps: &[Step]) -> Vec<Done> {
    let mut state: Option<u8> = None;
    let mut out = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let t = 100 + 20 * i as u64;
        let call = t - 1 - u64::from(s.pre);
        let ret = t + 1 + u64::from(s.post);
        let v = |x: Option<u8>| x.map_or(Value::Null, |x| json!(x));
        let d = match s.kind {
            0 => Done {
                f: "read",
                arg: json!(null),
                result: Some(v(state)),
                call,
                ret: Some(ret),
                fail: false,
                after: None,
            },
            1 => {
                state = Some(s.a);
                Done {
                    f: "write",
                    arg: json!(s.a),
                    result: Some(json!(s.a)),
                    call,
                    ret: (!s.info).then_some(ret),
                    fail: false,
                    after: state,
                }
            }
            _ => {
                let ok = state == Some(s.a);
                if ok {
                    state = Some(s.b);
                }
                Done {
                    f: "cas",
                    arg: json!([s.a, s.b]),
                    result: Some(json!([s.a, s.b])),
                    call,
                    ret: (!ok || !s.info).then_some(ret),
                    fail: !ok,
                    after: ok.then_some(s.b),
                }
            }
        };
        out.push(d);
    }
    out
}

/// Lays the ops out as a history (one process per op), key 0.
fn history(done: &[Done]) -> Vec<Op> {
    let mut events: Vec<(u64, usize, bool)> = Vec::new();
    for (i, d) in done.iter().enumerate() {
        events.push((d.call, i, false));
        if let Some(r) = d.ret {
            events.push((r, i, true));
        }
    }
    events.sort();
    let mut h = Vec::new();
    for (t, i, is_ret) in events {
        let d = &done[i];
        let (kind, value) = if !is_ret {
            (OpType::Invoke, json!([0, d.arg]))
        } else if d.fail {
            (OpType::Fail, json!([0, d.arg]))
        } else {
            (OpType::Ok, json!([0, d.result]))
        };
        let mut op = Op::new(h.len() as u64, kind, i as i64, d.f, value);
        op.time = t;
        h.push(op);
    }
    h
}

/// Picks a read and a value it provably cannot return: a value whose every
/// producer completed before some ok op X that overwrote it, X completing
/// before the read began; or, failing that, a value never written.
fn inject(done: &mut [Done], pick: usize) -> Option<()> {
    let reads: Vec<usize> = (0..done.len()).filter(|&i| done[i].f == "read").collect();
    let r = *reads.get(pick % reads.len().max(1))?;
    let r_call = done[r].call;
    let mut stale = None;
    'x: for x in 0..done.len() {
        let (Some(x_ret), Some(after)) = (done[x].ret, done[x].after) else {
            continue;
        };
        if done[x].fail || x_ret >= r_call {
            continue;
        }
        for v in 0u8..4 {
            if v == after {
                continue;
            }
            // Every producer of v (writes of v, cas to v) precedes X strictly.
            let producers_ok = done.iter().enumerate().all(|(i, d)| {
                i == x
                    || d.fail
                    || !(d.f == "write" && d.arg == json!(v)
                        || d.f == "cas" && d.arg[1] == json!(v))
                    || d.ret.is_some_and(|ret| ret < done[x].call)
            });
            let produced = done.iter().any(|d| {
                !d.fail
                    && (d.f == "write" && d.arg == json!(v) || d.f == "cas" && d.arg[1] == json!(v))
            });
            if producers_ok && produced {
                stale = Some(json!(v));
                break 'x;
            }
        }
    }
    done[r].result = Some(stale.unwrap_or(json!(99)));
    Some(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn sequential_runs_are_linearizable(steps in steps()) {
        let h = history(&execute(&steps));
        let r = check(&h, ModelKind::CasRegister, &LinOpts::default());
        prop_assert_eq!(r.valid, Validity::Valid, "{:?}", r);
    }

    #[test]
    fn an_impossible_read_is_caught(steps in steps(), pick in 0usize..64) {
        let mut done = execute(&steps);
        prop_assume!(inject(&mut done, pick).is_some());
        let h = history(&done);
        let r = check(&h, ModelKind::CasRegister, &LinOpts::default());
        prop_assert_eq!(r.valid, Validity::Invalid, "{:?}", r);
        let e = r.results["0"].explanation.as_ref();
        prop_assert!(e.is_some());
    }
}
