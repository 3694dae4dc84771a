//! `maelstrom grade`: the echo reference passes, the echo starter (as committed)
//! fails level one with a message that says why, and how to replay it.
//!
//! The grade config is written here rather than read from exercises/01-echo, so
//! the test pins one short level (simulation makes its 10 s cost milliseconds).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{scratch, workspace};
use maelstrom::cli::grade::config::load_exercises;

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

/// Runs `maelstrom grade echo EXTRA...` against a scratch exercises folder;
/// the folder (with the store) lives as long as the returned `Scratch`.
fn grade(name: &str, extra: &[&str]) -> (Output, String, common::Scratch) {
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
    (out, text, dir)
}

#[test]
fn the_echo_reference_passes() {
    let (out, text, _dir) = grade("grade-ref", &["--reference"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("a one node  pass"), "{text}");
    assert!(text.contains("All 1 level(s) pass."), "{text}");
}

#[test]
fn the_echo_starter_fails_level_one_and_says_why() {
    // The starter as committed: the one in exercises/ may be a learner's
    // solution by now.
    let ws = workspace();
    let exercises = load_exercises(&ws.join("exercises")).expect("grade.toml files parse");
    if let Err(why) = common::git_checkout(&ws) {
        eprintln!("skipped: the committed starter cannot be read ({why})");
        return;
    }
    let pristine = common::Pristine::new(&ws, &exercises).unwrap_or_else(|e| panic!("{e}"));
    let starter = pristine.binary("echo-starter", "echo");
    let (out, text, _dir) = grade("grade-starter", &["--bin", starter.to_str().unwrap()]);
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
    let maelstrom = env!("CARGO_BIN_EXE_maelstrom");
    assert!(
        text.contains(&format!("Replay: {maelstrom} test --sim -w echo --bin "))
            && text.contains("--node-count 1 --time-limit 10 --seed 1"),
        "{text}"
    );
    assert!(text.contains("Look in: "), "{text}");
    assert!(text.contains("0 of 1 level(s) pass."), "{text}");
    replay_as_printed(&text);
}

/// Runs the first printed replay command verbatim through a shell, from a
/// scratch folder, and compares its history with the graded run's.
fn replay_as_printed(text: &str) {
    let line = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(str::to_string))
            .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{text}"))
    };
    let (replay, look_in) = (line("Replay: "), line("Look in: "));
    let folder = look_in.split(" (").next().unwrap_or_default();
    let original = std::fs::read(Path::new(&folder).join("history.jsonl"))
        .unwrap_or_else(|e| panic!("{folder}/history.jsonl: {e}"));
    let dir = scratch("grade-replay");
    let out = Command::new("sh")
        .arg("-c")
        .arg(&replay)
        .current_dir(&dir)
        .output()
        .expect("sh runs");
    assert_eq!(out.status.code(), Some(1), "{replay}: {out:?}");
    let replayed = find_file(&dir.join("store"), "history.jsonl")
        .unwrap_or_else(|| panic!("the replay wrote no history: {out:?}"));
    assert!(
        std::fs::read(replayed).unwrap() == original,
        "the replay's history differs from the graded run's"
    );
}

/// The first file named `name` under `dir` (depth first, sorted).
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    entries.iter().find_map(|p| {
        if p.is_dir() && !p.is_symlink() {
            find_file(p, name)
        } else {
            (p.file_name()? == name).then(|| p.clone())
        }
    })
}

#[test]
fn processes_mode_is_chosen_and_reported() {
    let (out, text, _dir) = grade("grade-processes", &["--reference", "--processes"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("as processes"), "{text}");
    assert!(
        text.contains("Mode: processes, one seed per level"),
        "{text}"
    );
    let (out, text, _dir) = grade("grade-sim", &["--reference"]);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Mode: simulation"), "{text}");
}

#[test]
fn sim_mode_refuses_a_binary_without_the_library() {
    let dir = scratch("grade-sim-refused");
    let node = common::python_node(&dir, "echo.py", "main(lambda msg: None)");
    let (out, text, _dir) = grade(
        "grade-sim-refused-run",
        &["--sim", "--bin", node.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(254), "{text}");
    assert!(text.contains("not built with maelstrom-node"), "{text}");
}
