//! Random small transactional histories and a brute-force serializability
//! oracle, shared by the txn property tests.
//!
//! Histories of up to 6 transactions over 2 keys, each built from a seed:
//! half of them come from a real serial execution (often serializable),
//! half read random prefixes of random orders (often not). The oracle
//! tries every order of the committed transactions, with every subset of
//! the indeterminate ones, and replays it: a history is serializable iff
//! some order explains every read (and strictly serializable iff such an
//! order also respects real time). Final reads, when present, must come
//! last.

use maelstrom_check::history::{Op, OpType};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum St {
    Ok,
    Info,
    Fail,
}

/// A micro-op: read (value filled in for ok txns) or write/append.
#[derive(Debug, Clone)]
pub enum M {
    R(usize, Value),
    W(usize, i64),
}

#[derive(Debug, Clone)]
pub struct T {
    pub st: St,
    pub mops: Vec<M>,
    pub final_: bool,
    pub invoke: usize,
    pub complete: usize,
}

/// Replays `order`; true if every ok transaction's reads match.
pub fn replay(txns: &[T], order: &[usize], list: bool) -> bool {
    let mut state: Vec<Vec<i64>> = vec![Vec::new(); 2];
    for &t in order {
        for m in &txns[t].mops {
            match m {
                M::W(k, v) if list => state[*k].push(*v),
                M::W(k, v) => state[*k] = vec![*v],
                M::R(k, v) if txns[t].st == St::Ok => {
                    let now = if list {
                        json!(state[*k])
                    } else {
                        state[*k].last().map_or(Value::Null, |x| json!(x))
                    };
                    if *v != now {
                        return false;
                    }
                }
                M::R(..) => {}
            }
        }
    }
    true
}

/// Brute force: some order of the ok txns plus a subset of the info ones.
pub fn oracle(txns: &[T], list: bool, realtime: bool) -> bool {
    let ok: Vec<usize> = (0..txns.len()).filter(|&t| txns[t].st == St::Ok).collect();
    let info: Vec<usize> = (0..txns.len())
        .filter(|&t| txns[t].st == St::Info)
        .collect();
    for mask in 0..(1u32 << info.len()) {
        let mut set = ok.clone();
        set.extend(
            info.iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, &t)| t),
        );
        if permutations(&mut set, 0, &mut |order| {
            let finals_last = order
                .iter()
                .skip_while(|&&t| !txns[t].final_)
                .all(|&t| txns[t].final_);
            let rt = !realtime
                || order.iter().enumerate().all(|(i, &a)| {
                    order[i + 1..]
                        .iter()
                        .all(|&b| txns[b].st != St::Ok || txns[b].complete > txns[a].invoke)
                });
            finals_last && rt && replay(txns, order, list)
        }) {
            return true;
        }
    }
    false
}

pub fn permutations(xs: &mut Vec<usize>, k: usize, f: &mut dyn FnMut(&[usize]) -> bool) -> bool {
    if k == xs.len() {
        return f(xs);
    }
    for i in k..xs.len() {
        xs.swap(k, i);
        if permutations(xs, k + 1, f) {
            return true;
        }
        xs.swap(k, i);
    }
    false
}

/// A random history (see the module docs).
pub fn generate(seed: u64, list: bool) -> Vec<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    let n = rng.random_range(1..=6);
    let mut next = [1i64, 1];
    let mut txns: Vec<T> = (0..n)
        .map(|_| {
            let st = match rng.random_range(0..10) {
                0..=6 => St::Ok,
                7 | 8 => St::Info,
                _ => St::Fail,
            };
            let mops = (0..rng.random_range(1..=3))
                .map(|_| {
                    let k = rng.random_range(0..2);
                    if rng.random_bool(0.5) {
                        M::R(k, Value::Null)
                    } else {
                        next[k] += 1;
                        M::W(k, next[k] - 1)
                    }
                })
                .collect();
            T {
                st,
                mops,
                final_: false,
                invoke: 0,
                complete: 0,
            }
        })
        .collect();
    if !list && rng.random_bool(0.4) {
        for k in 0..2 {
            txns.push(T {
                st: St::Ok,
                mops: vec![M::R(k, Value::Null)],
                final_: true,
                invoke: 0,
                complete: 0,
            });
        }
    }
    if rng.random_bool(0.5) {
        // Execute in a random serial order (info txns taking effect or not).
        let mut order: Vec<usize> = (0..txns.len()).filter(|&t| !txns[t].final_).collect();
        order.shuffle(&mut rng);
        order.extend((0..txns.len()).filter(|&t| txns[t].final_));
        let mut state: Vec<Vec<i64>> = vec![Vec::new(); 2];
        for t in order {
            let applies = match txns[t].st {
                St::Ok => true,
                St::Info => rng.random_bool(0.5),
                St::Fail => false,
            };
            let mut local = state.clone();
            for m in &mut txns[t].mops {
                match m {
                    M::W(k, v) if list => local[*k].push(*v),
                    M::W(k, v) => local[*k] = vec![*v],
                    M::R(k, v) => {
                        *v = if list {
                            json!(local[*k])
                        } else {
                            local[*k].last().map_or(Value::Null, |x| json!(x))
                        }
                    }
                }
            }
            if applies {
                state = local;
            }
        }
    } else {
        // Reads see random prefixes of a random order of every write.
        let mut orders: Vec<Vec<i64>> = vec![Vec::new(); 2];
        for t in &txns {
            for m in &t.mops {
                if let M::W(k, v) = m {
                    orders[*k].push(*v);
                }
            }
        }
        for o in &mut orders {
            o.shuffle(&mut rng);
        }
        for t in &mut txns {
            for m in &mut t.mops {
                if let M::R(k, v) = m {
                    let n = rng.random_range(0..=orders[*k].len());
                    *v = if list {
                        json!(orders[*k][..n])
                    } else if n == 0 {
                        Value::Null
                    } else {
                        json!(orders[*k][n - 1])
                    };
                }
            }
        }
    }
    // Lay out: random interleaving, finals after everything else.
    let mut pending: Vec<(usize, u8)> = (0..txns.len())
        .filter(|&t| !txns[t].final_)
        .map(|t| (t, 0))
        .collect();
    let mut pos = 0;
    while !pending.is_empty() {
        let i = rng.random_range(0..pending.len());
        let (t, stage) = pending[i];
        if stage == 0 {
            txns[t].invoke = pos;
            pending[i].1 = 1;
        } else {
            txns[t].complete = pos;
            pending.swap_remove(i);
        }
        pos += 1;
    }
    for t in txns.iter_mut().filter(|t| t.final_) {
        t.invoke = pos;
        t.complete = pos + 1;
        pos += 2;
    }
    txns
}

/// The history the checker reads: one process per transaction.
pub fn to_history(txns: &[T], list: bool) -> Vec<Op> {
    let mut events: Vec<(usize, usize, bool)> = Vec::new();
    for (i, t) in txns.iter().enumerate() {
        events.push((t.invoke, i, false));
        events.push((t.complete, i, true));
    }
    events.sort_unstable();
    let value = |t: &T, filled: bool| -> Value {
        Value::Array(
            t.mops
                .iter()
                .map(|m| match m {
                    M::R(k, v) => json!(["r", k, if filled { v.clone() } else { Value::Null }]),
                    M::W(k, v) => json!([if list { "append" } else { "w" }, k, v]),
                })
                .collect(),
        )
    };
    events
        .iter()
        .enumerate()
        .map(|(idx, &(_, i, done))| {
            let t = &txns[i];
            let kind = match (done, t.st) {
                (false, _) => OpType::Invoke,
                (true, St::Ok) => OpType::Ok,
                (true, St::Info) => OpType::Info,
                (true, St::Fail) => OpType::Fail,
            };
            let mut op = Op::new(
                idx as u64,
                kind,
                i as i64,
                "txn",
                value(t, done && t.st == St::Ok),
            );
            op.final_ = t.final_;
            op
        })
        .collect()
}
