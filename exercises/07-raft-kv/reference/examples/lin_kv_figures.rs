//! Stage 5 figures of the reference node: lin-kv throughput and latency under
//! partitions, messages per committed command, and simulated vs wall time.
//!
//! ```sh
//! # upstream's final Raft test in simulation, seeds 0..N (default 10)
//! cargo run --release -p raft-kv-reference --example lin_kv_figures -- --sim 10
//! # the same figures from the store folder of a run (e.g. one as processes)
//! cargo run --release -p raft-kv-reference --example lin_kv_figures -- store/lin-kv/latest
//! ```
//!
//! A *committed command* is an operation the leader applied and answered from the
//! store: `ok`, or a `fail` with error 20 or 22 (computed by the state machine).
//! Messages are those between servers (Raft traffic and forwarded requests).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use maelstrom_node::sim::{self, TestConfig, Validity};
use raft_kv_reference::server::RaftKv;
use serde_json::Value;

/// What one run's store folder shows.
#[derive(Default)]
struct Figures {
    /// Latency of each ok operation, in ms.
    ok_latencies: Vec<f64>,
    /// Ok operations per second of the generator's span.
    ok_per_sec: f64,
    /// Operations answered from the state machine.
    committed: u64,
    /// Messages between servers.
    server_msgs: u64,
    /// Completions by outcome (`ok`, `fail 11`, `info`, ...).
    outcomes: BTreeMap<String, u64>,
}

fn read_store(dir: &Path) -> anyhow::Result<Figures> {
    let results: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("results.json"))?)?;
    let history = std::fs::read_to_string(dir.join("history.jsonl"))?;
    let mut f = Figures {
        server_msgs: results["net"]["servers"]["msg-count"].as_u64().unwrap_or(0),
        ..Figures::default()
    };
    let mut invoked: BTreeMap<i64, u64> = BTreeMap::new();
    let (mut first_ok, mut last_ok) = (u64::MAX, 0);
    for line in history.lines() {
        let e: Value = serde_json::from_str(line)?;
        let (Some(process), Some(time)) = (e["process"].as_i64(), e["time"].as_u64()) else {
            continue;
        };
        if process < 0 {
            continue; // the nemesis
        }
        let kind = e["type"].as_str().unwrap_or("");
        if kind == "invoke" {
            invoked.insert(process, time);
            continue;
        }
        let error = match &e["error"] {
            Value::Array(a) => a.first().and_then(Value::as_str).unwrap_or("").to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let label = if error.is_empty() {
            kind.to_string()
        } else {
            format!("{kind} {error}")
        };
        *f.outcomes.entry(label).or_default() += 1;
        match (kind, error.as_str()) {
            ("ok", _) => {
                f.committed += 1;
                if let Some(start) = invoked.get(&process) {
                    f.ok_latencies.push((time - start) as f64 / 1e6);
                }
                first_ok = first_ok.min(time);
                last_ok = last_ok.max(time);
            }
            ("fail", "key-does-not-exist" | "precondition-failed") => f.committed += 1,
            _ => {}
        }
    }
    let span = last_ok.saturating_sub(first_ok) as f64 / 1e9;
    if span > 0.0 {
        f.ok_per_sec = f.ok_latencies.len() as f64 / span;
    }
    Ok(f)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn print(all: &[Figures]) {
    let mut lat: Vec<f64> = all.iter().flat_map(|f| f.ok_latencies.clone()).collect();
    lat.sort_by(f64::total_cmp);
    let ok_per_sec = all.iter().map(|f| f.ok_per_sec).sum::<f64>() / all.len() as f64;
    let committed: u64 = all.iter().map(|f| f.committed).sum();
    let msgs: u64 = all.iter().map(|f| f.server_msgs).sum();
    let mut outcomes: BTreeMap<&str, u64> = BTreeMap::new();
    for f in all {
        for (k, v) in &f.outcomes {
            *outcomes.entry(k).or_default() += v;
        }
    }
    println!("  ok ops/s (mean over runs):   {ok_per_sec:.1}");
    println!(
        "  ok latency:                  p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        quantile(&lat, 0.5),
        quantile(&lat, 0.9),
        quantile(&lat, 0.99),
        quantile(&lat, 1.0)
    );
    println!(
        "  server msgs per committed command: {:.1} ({msgs} msgs, {committed} commands)",
        msgs as f64 / committed.max(1) as f64
    );
    let outcomes: Vec<String> = outcomes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    println!("  completions: {}", outcomes.join(", "));
}

fn simulate(seeds: u64) -> anyhow::Result<()> {
    // Removed when dropped, on an early `?` return too.
    let scratch = tempfile::Builder::new()
        .prefix("raft-kv-figures-")
        .tempdir()?;
    let root = scratch.path().to_path_buf();
    let mut all = Vec::new();
    let mut wall = Duration::ZERO;
    for seed in 0..seeds {
        let mut cfg = sim::config::<RaftKv>("lin-kv");
        cfg.nodes = TestConfig::node_ids(3);
        cfg.concurrency = 12;
        cfg.rate = 30.0;
        cfg.time_limit = Duration::from_secs(60);
        cfg.nemesis_partition = true;
        cfg.nemesis_interval = Duration::from_secs(10);
        cfg.seed = seed;
        cfg.store_root = Some(root.clone());
        let start = Instant::now();
        let outcome = sim::run(cfg)?;
        wall += start.elapsed();
        anyhow::ensure!(outcome.valid == Validity::Valid, "seed {seed} is not valid");
        let dir: PathBuf = outcome
            .store_dir
            .ok_or_else(|| anyhow::anyhow!("no store"))?;
        all.push(read_store(&dir)?);
    }
    drop(scratch);
    println!("lin-kv, 3 nodes, 12 clients, 30 ops/s, 60 s, partitions every 10 s; simulation, {seeds} seeds, all valid:");
    print(&all);
    let per_run = wall.as_secs_f64() / seeds as f64;
    println!(
        "  wall time per run:           {per_run:.2} s for 60 s of operations ({:.0}x real time)",
        60.0 / per_run
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, rest @ ..] if flag == "--sim" => {
            let seeds = rest.first().and_then(|s| s.parse().ok()).unwrap_or(10);
            simulate(seeds)
        }
        [dir] => {
            println!("{dir}:");
            print(&[read_store(Path::new(dir))?]);
            Ok(())
        }
        _ => anyhow::bail!("usage: lin_kv_figures --sim [SEEDS] | lin_kv_figures STORE_DIR"),
    }
}
