//! Simulation speed: simulated seconds per wall second of `maelstrom test --sim`.
//!
//! `cargo bench --bench sim_speed` builds `maelstrom` and the reference nodes in
//! release, runs each setup below in simulation (median of `SIM_BENCH_RUNS`
//! runs, default 3), and reports the ratio of the test's simulated duration (the
//! time of the last operation in its history) to the wall time of the run.
//! Targets (issue 5): at least 100x for the broadcast efficiency setup, 50x for
//! a 60 s lin-kv run on 3 Raft nodes.

use std::path::Path;
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
        target: 100.0,
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

fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::var("SIM_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let maelstrom = maelstrom_workbench::built_binary("maelstrom", "maelstrom", true)?;
    println!("simulation speed, median of {runs} runs (release)");
    for setup in SETUPS {
        let node = match maelstrom_workbench::built_binary(setup.package, setup.bin, true) {
            Ok(node) => node,
            Err(e) => {
                println!("  {}: skipped ({e})", setup.name);
                continue;
            }
        };
        let mut ratios = Vec::new();
        let mut verdicts = Vec::new();
        for run in 0..runs {
            // Removed when dropped, on an early `?` return too.
            let scratch = tempfile::Builder::new().prefix("sim-bench-").tempdir()?;
            let store = scratch.path().join("store");
            let started = Instant::now();
            let out = Command::new(&maelstrom)
                .arg("test")
                .arg("--sim")
                .arg("--bin")
                .arg(&node)
                .args(setup.args)
                .args(["--seed", &run.to_string(), "--store"])
                .arg(&store)
                .output()?;
            let wall = started.elapsed().as_secs_f64();
            let simulated = simulated_seconds(&store)?;
            verdicts.push(out.status.code().unwrap_or(-1));
            ratios.push(simulated / wall);
        }
        ratios.sort_by(f64::total_cmp);
        let median = ratios[ratios.len() / 2];
        println!(
            "  {}: {median:.0}x real time (target {:.0}x; exit codes {verdicts:?})",
            setup.name, setup.target
        );
    }
    Ok(())
}
