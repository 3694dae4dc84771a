//! A sweep run as 4 shards and merged reports what the unsharded sweep does:
//! the same failing seeds, the same coverage, the same replay commands.

mod common;

use std::path::Path;
use std::process::Command;

use common::{scratch, workspace_binary};
use serde_json::Value;

/// A library node that loses values under partitions: most seeds fail, some pass.
const SWEEP: &[&str] = &[
    "test",
    "--sim",
    "-w",
    "broadcast",
    "--node-count",
    "3",
    "--time-limit",
    "2",
    "--rate",
    "20",
    "--nemesis",
    "partition",
    "--nemesis-interval",
    "0.5",
    "--recovery-wait",
    "1",
    "--seeds",
    "0..12",
];

fn maelstrom(dir: &Path, args: &[String]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("maelstrom runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The report's lines that do not depend on how the sweep was run.
fn findings(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("seed ") || l.trim_start().starts_with("replay:"))
        .collect()
}

fn swept(path: &Path) -> Value {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["swept"].clone()
}

fn sweep_in_shards(extra: &[&str]) {
    let bin = workspace_binary("broadcast-mutants", "broadcast-no-retry");
    let dir = scratch("shards");
    let args = |more: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = SWEEP.iter().map(|s| s.to_string()).collect();
        a.extend(["--bin".into(), bin.display().to_string()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a.extend(more.iter().map(|s| s.to_string()));
        a
    };
    let (whole_code, whole) = maelstrom(&dir, &args(&["--summary", "whole.json"]));
    assert_eq!(whole_code, Some(1), "{whole}");
    let mut files = Vec::new();
    for k in 0..4 {
        let file = format!("shard-{k}.json");
        let shard = format!("{k}/4");
        let (code, out) = maelstrom(&dir, &args(&["--shard", &shard, "--summary", &file]));
        assert!(matches!(code, Some(0 | 1)), "shard {k}: {out}");
        files.push(file);
    }
    let mut merge: Vec<String> = vec!["sweep".into(), "merge".into()];
    merge.extend(files.iter().rev().cloned());
    merge.extend(["--summary".into(), "merged.json".into()]);
    let (code, merged) = maelstrom(&dir, &merge);
    assert_eq!(code, whole_code, "{merged}");
    assert!(!findings(&whole).is_empty(), "{whole}");
    assert_eq!(findings(&merged), findings(&whole));
    assert_eq!(
        swept(&dir.join("merged.json")),
        swept(&dir.join("whole.json"))
    );
}

#[test]
fn four_shards_merge_into_the_unsharded_report() {
    sweep_in_shards(&[]);
}

#[test]
fn four_shards_with_max_failures_merge_into_the_unsharded_report() {
    sweep_in_shards(&["--max-failures", "3"]);
}

#[test]
fn a_missing_shard_is_named() {
    let dir = scratch("shards-missing");
    let summary = r#"{"version":1,"command":["test"],"seeds":{"start":0,"end":8},
        "max_failures":null,"shard":{"k":0,"n":2},"block":{"start":0,"end":4},
        "swept":{"covered":{"start":0,"end":4},"failures":[]}}"#;
    std::fs::write(dir.join("a.json"), summary).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(&*dir)
        .args(["sweep", "merge", "a.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(254));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing shards: 1/2"), "{err}");
}
