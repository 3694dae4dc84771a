//! Benchmark: the txn checker on valid list-append histories of 10k, 100k
//! and 1M transactions (or the sizes given), strict-serializable.
//!
//! Usage: `cargo run --release -p maelstrom-check --bin txn-bench -- [TXNS...]`
//!
//! Histories come from a seeded simulation: 10 processes, at most 10
//! transactions in flight, each of 1..=4 micro-ops (reads and appends 50/50)
//! over a pool of 10 keys retired after 16 appends (Elle's defaults); a
//! transaction takes effect atomically when it completes, so every history
//! is strict serializable and must check valid. Operations stream from the
//! generator into a compact `TxnHistory` one at a time, so the history is
//! never held as JSON. Times: reading the operations into the compact form
//! (`read_s`, generation excluded) and checking it (`check_s`). Peak memory
//! is the process's high-water mark (VmHWM) before and after the check.

use maelstrom_check::history::{Op, OpType};
use maelstrom_check::txn::{check_history, TxnHistoryBuilder, TxnKind, TxnOpts};
use maelstrom_check::Validity;
use serde_json::{json, Value};
use std::time::Instant;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// A pending transaction: its process and micro-ops (key, append value or
/// `None` for a read).
type Pending = (i64, Vec<(u64, Option<u64>)>);

/// Generates the history, handing each operation to `emit` in order.
fn history(txns: usize, mut emit: impl FnMut(Op)) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut active: Vec<u64> = (0..10).collect();
    let mut writes = [0u64; 10];
    let mut next_key = 10u64;
    let mut lists: Vec<Vec<u64>> = vec![Vec::new(); 10];
    let mut free: Vec<i64> = (0..10).collect();
    let mut flying: Vec<Pending> = Vec::new();
    let mut index = 0u64;
    let mut op = |kind, p, value| {
        emit(Op::new(index, kind, p, "txn", value));
        index += 1;
    };
    let mut started = 0;
    while started < txns || !flying.is_empty() {
        let start = started < txns && !free.is_empty() && (flying.is_empty() || rng.below(2) == 0);
        if start {
            let p = free.swap_remove(rng.below(free.len() as u64) as usize);
            let mops = (0..=rng.below(4))
                .map(|_| {
                    let i = rng.below(active.len() as u64) as usize;
                    let k = active[i];
                    if rng.below(2) == 0 {
                        return (k, None);
                    }
                    writes[i] += 1;
                    let v = writes[i];
                    if v == 16 {
                        active[i] = next_key;
                        writes[i] = 0;
                        next_key += 1;
                        lists.push(Vec::new());
                    }
                    (k, Some(v))
                })
                .collect();
            // The checker reads an ok transaction's completion only.
            op(OpType::Invoke, p, Value::Null);
            flying.push((p, mops));
            started += 1;
        } else {
            let (p, mops) = flying.swap_remove(rng.below(flying.len() as u64) as usize);
            let value: Vec<Value> = mops
                .iter()
                .map(|&(k, v)| match v {
                    Some(v) => {
                        lists[k as usize].push(v);
                        json!(["append", k, v])
                    }
                    None => json!(["r", k, lists[k as usize]]),
                })
                .collect();
            op(OpType::Ok, p, Value::Array(value));
            free.push(p);
        }
    }
}

/// The process's peak resident memory in MiB (Linux), or 0.
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    println!("txns\tread_s\tcheck_s\tvalid\tpeak_before_MiB\tpeak_after_MiB");
    for n in sizes {
        let mut b = TxnHistoryBuilder::new(TxnKind::ListAppend);
        let mut read = std::time::Duration::ZERO;
        history(n, |op| {
            let t = Instant::now();
            b.push(&op);
            read += t.elapsed();
        });
        let t = Instant::now();
        let h = b.finish();
        read += t.elapsed();
        let before = peak_mib();
        let t = Instant::now();
        let r = check_history(&h, &TxnOpts::default());
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{n}\t{:.2}\t{secs:.2}\t{:?}\t{before}\t{}",
            read.as_secs_f64(),
            r.valid,
            peak_mib()
        );
        if r.valid != Validity::Valid {
            eprintln!(
                "unexpected verdict: {}",
                serde_json::to_string(&r).unwrap_or_default()
            );
        }
        drop(h);
    }
}
