//! `maelstrom grade`: the echo reference passes, the echo starter fails level one
//! with a message that says why, and how to replay it.
//!
//! The grade config is written here rather than read from exercises/01-echo, so
//! the test pins one short level (simulation makes its 10 s cost milliseconds).

mod common;

use std::process::{Command, Output};

use common::{scratch, workspace};

const ECHO_GRADE: &str = r#"
exercise = "echo"
workload = "echo"
starter_package = "echo-starter"
starter_bin = "echo"
reference_package = "echo-reference"
reference_bin = "echo-reference"
seeds = [1, 2]

[[level]]
name = "a"
title = "one node"
args = ["--node-count", "1", "--time-limit", "10"]
criteria = [
  { path = "valid", equals = true },
  { path = "net.servers.msgs-per-op", below = 1.0 },
  { path = "stats.ok-count", above = 5.0 },
]
"#;

/// Runs `maelstrom grade echo EXTRA...` against a scratch exercises folder.
fn grade(name: &str, extra: &[&str]) -> (Output, String) {
    let dir = scratch(name);
    let exercises = dir.join("exercises");
    std::fs::create_dir_all(exercises.join("01-echo")).unwrap();
    std::fs::write(exercises.join("01-echo/grade.toml"), ECHO_GRADE).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(workspace())
        .arg("grade")
        .arg("echo")
        .arg("--exercises")
        .arg(&exercises)
        .arg("--store")
        .arg(dir.join("store"))
        .args(extra)
        .output()
        .expect("maelstrom runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

#[test]
fn the_echo_reference_passes() {
    let (out, text) = grade("grade-ref", &["--reference"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("a one node  pass"), "{text}");
    assert!(text.contains("All 1 level(s) pass."), "{text}");
}

#[test]
fn the_echo_starter_fails_level_one_and_says_why() {
    let (out, text) = grade("grade-starter", &[]);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The table: the starter's values beside the reference's.
    assert!(text.contains("a one node  FAIL"), "{text}");
    assert!(text.contains("reference"), "{text}");
    // The plain words: every echo answered not-supported.
    assert!(
        text.contains("Level a one node failed with seed 1"),
        "{text}"
    );
    assert!(text.contains("not-supported"), "{text}");
    assert!(
        text.contains("Replay: maelstrom test --sim -w echo --bin ")
            && text.contains("--node-count 1 --time-limit 10 --seed 1"),
        "{text}"
    );
    assert!(text.contains("Look in: "), "{text}");
    assert!(text.contains("0 of 1 level(s) pass."), "{text}");
}
