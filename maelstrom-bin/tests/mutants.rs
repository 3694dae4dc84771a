//! Broken broadcast nodes (exercises/03-broadcast/mutants) fail the levels they
//! must fail, both through `maelstrom grade` in simulation and as processes:
//! a verdict may not depend on the mode.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{scratch, workspace, workspace_binary};
use maelstrom::cli::grade::config::GradeConfig;

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `maelstrom grade broadcast --bin BIN` over the exercise's own grade.toml.
fn grade(bin: &Path, name: &str) -> (Output, String) {
    let dir = scratch(name);
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(workspace())
        .args(["grade", "broadcast", "--bin"])
        .arg(bin)
        .arg("--store")
        .arg(dir.join("store"))
        .output()
        .expect("maelstrom runs");
    let t = text(&out);
    (out, t)
}

/// The table line of a level, e.g. `c five nodes under partitions  FAIL`.
fn level_line<'a>(table: &'a str, level: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{level} ")))
        .unwrap_or_else(|| panic!("no line for level {level} in:\n{table}"))
}

/// The exercise's grade.toml.
fn grade_config() -> GradeConfig {
    let path = workspace().join("exercises/03-broadcast/grade.toml");
    GradeConfig::parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap()
}

/// Runs one level of grade.toml as processes (`maelstrom test`, no --sim).
fn as_processes(bin: &Path, level: &str, seed: u64, name: &str) -> (Output, String) {
    run_level(bin, level, seed, name, &[])
}

/// Runs one level of grade.toml with `maelstrom test`, plus `extra` flags.
fn run_level(bin: &Path, level: &str, seed: u64, name: &str, extra: &[&str]) -> (Output, String) {
    let cfg = grade_config();
    let level = cfg.levels.iter().find(|l| l.name == level).unwrap();
    let dir = scratch(name);
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .args(["test", "-w", "broadcast", "--bin"])
        .arg(bin)
        .args(extra)
        .args(&level.args)
        .args(["--seed", &seed.to_string(), "--store"])
        .arg(dir.join("store"))
        .output()
        .expect("maelstrom runs");
    let t = text(&out);
    (out, t)
}

#[test]
fn no_retry_fails_the_partition_levels_in_simulation() {
    let bin = workspace_binary("broadcast-mutants", "broadcast-no-retry");
    let (out, t) = grade(&bin, "mutant-no-retry");
    assert_eq!(out.status.code(), Some(1), "{t}");
    for level in ["c", "d-partition"] {
        assert!(
            level_line(&t, level).contains("FAIL"),
            "level {level}:\n{t}"
        );
    }
    // Without partitions nothing is lost: level b passes.
    assert!(level_line(&t, "b").contains("pass"), "{t}");
    // Not one lucky seed: every seed grade runs is invalid.
    for level in ["c", "d-partition"] {
        for seed in grade_config().seeds {
            let (out, t) = run_level(&bin, level, seed, "mutant-no-retry-seed", &["--sim"]);
            assert_eq!(out.status.code(), Some(1), "level {level} seed {seed}: {t}");
        }
    }
}

#[test]
fn no_retry_fails_the_partition_level_as_processes() {
    let bin = workspace_binary("broadcast-mutants", "broadcast-no-retry");
    let (out, t) = as_processes(&bin, "c", 1, "mutant-no-retry-proc");
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("lost"), "{t}");
}

#[test]
fn first_of_batch_fails_every_level_from_b_in_simulation() {
    let bin = workspace_binary("broadcast-mutants", "broadcast-first-of-batch");
    let (out, t) = grade(&bin, "mutant-first-of-batch");
    assert_eq!(out.status.code(), Some(1), "{t}");
    for level in ["b", "c", "d", "d-partition", "e"] {
        assert!(
            level_line(&t, level).contains("FAIL"),
            "level {level}:\n{t}"
        );
    }
}

#[test]
fn first_of_batch_fails_level_b_as_processes() {
    let bin = workspace_binary("broadcast-mutants", "broadcast-first-of-batch");
    let (out, t) = as_processes(&bin, "b", 1, "mutant-first-of-batch-proc");
    assert_eq!(out.status.code(), Some(1), "{t}");
}
