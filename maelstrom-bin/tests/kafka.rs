//! kafka end to end: a single-node in-memory log is valid; one whose polls
//! skip an offset is caught.

mod common;

use std::time::Duration;

use common::*;
use maelstrom_harness::{run_blocking, TestConfig, Validity};
use serde_json::Value;

/// One log per key, in memory. Offsets are list indices. Polls return every
/// message from the requested offset on, except those at offsets listed in
/// `SKIP` (empty for a correct log) unless it is the last: the final polls
/// still catch up, so the test does not wait out their time limit.
const LOG: &str = r#"
logs = {}
committed = {}
SKIP = set([SKIPPED])
FLAKY_COMMITS = FLAKINESS
commits = [0]
def next_flaky():
    commits[0] += 1
    return commits[0] % 3 == 0
def handle(msg):
    b = msg["body"]
    t = b["type"]
    if t == "send":
        log = logs.setdefault(b["key"], [])
        log.append(b["msg"])
        reply(msg, {"type": "send_ok", "offset": len(log) - 1})
    elif t == "poll":
        out = {}
        for k, start in b["offsets"].items():
            log = logs.get(k, [])
            pairs = [[i, log[i]] for i in range(start, len(log)) if i not in SKIP or i == len(log) - 1]
            if pairs:
                out[k] = pairs
        reply(msg, {"type": "poll_ok", "msgs": out})
    elif t == "commit_offsets" and FLAKY_COMMITS and next_flaky():
        reply(msg, {"type": "error", "code": 11, "text": "try again"})
    elif t == "commit_offsets":
        for k, o in b["offsets"].items():
            committed[k] = max(committed.get(k, 0), o)
        reply(msg, {"type": "commit_offsets_ok"})
    elif t == "list_committed_offsets":
        offsets = {k: committed[k] for k in b["keys"] if k in committed}
        reply(msg, {"type": "list_committed_offsets_ok", "offsets": offsets})
main(handle)
"#;

/// One node, two workers, 3 s at 50 ops/s; `skipped` offsets for `SKIP`,
/// `flaky`: every third commit fails with a definite error.
/// Returns the scratch folder too: the node and the store live there.
fn kafka_config(name: &str, skipped: &str, flaky: bool) -> (Scratch, TestConfig) {
    let dir = scratch(name);
    let node = LOG
        .replace("SKIPPED", skipped)
        .replace("FLAKINESS", if flaky { "True" } else { "False" });
    let bin = python_node(&dir, &format!("{name}.py"), &node);
    let mut cfg = short_config("kafka", bin, &dir);
    cfg.nodes = TestConfig::node_ids(1);
    cfg.concurrency = 2;
    cfg.rate = 50.0;
    cfg.time_limit = Duration::from_secs(3);
    (dir, cfg)
}

/// Runs the test; the scratch folder goes when it is done.
fn run((_dir, cfg): (Scratch, TestConfig)) -> (Validity, Value, String) {
    let store = cfg.store_root.clone().unwrap();
    let outcome = run_blocking(cfg).expect("the test ran");
    let history = std::fs::read_to_string(store.join("latest/history.jsonl")).unwrap();
    (outcome.valid, outcome.results, history)
}

#[test]
fn an_in_memory_log_is_valid() {
    let (valid, results, history) = run(kafka_config("kafka-ok", "", false));
    let pretty = serde_json::to_string_pretty(&results).unwrap();
    assert_eq!(valid, Validity::Valid, "{pretty}");
    assert_eq!(results["workload"]["error-types"], serde_json::json!([]));
    // Upstream's lag report: the worst poll, its process and key, in seconds.
    let worst = &results["workload"]["worst-realtime-lag"];
    assert!(worst["lag"].as_f64().unwrap() >= 0.0, "{pretty}");
    assert!(
        worst["key"].is_string() && worst["process"].is_i64(),
        "{pretty}"
    );
    assert!(
        results["workload"]["info-txn-causes"].is_array(),
        "{pretty}"
    );
    for f in ["send", "poll"] {
        assert!(
            results["stats"]["by-f"][f]["ok-count"].as_u64().unwrap() > 10,
            "{f}: {pretty}"
        );
    }
    // The final phase crashed each client, assigned from the beginning and
    // polled: some final poll saw messages.
    let finals: Vec<Value> = history
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|op: &Value| op["final"] == true)
        .collect();
    assert!(finals.iter().any(|op| op["f"] == "crash"));
    assert!(finals
        .iter()
        .any(|op| op["f"] == "assign" && op["type"] == "ok"));
    assert!(
        finals.iter().any(|op| op["f"] == "poll"
            && op["type"] == "ok"
            && op["value"][0][1].as_object().is_some_and(|m| !m.is_empty())),
        "no final poll saw anything"
    );
    // Shapes the checker expects.
    let send = history
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|op| op["f"] == "send" && op["type"] == "ok")
        .unwrap();
    assert_eq!(send["value"][0][0], "send");
    assert!(send["value"][0][1].is_string());
    assert!(send["value"][0][2][0].is_i64(), "{send}");
}

#[test]
fn polls_that_skip_an_offset_are_caught() {
    let (valid, results, _) = run(kafka_config("kafka-skip", "2", false));
    let pretty = serde_json::to_string_pretty(&results).unwrap();
    assert_eq!(valid, Validity::Invalid, "{pretty}");
    let bad = results["workload"]["bad-error-types"].as_array().unwrap();
    assert!(
        bad.iter()
            .any(|t| t == "int-poll-skip" || t == "poll-skip" || t == "lost-write"),
        "{pretty}"
    );
}

/// A poll whose commit fails definitely fails as a whole: the client does not
/// move past messages the history never shows, so later polls are no skips.
#[test]
fn failed_commits_are_not_skips() {
    let (valid, results, _) = run(kafka_config("kafka-flaky", "", true));
    let pretty = serde_json::to_string_pretty(&results).unwrap();
    assert_eq!(valid, Validity::Valid, "{pretty}");
    assert!(
        results["stats"]["by-f"]["poll"]["fail-count"]
            .as_u64()
            .unwrap()
            > 0,
        "{pretty}"
    );
}
