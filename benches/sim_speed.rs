//! Simulation speed: simulated seconds per wall second of `maelstrom test --sim`.
//!
//! `cargo bench --bench sim_speed` builds `maelstrom` and the reference nodes in
//! release and runs each setup below in simulation, once per seed (seeds 1 to
//! `SIM_BENCH_RUNS`, default 5), timing the whole command from process start
//! to exit, store written. It reports the median ratio of the test's simulated
//! duration (the time of the last operation in its history: time limit,
//! recovery and final reads) to that wall time. Targets: at least 200x for
//! the broadcast setup, 50x for 60 s of lin-kv on 3 Raft nodes.
//!
//! With `SIM_BENCH_OLD=DIR`, where DIR holds an older build's `maelstrom` and
//! node binaries under the same names, every seed also runs the old pair,
//! interleaved with the new one so both see the same machine load, and the
//! report gives both medians and their ratio. On a shared, noisy machine
//! compare figures from one run only.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

struct Setup {
    name: &'static str,
    package: &'static str,
    bin: &'static str,
    args: &'static [&'static str],
    target: f64,
}

const SETUPS: &[Setup] = &[
    Setup {
        name: "broadcast, 25 nodes, rate 100, latency 100 ms, 20 s",
        package: "broadcast-reference",
        bin: "broadcast-reference",
        args: &[
            "-w",
            "broadcast",
            "--node-count",
            "25",
            "--rate",
            "100",
            "--latency",
            "100",
            "--time-limit",
            "20",
        ],
        target: 200.0,
    },
    Setup {
        name: "lin-kv on Raft, 3 nodes, 4n, rate 30, partitions, 60 s",
        package: "raft-kv-reference",
        bin: "raft-kv-reference",
        args: &[
            "-w",
            "lin-kv",
            "--node-count",
            "3",
            "--concurrency",
            "4n",
            "--rate",
            "30",
            "--time-limit",
            "60",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "10",
        ],
        target: 50.0,
    },
];

/// The time of the last operation in a store's history, in seconds.
fn simulated_seconds(store: &Path) -> anyhow::Result<f64> {
    let history = std::fs::read_to_string(store.join("latest").join("history.jsonl"))?;
    let last = history
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|op| op["time"].as_u64())
        .max()
        .unwrap_or(0);
    Ok(last as f64 / 1e9)
}

/// One timed run: (simulated seconds / wall seconds, wall seconds, exit code).
fn run_once(
    maelstrom: &Path,
    node: &Path,
    setup: &Setup,
    seed: usize,
) -> anyhow::Result<(f64, f64, i32)> {
    let store = std::env::temp_dir().join(format!("sim-bench-{}-{seed}", std::process::id()));
    let started = Instant::now();
    let out = Command::new(maelstrom)
        .arg("test")
        .arg("--sim")
        .arg("--bin")
        .arg(node)
        .args(setup.args)
        .args(["--seed", &seed.to_string(), "--store"])
        .arg(&store)
        .output()?;
    let wall = started.elapsed().as_secs_f64();
    let simulated = simulated_seconds(&store);
    let _ = std::fs::remove_dir_all(&store);
    Ok((simulated? / wall, wall, out.status.code().unwrap_or(-1)))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The runs of one build over all seeds.
#[derive(Default)]
struct Runs {
    ratios: Vec<f64>,
    walls: Vec<f64>,
    codes: Vec<i32>,
}

impl Runs {
    fn push(&mut self, (ratio, wall, code): (f64, f64, i32)) {
        self.ratios.push(ratio);
        self.walls.push(wall);
        self.codes.push(code);
    }

    fn summary(&self) -> String {
        format!(
            "{:.0}x real time (median wall {:.3} s; exit codes {:?})",
            median(self.ratios.clone()),
            median(self.walls.clone()),
            self.codes
        )
    }
}

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::var("SIM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let old: Option<PathBuf> = std::env::var_os("SIM_BENCH_OLD").map(PathBuf::from);
    let maelstrom = maelstrom_workbench::built_binary("maelstrom", "maelstrom", true)?;
    println!("simulation speed, whole `maelstrom test --sim` command, median of seeds 1..={runs} (release)");
    for setup in SETUPS {
        let node = match maelstrom_workbench::built_binary(setup.package, setup.bin, true) {
            Ok(node) => node,
            Err(e) => {
                println!("  {}: skipped ({e})", setup.name);
                continue;
            }
        };
        let old_pair = old
            .as_ref()
            .map(|dir| (dir.join("maelstrom"), dir.join(setup.bin)))
            .filter(|(m, n)| m.exists() && n.exists());
        let (mut new_runs, mut old_runs) = (Runs::default(), Runs::default());
        for seed in 1..=runs {
            new_runs.push(run_once(&maelstrom, &node, setup, seed)?);
            if let Some((m, n)) = &old_pair {
                old_runs.push(run_once(m, n, setup, seed)?);
            }
        }
        println!("  {} (target {:.0}x)", setup.name, setup.target);
        println!("    this build: {}", new_runs.summary());
        if old_pair.is_some() {
            println!("    old build:  {}", old_runs.summary());
            println!(
                "    speed-up: {:.2}x (ratio of median wall times)",
                median(old_runs.walls.clone()) / median(new_runs.walls.clone())
            );
        }
    }
    Ok(())
}
