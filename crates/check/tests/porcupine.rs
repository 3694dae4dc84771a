//! Every Porcupine benchmark history gets the verdict listed in EXPECTED.md.

use maelstrom_check::linearizable::{check_partitions, LinOpts};
use maelstrom_check::porcupine::{parse_etcd, parse_kv};
use maelstrom_check::Validity;
use std::path::PathBuf;

/// The Porcupine data folder, or `None` (after saying the test is skipped)
/// when it is absent. With `MAELSTROM_REQUIRE_SHARED=1` (as CI sets) a
/// missing folder is a failure instead: a fresh clone has no `../shared`,
/// but CI must not pass by skipping.
fn data_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("MAELSTROM_PORCUPINE_DATA").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/porcupine")),
    ];
    if let Some(dir) = candidates
        .into_iter()
        .flatten()
        .find(|c| c.join("EXPECTED.md").is_file())
    {
        return Some(dir);
    }
    let why = "Porcupine data not found: set MAELSTROM_PORCUPINE_DATA or put shared/ beside the \
               repo (expected <repo>/../shared/data/porcupine/EXPECTED.md)";
    assert!(
        std::env::var("MAELSTROM_REQUIRE_SHARED").as_deref() != Ok("1"),
        "{why}; MAELSTROM_REQUIRE_SHARED=1 makes this a failure"
    );
    eprintln!("skipped: {why}");
    None
}

/// (file name, expected validity) rows of EXPECTED.md's tables.
fn expected(dir: &std::path::Path) -> Vec<(String, Validity)> {
    let text = std::fs::read_to_string(dir.join("EXPECTED.md")).expect("read EXPECTED.md");
    let mut rows = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 3 || !(cells[1].ends_with(".log") || cells[1].ends_with(".txt")) {
            continue;
        }
        let v = match cells[2] {
            "linearizable" => Validity::Valid,
            "NOT linearizable" => Validity::Invalid,
            // The empty etcd_095 is trivially linearizable.
            s if s.starts_with("untested") => Validity::Valid,
            other => panic!("unexpected verdict {other:?} for {}", cells[1]),
        };
        rows.push((cells[1].to_string(), v));
    }
    rows
}

#[test]
fn porcupine_verdicts_match() {
    let Some(dir) = data_dir() else { return };
    let rows = expected(&dir);
    assert_eq!(
        rows.len(),
        109,
        "EXPECTED.md should list 103 etcd and 6 kv files"
    );
    let opts = LinOpts {
        stop_on_first_invalid: true,
        ..LinOpts::default()
    };
    let mut wrong = Vec::new();
    for (name, want) in rows {
        let got = if name.ends_with(".log") {
            let text = std::fs::read_to_string(dir.join("jepsen").join(&name)).expect("read log");
            check_partitions(vec![parse_etcd(&text).expect("parse etcd")], &opts).valid
        } else {
            let text = std::fs::read_to_string(dir.join("kv").join(&name)).expect("read kv");
            check_partitions(parse_kv(&text).expect("parse kv"), &opts).valid
        };
        if got != want {
            wrong.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
}

#[test]
fn kv_per_key_verdicts() {
    let Some(dir) = data_dir() else { return };
    let text = std::fs::read_to_string(dir.join("kv/c10-bad.txt")).expect("read c10-bad");
    let r = check_partitions(parse_kv(&text).expect("parse"), &LinOpts::default());
    // EXPECTED.md: keys 4 and 8 are linearizable, the other 8 are not.
    let want: Vec<String> = ["0", "1", "2", "3", "5", "6", "7", "9"]
        .map(String::from)
        .to_vec();
    assert_eq!(r.failures, want);
    // EXPECTED.md: keys 1-8 of c50-bad are not linearizable. Porcupine could
    // not decide keys 0 and 9 and nothing else here can (their failing
    // prefixes hold some 80 ops, far beyond a brute-force check), so their
    // verdicts are not asserted.
    let text = std::fs::read_to_string(dir.join("kv/c50-bad.txt")).expect("read c50-bad");
    let r = check_partitions(parse_kv(&text).expect("parse"), &LinOpts::default());
    assert_eq!(r.key_count, 10);
    for key in ["1", "2", "3", "4", "5", "6", "7", "8"] {
        assert!(r.failures.iter().any(|k| k == key), "key {key}: {r:?}");
    }
}
