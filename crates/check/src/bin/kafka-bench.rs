//! Benchmark: the kafka checker on a synthetic history of a 60 s run at
//! 1000 ops/s (60 000 operations, 120 000 history entries).
//!
//! Usage: `cargo run --release -p maelstrom-check --bin kafka-bench -- [OPS] [RUNS]`

use maelstrom_check::history::{Op, OpType};
use maelstrom_check::kafka::{check, KafkaOpts};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

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

/// Sends and polls by 10 processes over 10 keys, every op correct.
fn history(ops: usize) -> Vec<Op> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let keys: Vec<String> = (0..10).map(|k| k.to_string()).collect();
    let mut logs: Vec<Vec<i64>> = vec![Vec::new(); keys.len()];
    let mut local: Vec<Vec<usize>> = vec![vec![0; keys.len()]; 10];
    let mut h = Vec::with_capacity(ops * 2);
    let mut msg = 0i64;
    let push = |h: &mut Vec<Op>, kind, p: i64, f: &str, v: Value| {
        let mut op = Op::new(h.len() as u64, kind, p, f, v);
        op.time = h.len() as u64 * 500_000;
        h.push(op);
    };
    for _ in 0..ops {
        let p = rng.below(10) as usize;
        if rng.below(2) == 0 {
            let k = rng.below(keys.len() as u64) as usize;
            msg += 1;
            let off = logs[k].len() as i64;
            logs[k].push(msg);
            push(
                &mut h,
                OpType::Invoke,
                p as i64,
                "send",
                json!([["send", keys[k], msg]]),
            );
            push(
                &mut h,
                OpType::Ok,
                p as i64,
                "send",
                json!([["send", keys[k], [off, msg]]]),
            );
        } else {
            let mut got = Map::new();
            for _ in 0..3 {
                let k = rng.below(keys.len() as u64) as usize;
                let from = local[p][k];
                let to = (from + 4).min(logs[k].len());
                if from < to && !got.contains_key(&keys[k]) {
                    let pairs: Vec<Value> = (from..to).map(|o| json!([o, logs[k][o]])).collect();
                    got.insert(keys[k].clone(), Value::Array(pairs));
                    local[p][k] = to;
                }
            }
            push(&mut h, OpType::Invoke, p as i64, "poll", json!([["poll"]]));
            push(&mut h, OpType::Ok, p as i64, "poll", json!([["poll", got]]));
        }
    }
    // Final phase: process 0 reads everything that is left.
    let mut got = Map::new();
    for (k, log) in logs.iter().enumerate() {
        let pairs: Vec<Value> = (local[0][k]..log.len())
            .map(|o| json!([o, log[o]]))
            .collect();
        if !pairs.is_empty() {
            got.insert(keys[k].clone(), Value::Array(pairs));
        }
    }
    push(&mut h, OpType::Invoke, 0, "poll", json!([["poll"]]));
    push(&mut h, OpType::Ok, 0, "poll", json!([["poll", got]]));
    h
}

fn main() {
    let mut args = std::env::args().skip(1);
    let ops: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(60_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let h = history(ops);
    let mut times: Vec<Duration> = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = Some(check(&h, &KafkaOpts::default()));
        times.push(t.elapsed());
    }
    times.sort();
    if let Some(r) = last {
        println!(
            "kafka: {ops} ops ({} history entries): valid {} error types {:?}; median {:.1} ms, min {:.1} ms over {} runs",
            h.len(),
            serde_json::to_string(&r.valid).unwrap_or_default(),
            r.error_types,
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times.len()
        );
    }
}
