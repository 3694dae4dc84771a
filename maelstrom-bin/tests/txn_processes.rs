//! The transactional exercises' references pass their levels as processes
//! (real time, real scheduling, JSON over pipes), not only in simulation:
//! `maelstrom test` with each level's exact flags from grade.toml, every
//! criterion judged as `maelstrom grade` judges it. The levels of an
//! exercise run at once, each in a store of its own, so the test takes as
//! long as its longest level.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{scratch, workspace, workspace_binary, Scratch};
use maelstrom::cli::grade::config::GradeConfig;
use maelstrom::cli::grade::criteria;
use serde_json::Value;

/// One level's run: the level, its store, the running harness.
struct Run {
    level: String,
    store: Scratch,
    child: Child,
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
        let store = scratch(&format!("{dir}-{name}-processes"));
        let child = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
            .args(["test", "-w", cfg.workload_of(level), "--bin"])
            .arg(&bin)
            .args(&level.args)
            .args(["--seed", "1", "--store"])
            .arg(&*store)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("maelstrom runs");
        judged_by.push((name.to_string(), runs.len()));
        runs.push(Run {
            level: name.to_string(),
            store,
            child,
        });
    }
    let results: Vec<Value> = runs
        .into_iter()
        .map(|r| {
            let out = r.child.wait_with_output().expect("maelstrom ran");
            let file = Path::new(&*r.store).join("latest/results.json");
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
                panic!(
                    "level {}: no {} ({e}): {}",
                    r.level,
                    file.display(),
                    String::from_utf8_lossy(&out.stderr)
                )
            });
            serde_json::from_str(&text).expect("results.json is JSON")
        })
        .collect();
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
