//! The transactional exercises' references pass their levels as processes
//! (real time, real scheduling, JSON over pipes), not only in simulation:
//! `maelstrom test` with each level's exact flags from grade.toml, every
//! criterion judged as `maelstrom grade` judges it.
//!
//! One run at a time in the whole test binary, as `maelstrom grade` runs
//! process jobs: these nodes run on the real clock, and a machine shared by
//! half a dozen harnesses at rate 1000 starves a node whose commits retry
//! (level d's reference then loses a commit for its 3 s bound and answers
//! error 30, a failed operation the level forbids).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use common::{scratch, workspace, workspace_binary};
use maelstrom::cli::grade::config::GradeConfig;
use maelstrom::cli::grade::criteria;
use serde_json::Value;

/// Held by the one harness running at a time (see the module's doc).
static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

/// One level's run: the level and the results.json it wrote.
struct Run {
    level: String,
    results: Value,
}

/// Runs `maelstrom test` for `level` of the exercise in `dir`, with `args`
/// and `bin`, seed 1, in a scratch store, and returns its results.json.
fn run_level(dir: &str, level: &str, workload: &str, bin: &Path, args: &[String]) -> Value {
    let store = scratch(&format!("{dir}-{level}-processes"));
    let out = {
        let _turn = ONE_RUN_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        Command::new(env!("CARGO_BIN_EXE_maelstrom"))
            .args(["test", "-w", workload, "--bin"])
            .arg(bin)
            .args(args)
            .args(["--seed", "1", "--store"])
            .arg(&*store)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("maelstrom runs")
    };
    let file = Path::new(&*store).join("latest/results.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "level {level}: no {} ({e}): {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    serde_json::from_str(&text).expect("results.json is JSON")
}

/// Runs `levels` of the exercise in `dir` (under exercises/) with its
/// reference binary as processes, seed 1, and panics listing every criterion
/// that failed. Levels with the same flags share one run.
fn pass_as_processes(dir: &str, levels: &[&str]) {
    let path = workspace().join("exercises").join(dir).join("grade.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let cfg = GradeConfig::parse(&text, &path).unwrap();
    let bin = workspace_binary(&cfg.reference_package, &cfg.reference_bin);
    let mut runs: Vec<Run> = Vec::new();
    let mut judged_by: Vec<(String, usize)> = Vec::new();
    for name in levels {
        let level = cfg
            .levels
            .iter()
            .find(|l| l.name == *name)
            .unwrap_or_else(|| panic!("{dir} has no level {name}"));
        if let Some(i) = runs.iter().position(|r| {
            let same = cfg.levels.iter().find(|l| l.name == r.level).unwrap();
            same.args == level.args
        }) {
            judged_by.push((name.to_string(), i));
            continue;
        }
        judged_by.push((name.to_string(), runs.len()));
        runs.push(Run {
            level: name.to_string(),
            results: run_level(dir, name, cfg.workload_of(level), &bin, &level.args),
        });
    }
    let results: Vec<Value> = runs.into_iter().map(|r| r.results).collect();
    let mut failures = Vec::new();
    for (name, i) in judged_by {
        let level = cfg.levels.iter().find(|l| l.name == name).unwrap();
        for c in &level.criteria {
            let j = criteria::judge(c, &results[i]);
            let line = format!(
                "{dir} level {name}: {} = {} {}",
                c.path,
                criteria::fmt_value(j.measured.as_ref()),
                criteria::fmt_threshold(c)
            );
            eprintln!("{line}");
            if !j.pass {
                failures.push(line);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "criteria not met as processes:\n{}",
        failures.join("\n")
    );
}

#[test]
fn txn_rw_register_reference_passes_every_level_as_processes() {
    pass_as_processes("08-txn-rw-register", &["a", "b", "b-partition", "c"]);
}

#[test]
fn txn_list_append_reference_passes_every_level_as_processes() {
    pass_as_processes("09-txn-list-append", &["a", "b", "c", "d"]);
}
