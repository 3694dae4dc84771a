//! `maelstrom check` on histories from elsewhere (Porcupine's logs, Knossos
//! and Jepsen EDN) and from `maelstrom test --sim`; `maelstrom analyze` on a
//! stored test.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use maelstrom::cli::check::{check_file, CheckArgs};
use maelstrom_check::porcupine::corpus;
use maelstrom_harness::Validity;
use serde_json::Value;

fn maelstrom(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("maelstrom runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn args(file: &Path) -> CheckArgs {
    CheckArgs {
        file: file.to_path_buf(),
        model: None,
        initial_value: None,
        format: "auto".into(),
        consistency_models: "strict-serializable".into(),
        check_time_limit: 60.0,
        check_memory: 1024,
    }
}

#[test]
fn every_porcupine_log_gets_its_expected_verdict() {
    let Some(dir) = corpus::dir_or_skip() else {
        return;
    };
    let rows = corpus::expected(&dir).expect("read EXPECTED.md");
    let mut wrong = Vec::new();
    for row in &rows {
        let checked = check_file(&args(&row.path)).unwrap_or_else(|e| panic!("{}: {e}", row.name));
        if checked.valid != row.valid {
            wrong.push(format!(
                "{}: expected {:?}, got {:?}",
                row.name, row.valid, checked.valid
            ));
        }
    }
    assert_eq!(rows.len(), 109, "EXPECTED.md lists 103 etcd and 6 kv logs");
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    // And through the binary: exit codes 1 and 0.
    let tmp = scratch("check-porcupine");
    let bad = maelstrom(
        &tmp,
        &[
            "check",
            &dir.join("jepsen/etcd_000.log").display().to_string(),
        ],
    );
    assert_eq!(bad.status.code(), Some(1), "{:?}", text(&bad));
    let good = maelstrom(
        &tmp,
        &["check", &dir.join("kv/c10-ok.txt").display().to_string()],
    );
    assert_eq!(good.status.code(), Some(0), "{:?}", text(&good));
}

/// A cas-register history as Knossos's test data writes it: one vector.
const KNOSSOS_VALID: &str = "[{:process 0, :type :invoke, :f :write, :value 1}
 {:process 0, :type :ok, :f :write, :value 1}
 {:process 1, :type :invoke, :f :cas, :value [1 2]}
 {:process 2, :type :invoke, :f :read, :value nil}
 {:process 1, :type :ok, :f :cas, :value [1 2]}
 {:process 2, :type :ok, :f :read, :value 1}
 {:process :nemesis, :type :info, :f :start, :value nil}
 {:process 0, :type :invoke, :f :read, :value nil}
 {:process 0, :type :ok, :f :read, :value 2}
 {:process 3, :type :invoke, :f :write, :value 3}
 {:process 3, :type :info, :f :write, :value 3}]
";

/// The cas succeeded before the read on line 5 began, so reading 1 there is
/// impossible.
const KNOSSOS_INVALID: &str = "[{:process 0, :type :invoke, :f :write, :value 1}
 {:process 0, :type :ok, :f :write, :value 1}
 {:process 1, :type :invoke, :f :cas, :value [1 2]}
 {:process 1, :type :ok, :f :cas, :value [1 2]}
 {:process 2, :type :invoke, :f :read, :value nil}
 {:process 2, :type :ok, :f :read, :value 1}]
";

#[test]
fn knossos_histories_exit_zero_and_one_naming_the_line() {
    let dir = scratch("check-knossos");
    std::fs::write(dir.join("good.edn"), KNOSSOS_VALID).unwrap();
    std::fs::write(dir.join("bad.edn"), KNOSSOS_INVALID).unwrap();
    let good = maelstrom(&dir, &["check", "good.edn", "--model", "cas-register"]);
    let (stdout, stderr) = text(&good);
    assert_eq!(good.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Everything looks good!"), "{stdout}");
    assert!(stdout.contains("(edn, 11 operations)"), "{stdout}");

    let bad = maelstrom(&dir, &["check", "bad.edn", "--model", "cas-register"]);
    let (stdout, stderr) = text(&bad);
    assert_eq!(bad.status.code(), Some(1), "{stdout}\n{stderr}");
    // The read that began on line 5 cannot be linearized.
    assert!(
        stdout.contains("Op 5 ([\"read\",1]) must take effect before it returned"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "The operation that made the run invalid: read (process 2) returned 1 (no order \
             of the operations allows it)"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Analysis invalid!"), "{stdout}");
}

#[test]
fn jepsen_per_key_lines_with_an_initial_value() {
    // Jepsen's independent checker: `[key value]` tuples, one op a line.
    let history = "{:type :invoke, :f :read, :value [7 nil], :process 0, :time 10, :index 0}
{:type :ok, :f :read, :value [7 0], :process 0, :time 20, :index 1}
{:type :invoke, :f :write, :value [8 4], :process 1, :time 30, :index 2}
{:type :ok, :f :write, :value [8 4], :process 1, :time 40, :index 3}
";
    let dir = scratch("check-jepsen");
    std::fs::write(dir.join("history.edn"), history).unwrap();
    // Key 7 reads 0 but nothing wrote it: only an initial 0 explains that.
    let out = maelstrom(&dir, &["check", "history.edn"]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("1 of 2 keys are not linearizable: 7"),
        "{stdout}"
    );
    let out = maelstrom(&dir, &["check", "history.edn", "--initial-value", "0"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    // A model that does not fit is bad input.
    let out = maelstrom(
        &dir,
        &[
            "check",
            "history.edn",
            "--model",
            "set",
            "--initial-value",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(254), "{:?}", text(&out));
}

#[test]
fn malformed_input_names_the_line() {
    let dir = scratch("check-malformed");
    std::fs::write(
        dir.join("bad.edn"),
        "{:process 0, :type :invoke, :f :read, :value nil}\n\
         {:process 0, :type :ok, :f :read, :value 1}\n\
         {:process 0, :type :invoke, :f :read, :value \"oops}\n",
    )
    .unwrap();
    let out = maelstrom(&dir, &["check", "bad.edn", "--model", "register"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(254), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("bad.edn: line 3, column 46: this string is never closed"),
        "{stderr}"
    );
    std::fs::write(
        dir.join("bad.jsonl"),
        "{\"type\":\"invoke\",\"f\":\"read\",\"process\":0}\n{\"type\":\"ok\",\"f\":\"read\"}\n",
    )
    .unwrap();
    let out = maelstrom(&dir, &["check", "bad.jsonl", "--model", "register"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(254), "{stderr}");
    assert!(stderr.contains("bad.jsonl: history line 2:"), "{stderr}");
    assert!(stderr.contains("missing field `process`"), "{stderr}");
}

/// Runs a short simulated broadcast test storing into `dir/store`, and
/// returns the test's folder and exit code.
fn simulated_broadcast(dir: &Path) -> (PathBuf, i32) {
    let bin = workspace_binary("broadcast-reference", "broadcast-reference");
    let bin = bin.display().to_string();
    let out = maelstrom(
        dir,
        &[
            "test",
            "-w",
            "broadcast",
            "--bin",
            &bin,
            "--sim",
            "--node-count",
            "3",
            "--time-limit",
            "5",
            "--rate",
            "20",
            "--seed",
            "3",
            "--store",
            "store",
        ],
    );
    let code = out.status.code().unwrap_or(-1);
    let folder = std::fs::canonicalize(dir.join("store/broadcast/latest"))
        .unwrap_or_else(|e| panic!("no stored test ({e}): {:?}", text(&out)));
    (folder, code)
}

fn results(folder: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(folder.join("results.json")).unwrap()).unwrap()
}

#[test]
fn a_simulated_tests_history_rechecks_and_reanalyzes_to_its_verdict() {
    let dir = scratch("check-sim");
    let (folder, code) = simulated_broadcast(&dir);
    assert_eq!(code, 0, "the reference passes");
    let before = results(&folder);

    // `check` on its history.jsonl: the same verdict and the same counts.
    let checked = check_file(&args(&folder.join("history.jsonl"))).unwrap();
    assert_eq!(checked.valid, Validity::Valid);
    for k in ["attempt-count", "stable-count", "lost-count", "stale-count"] {
        assert_eq!(checked.results["workload"][k], before["workload"][k], "{k}");
    }
    let out = maelstrom(
        &dir,
        &["check", &folder.join("history.jsonl").display().to_string()],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));

    // `analyze` as it is: the same results, rewritten.
    std::fs::remove_file(folder.join("results.edn")).unwrap();
    let out = maelstrom(&dir, &["analyze", &folder.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(results(&folder), before);
    assert!(folder.join("results.edn").is_file());
    // Upstream's form: the newest test of ./store.
    let out = maelstrom(&dir, &["analyze", "-t", "-1"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(results(&folder), before);

    // Drop one acknowledged value from every final read: now it is lost.
    let history = std::fs::read_to_string(folder.join("history.jsonl")).unwrap();
    let mut ops: Vec<Value> = history
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let victim = ops
        .iter()
        .find(|o| o["f"] == "broadcast" && o["type"] == "ok")
        .map(|o| o["value"].clone())
        .expect("an acknowledged broadcast");
    for o in ops.iter_mut() {
        if o["final"] == true && o["type"] == "ok" {
            o["value"]
                .as_array_mut()
                .expect("a read's values")
                .retain(|v| *v != victim);
        }
    }
    let altered: String = ops.iter().map(|o| format!("{o}\n")).collect();
    std::fs::write(folder.join("history.jsonl"), altered).unwrap();
    let out = maelstrom(&dir, &["analyze", &folder.display().to_string()]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let after = results(&folder);
    assert_eq!(after["valid"], false);
    assert_eq!(after["workload"]["lost"], serde_json::json!([victim]));
    assert!(stdout.contains("1 lost"), "{stdout}");
    let edn = std::fs::read_to_string(folder.join("results.edn")).unwrap();
    assert!(edn.ends_with(":valid? false}\n"), "{edn}");

    // A folder that is no stored test is bad input.
    let out = maelstrom(&dir, &["analyze", &dir.display().to_string()]);
    assert_eq!(out.status.code(), Some(254), "{:?}", text(&out));
}
