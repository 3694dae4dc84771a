//! The learner's loop around `maelstrom grade`: the store keeps only what is
//! worth looking at, each level's last result is recorded, `maelstrom progress`
//! lists them, failures read as plain words in a table that fits 100 columns,
//! and `maelstrom store prune` clears what is left.

mod common;

use std::path::Path;
use std::process::Command;

use common::{scratch, workspace};

/// Echo on one node, three seeds, a short time limit (processes run in real time).
const ECHO_GRADE: &str = r#"
exercise = "echo"
workload = "echo"
starter_package = "echo-starter"
starter_bin = "echo"
reference_package = "echo-reference"
reference_bin = "echo-reference"
seeds = [1, 2, 3]

[[level]]
name = "a"
title = "echo on one node, a title long enough to need wrapping in the table's level column"
args = ["--node-count", "1", "--time-limit", "2", "--rate", "20"]
criteria = [
  { path = "valid", equals = true },
  { path = "net.servers.msgs-per-op", below = 1.0 },
]
"#;

/// Echoes something else than it was sent.
const WRONG_ECHO: &str = r#"
def handle(msg):
    reply(msg, {"type": "echo_ok", "echo": "not what you sent"})
main(handle)
"#;

fn maelstrom(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(workspace())
        .args(args)
        .args(["--store", dir.join("store").to_str().unwrap()])
        .output()
        .expect("maelstrom runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn grade_keeps_a_small_store_records_results_and_explains_in_words() {
    let dir = scratch("learner-loop");
    let exercises = dir.join("exercises");
    std::fs::create_dir_all(exercises.join("01-echo")).unwrap();
    std::fs::write(exercises.join("01-echo/grade.toml"), ECHO_GRADE).unwrap();
    let ex = exercises.to_str().unwrap();
    // A folder left by an earlier grading with other seeds.
    let level = dir.join("store/grade/echo/yours/a");
    std::fs::create_dir_all(level.join("seed-99")).unwrap();

    let (code, text) = maelstrom(&dir, &["progress", "--exercises", ex]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("not graded yet"), "{text}");

    // A correct node in simulation: every seed passes, one folder is kept.
    let reference = common::workspace_binary("echo-reference", "echo-reference");
    let bin = reference.to_str().unwrap();
    let (code, text) = maelstrom(&dir, &["grade", "echo", "--exercises", ex, "--bin", bin]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(names(&level), ["last.json", "seed-3"], "{text}");
    assert_eq!(
        names(&dir.join("store/grade/echo/reference/a")),
        ["seed-3"],
        "{text}"
    );
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("level "))
        .take_while(|l| !l.starts_with("Mode:"))
        .collect();
    assert!(table.len() >= 3, "no table in {text}");
    for line in &table {
        assert!(line.chars().count() <= 100, "too wide: {line}\n{text}");
    }
    let (_, text) = maelstrom(&dir, &["progress", "--exercises", ex]);
    assert!(
        text.contains("echo      a echo on one node") && text.contains("pass"),
        "{text}"
    );
    assert!(text.contains("1 of 1 levels pass."), "{text}");

    // A node that echoes the wrong text, as processes (one seed).
    let node = common::python_node(&dir, "wrong-echo.py", WRONG_ECHO);
    let bin = node.to_str().unwrap();
    let (code, text) = maelstrom(&dir, &["grade", "echo", "--exercises", ex, "--bin", bin]);
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("Expected a message with"), "{text}");
    assert!(text.contains("answered with something else"), "{text}");
    assert!(
        text.contains("The operation that made the run invalid: echo \"Please echo"),
        "{text}"
    );
    assert!(
        text.contains("returned {echo: \"not what you sent\", type: \"echo_ok\"}"),
        "{text}"
    );
    assert_eq!(names(&level), ["last.json", "seed-1"], "{text}");
    let (_, text) = maelstrom(&dir, &["progress", "--exercises", ex]);
    assert!(text.contains("FAIL"), "{text}");
    assert!(text.contains("seed 1 failed (of 1), processes"), "{text}");
    assert!(text.contains("0 of 1 levels pass."), "{text}");

    // Pruning drops the reference's runs and keeps the learner's.
    let (code, text) = maelstrom(&dir, &["store", "prune", "--keep", "1"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Removed 1 folder(s)"), "{text}");
    assert!(!dir.join("store/grade/echo/reference").exists());
    assert_eq!(names(&level), ["last.json", "seed-1"]);
}

#[test]
fn a_process_run_says_what_its_seed_fixes() {
    let dir = scratch("process-seed");
    let node = common::python_node(&dir, "echo.py", common::ECHO);
    let (code, text) = maelstrom(
        &dir,
        &[
            "test",
            "-w",
            "echo",
            "--bin",
            node.to_str().unwrap(),
            "--node-count",
            "1",
            "--time-limit",
            "1",
            "--seed",
            "5",
        ],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("Seed 5 fixes the harness's choices")
            && text.contains("not the processes' own timing"),
        "{text}"
    );
    assert!(text.contains("echo: all "), "{text}");
    // And prune keeps the newest test folder of the workload.
    maelstrom(
        &dir,
        &[
            "test",
            "-w",
            "echo",
            "--bin",
            node.to_str().unwrap(),
            "--node-count",
            "1",
            "--time-limit",
            "1",
        ],
    );
    assert_eq!(
        names(&dir.join("store/echo")).len(),
        3,
        "two tests and latest"
    );
    let (code, text) = maelstrom(&dir, &["store", "prune", "--keep", "1"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Removed 1 folder(s)"), "{text}");
    assert_eq!(
        names(&dir.join("store/echo")).len(),
        2,
        "one test and latest"
    );
    assert!(dir.join("store/echo/latest/results.json").exists());
}
