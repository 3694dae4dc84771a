//! Simulation speed: simulated seconds per wall second of `maelstrom test --sim`.
//!
//! `cargo bench --bench sim_speed` builds `maelstrom` and the reference nodes in
//! release and runs each setup below in simulation on seeds 1 to
//! `SIM_BENCH_RUNS` (default 5), each seed `SIM_BENCH_REPEATS` times (default
//! 3), timing the whole command from process start to exit, store written.
//! The figure is the ratio of the test's simulated duration (the time of the
//! last operation in its history: time limit, recovery and final reads) to
//! the wall time of each seed's fastest repeat, median over the seeds: on a
//! shared machine other programs' load only ever lengthens a run. The medians
//! of every run's ratio, wall and CPU time (user + system) follow it.
//! Targets: at least 200x for the broadcast setup, 50x for 60 s of lin-kv on
//! 3 Raft nodes.
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

/// One timed run of one build on one seed.
struct Run {
    /// Simulated seconds over wall seconds.
    ratio: f64,
    /// Wall seconds, process start to exit.
    wall: f64,
    /// The process's user + system CPU seconds (its threads and children).
    cpu: f64,
    code: i32,
}

/// User + system CPU seconds of every child waited for so far.
fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn run_once(maelstrom: &Path, node: &Path, setup: &Setup, seed: usize) -> anyhow::Result<Run> {
    let store = std::env::temp_dir().join(format!("sim-bench-{}-{seed}", std::process::id()));
    let cpu_before = children_cpu();
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
    let cpu = children_cpu() - cpu_before;
    let simulated = simulated_seconds(&store);
    let _ = std::fs::remove_dir_all(&store);
    Ok(Run {
        ratio: simulated? / wall,
        wall,
        cpu,
        code: out.status.code().unwrap_or(-1),
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The runs of one build: `seeds[s]` holds every repeat of seed `s + 1`.
#[derive(Default)]
struct Runs {
    seeds: Vec<Vec<Run>>,
}

impl Runs {
    fn push(&mut self, seed: usize, run: Run) {
        if self.seeds.len() < seed {
            self.seeds.resize_with(seed, Vec::new);
        }
        self.seeds[seed - 1].push(run);
    }

    /// Each seed's fastest repeat: time that other programs took from the
    /// machine only ever adds to a run, so the fastest is the truest.
    fn fastest(&self) -> Vec<&Run> {
        self.seeds
            .iter()
            .filter_map(|runs| runs.iter().min_by(|a, b| a.wall.total_cmp(&b.wall)))
            .collect()
    }

    fn all(&self) -> impl Iterator<Item = &Run> {
        self.seeds.iter().flatten()
    }

    /// Median wall time of each seed's fastest repeat.
    fn best_wall(&self) -> f64 {
        median(self.fastest().iter().map(|r| r.wall).collect())
    }

    fn summary(&self) -> String {
        let fastest = self.fastest();
        let codes: Vec<i32> = self.all().map(|r| r.code).collect();
        format!(
            "{:.0}x real time (median over seeds of the fastest repeat: wall {:.3} s); \
             every run: {:.0}x, wall {:.3} s, CPU {:.3} s (medians); exit codes {codes:?}",
            median(fastest.iter().map(|r| r.ratio).collect()),
            median(fastest.iter().map(|r| r.wall).collect()),
            median(self.all().map(|r| r.ratio).collect()),
            median(self.all().map(|r| r.wall).collect()),
            median(self.all().map(|r| r.cpu).collect()),
        )
    }
}

/// A positive count from the environment, or `default`.
fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}

fn main() -> anyhow::Result<()> {
    let runs = env_count("SIM_BENCH_RUNS", 5);
    let repeats = env_count("SIM_BENCH_REPEATS", 3);
    let old: Option<PathBuf> = std::env::var_os("SIM_BENCH_OLD").map(PathBuf::from);
    let maelstrom = maelstrom_workbench::built_binary("maelstrom", "maelstrom", true)?;
    println!(
        "simulation speed, whole `maelstrom test --sim` command, seeds 1..={runs}, \
         {repeats} runs of each (release)"
    );
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
            for _ in 0..repeats {
                new_runs.push(seed, run_once(&maelstrom, &node, setup, seed)?);
                if let Some((m, n)) = &old_pair {
                    old_runs.push(seed, run_once(m, n, setup, seed)?);
                }
            }
        }
        println!("  {} (target {:.0}x)", setup.name, setup.target);
        println!("    this build: {}", new_runs.summary());
        if old_pair.is_some() {
            println!("    old build:  {}", old_runs.summary());
            println!(
                "    speed-up: {:.2}x (ratio of the fastest repeats' median wall times)",
                old_runs.best_wall() / new_runs.best_wall()
            );
        }
    }
    Ok(())
}
