//! Broken txn-list-append nodes (exercises/09-txn-list-append/mutants) fail
//! the levels they must fail, through `maelstrom grade` in simulation and,
//! where the verdict does not hang on timing, as processes, with the
//! anomalies upstream's Datomic chapter names.
//!
//! Stale read-only transactions are judged in simulation only: as
//! processes, a stale read shows only when a read-only transaction reaches
//! the stale node after the other node's commit was acknowledged and before
//! anything reloads its root, which real timing may or may not produce in a
//! 10-second run.

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

/// `maelstrom grade txn-list-append --bin BIN` over the exercise's grade.toml.
fn grade(bin: &Path, name: &str) -> String {
    let dir = scratch(name);
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(workspace())
        .args(["grade", "txn-list-append", "--bin"])
        .arg(bin)
        .arg("--store")
        .arg(dir.join("store"))
        .output()
        .expect("maelstrom runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    t
}

/// The table line of a level, e.g. `b shared state in one lin-kv key  FAIL`.
fn level_line<'a>(table: &'a str, level: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{level} ")))
        .unwrap_or_else(|| panic!("no line for level {level} in:\n{table}"))
}

/// Runs one level of grade.toml as processes (`maelstrom test`, no --sim),
/// seed 1, and returns its output; panics unless the verdict is invalid.
fn invalid_as_processes(bin: &Path, level: &str, name: &str) -> String {
    let path = workspace().join("exercises/09-txn-list-append/grade.toml");
    let cfg = GradeConfig::parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
    let level = cfg.levels.iter().find(|l| l.name == level).unwrap();
    let dir = scratch(name);
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .args(["test", "-w", "txn-list-append", "--bin"])
        .arg(bin)
        .args(&level.args)
        .args(["--seed", "1", "--store"])
        .arg(dir.join("store"))
        .output()
        .expect("maelstrom runs");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    t
}

#[test]
fn a_database_per_node_passes_one_node_and_fails_two_in_simulation() {
    let bin = workspace_binary("txn-list-append-mutants", "txn-list-append-per-node");
    let t = grade(&bin, "txn-mutant-per-node");
    assert!(level_line(&t, "a").contains("pass"), "{t}");
    for level in ["b", "c", "d"] {
        assert!(
            level_line(&t, level).contains("FAIL"),
            "level {level}:\n{t}"
        );
    }
}

#[test]
fn a_database_per_node_is_incompatible_order_as_processes() {
    let bin = workspace_binary("txn-list-append-mutants", "txn-list-append-per-node");
    let t = invalid_as_processes(&bin, "b", "txn-mutant-per-node-proc");
    assert!(t.contains("incompatible-order"), "{t}");
}

#[test]
fn stale_read_only_transactions_fail_the_shared_levels_in_simulation() {
    let bin = workspace_binary("txn-list-append-mutants", "txn-list-append-stale-reads");
    let t = grade(&bin, "txn-mutant-stale-reads");
    // One node: its cached root is always the current one.
    assert!(level_line(&t, "a").contains("pass"), "{t}");
    for level in ["b", "c", "d"] {
        assert!(
            level_line(&t, level).contains("FAIL"),
            "level {level}:\n{t}"
        );
    }
}
