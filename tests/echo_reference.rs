//! End to end: JSON lines piped into the built `echo-reference` binary.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

fn run_node(bin: &str, package: &str, input: &[Value], raw_lines: &[&str]) -> (Vec<Value>, String) {
    let path = maelstrom_workbench::built_binary(package, bin, false).unwrap();
    let mut child = Command::new(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for msg in input {
        writeln!(stdin, "{msg}").unwrap();
    }
    for line in raw_lines {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "node exited with {}", out.status);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let replies = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect();
    (replies, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn init(node: &str) -> Value {
    json!({"id":0,"src":"c0","dest":node,"body":{"type":"init","msg_id":1,"node_id":node,"node_ids":[node]}})
}

#[test]
fn echo_reference_answers_every_request() {
    let mut input = vec![init("n1")];
    for i in 0..50 {
        input.push(json!({"id":i+1,"src":format!("c{}", i % 3),"dest":"n1",
            "body":{"type":"echo","msg_id":i + 1,"echo":format!("Please echo {i}")}}));
    }
    let (replies, _) = run_node("echo-reference", "echo-reference", &input, &[]);
    assert_eq!(replies.len(), 51);
    assert_eq!(
        replies[0],
        json!({"src":"n1","dest":"c0","body":{"type":"init_ok","msg_id":1,"in_reply_to":1}})
    );
    let mut seen = std::collections::BTreeSet::new();
    for reply in &replies[1..] {
        let body = &reply["body"];
        assert_eq!(body["type"], "echo_ok");
        assert_eq!(reply["src"], "n1");
        let i = body["in_reply_to"].as_u64().unwrap() - 1;
        assert_eq!(reply["dest"], format!("c{}", i % 3));
        assert_eq!(body["echo"], format!("Please echo {i}"));
        assert!(seen.insert(i), "two replies to request {i}");
        // Only the protocol's keys, so upstream's closed schema accepts it.
        let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["echo", "in_reply_to", "msg_id", "type"]);
    }
}

#[test]
fn echo_reference_survives_garbage_and_says_why() {
    let input = [init("n2")];
    let garbage = [
        "this is not json",
        r#"{"src":"c1","dest":"n2"}"#,
        r#"{"src":"c1","dest":"n2","body":{"type":"echo","msg_id":1}}"#,
        r#"{"src":"c1","dest":"n2","body":{"type":"what","msg_id":2}}"#,
        r#"{"src":"c1","dest":"n2","body":{"type":"echo","msg_id":3,"echo":"ok"}}"#,
    ];
    let (replies, stderr) = run_node("echo-reference", "echo-reference", &input, &garbage);
    assert!(stderr.contains("this is not json"), "stderr: {stderr}");
    assert!(
        stderr.contains(r#"{"src":"c1","dest":"n2"}"#),
        "stderr: {stderr}"
    );
    let by_request = |id: u64| {
        replies
            .iter()
            .find(|r| r["body"]["in_reply_to"] == id && r["dest"] == "c1")
            .unwrap_or_else(|| panic!("no reply to {id}: {replies:?}"))
    };
    assert_eq!(by_request(1)["body"]["code"], 12);
    assert_eq!(by_request(2)["body"]["code"], 10);
    assert_eq!(by_request(3)["body"]["echo"], "ok");
}

#[test]
fn unique_ids_reference_never_repeats() {
    let mut input = vec![init("n1")];
    for i in 0..100 {
        input.push(json!({"src":"c1","dest":"n1","body":{"type":"generate","msg_id":i + 2}}));
    }
    let (replies, _) = run_node("unique-ids-reference", "unique-ids-reference", &input, &[]);
    let ids: std::collections::BTreeSet<String> = replies[1..]
        .iter()
        .map(|r| {
            assert_eq!(r["body"]["type"], "generate_ok");
            r["body"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 100);
}

// The starters are the learner's to change: maelstrom-bin/tests/starters.rs
// checks them as committed (error 10 at level one), never the working copy.
