//! Nodes that break the protocol. Each bad line is the node's fault: the test
//! goes on (the node's good replies still count), ends with exit 1 (invalid,
//! never 255) within its time limit plus 15 s, results.json's `protocol` section
//! counts the lines by node and kind, and the summary explains the first one.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::python_node;
use serde_json::Value;

const TIME_LIMIT_S: u64 = 3;

/// What one run left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    results: Value,
    store: std::path::PathBuf,
    /// The harness's peak resident memory (VmHWM), in KiB, if it was seen.
    peak_kib: Option<u64>,
}

/// Runs `maelstrom test -w echo` on `body` (a Python node built on the common
/// prelude) with 2 nodes, checking it ends within the time limit plus 15 s.
fn run_echo(dir: &Path, body: &str) -> Run {
    python_node(dir, "node.py", body);
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(dir)
        .args([
            "test",
            "-w",
            "echo",
            "--bin",
            "node.py",
            "--node-count",
            "2",
        ])
        .args(["--time-limit", &TIME_LIMIT_S.to_string(), "--rate", "10"])
        .args(["--seed", "11", "--init-timeout", "10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("maelstrom runs");
    // Sample the harness's high-water mark while it runs: VmHWM only grows, so
    // the last sample bounds everything before it.
    let status_path = format!("/proc/{}/status", child.id());
    let sampler = std::thread::spawn(move || {
        let mut peak = None;
        while let Ok(status) = std::fs::read_to_string(&status_path) {
            peak = vm_hwm_kib(&status).or(peak);
            std::thread::sleep(Duration::from_millis(50));
        }
        peak
    });
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut s);
        s
    });
    let mut stdout = String::new();
    let _ = std::io::Read::read_to_string(&mut out, &mut stdout);
    let status = child.wait().expect("maelstrom exits");
    let elapsed = started.elapsed();
    let stderr = err_reader.join().unwrap();
    let peak_kib = sampler.join().unwrap();
    assert!(
        elapsed < Duration::from_secs(TIME_LIMIT_S + 15),
        "took {elapsed:?}\n{stdout}\n{stderr}"
    );
    let store = dir.join("store/latest");
    let results = std::fs::read_to_string(store.join("results.json"))
        .map(|t| serde_json::from_str(&t).expect("results.json is JSON"))
        .unwrap_or(Value::Null);
    Run {
        code: status.code(),
        stdout,
        stderr,
        results,
        store,
        peak_kib,
    }
}

fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The checks every faulty run must pass: exit 1, a protocol section counting
/// `kind` for some node, the explanation naming `problem`, and the workload's
/// good replies still counted (the harness kept reading).
fn assert_violation(run: &Run, kind: &str, problem: &str) {
    let all = format!("{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.code, Some(1), "{all}");
    let protocol = &run.results["protocol"];
    assert_eq!(protocol["valid"], false, "{all}");
    let counted: u64 = protocol["nodes"]
        .as_object()
        .expect("nodes")
        .values()
        .filter_map(|kinds| kinds[kind].as_u64())
        .sum();
    assert!(counted > 0, "no {kind} counted: {protocol}");
    let first = protocol["first"].as_array().expect("first lines");
    assert!(
        first.iter().any(|ex| ex["kind"] == kind),
        "{kind} not among the first lines: {protocol}"
    );
    assert!(run.stdout.contains("Protocol violations:"), "{all}");
    assert!(run.stdout.contains(problem), "{all}");
    assert!(run.stdout.contains("doc/protocol.md"), "{all}");
    assert!(
        run.stdout
            .trim_end()
            .ends_with("Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻"),
        "{all}"
    );
    assert!(!all.contains("Maelstrom broke"), "{all}");
    // The node answered echoes around its bad lines, and they count.
    assert!(
        run.results["stats"]["ok-count"].as_u64().unwrap_or(0) > 0,
        "no ok operations: {all}"
    );
    assert_eq!(run.results["workload"]["valid"], true, "{all}");
}

/// An echo node that also prints `bad` (a Python expression giving bytes) to
/// stdout on every request, before answering it.
fn echo_printing(bad: &str) -> String {
    format!(
        r#"
def handle(msg):
    with lock:
        sys.stdout.buffer.write({bad} + b"\n")
        sys.stdout.flush()
    reply(msg, {{"type": "echo_ok", "echo": msg["body"]["echo"]}})
main(handle)
"#
    )
}

#[test]
fn a_line_that_is_not_json() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_echo(dir.path(), &echo_printing(r#"b"hello, this is not JSON""#));
    assert_violation(&run, "not-json", "because it is not well-formed JSON");
    assert!(run.stdout.contains("hello, this is not JSON"));
    assert!(run.stdout.contains("belong on STDERR"));
}

#[test]
fn a_line_that_is_not_an_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let bad = r#"json.dumps({"src": node_id, "dest": "n0", "body": {}, "extra": 1}).encode()"#;
    let run = run_echo(dir.path(), &echo_printing(bad));
    assert_violation(&run, "bad-envelope", "unknown top-level key \"extra\"");
}

#[test]
fn a_null_src_before_init_as_upstreams_pn_counter_sends() {
    let dir = tempfile::tempdir().unwrap();
    // Like upstream's ruby/pn_counter.rb: a gossip timer fires before init, when
    // the node does not know its id yet.
    let body = r#"
sys.stdout.write(json.dumps({"src": None, "dest": "n1", "body": {"type": "merge"}}) + "\n")
sys.stdout.flush()
def handle(msg):
    reply(msg, {"type": "echo_ok", "echo": msg["body"]["echo"]})
main(handle)
"#;
    let run = run_echo(dir.path(), body);
    assert_violation(&run, "wrong-src", "because its src is null, but node n");
    assert!(run.stdout.contains("must be its own id"), "{}", run.stdout);
    // Both nodes printed it once.
    let nodes = &run.results["protocol"]["nodes"];
    assert_eq!(nodes["n0"]["wrong-src"], 1, "{nodes}");
    assert_eq!(nodes["n1"]["wrong-src"], 1, "{nodes}");
}

#[test]
/// A node may relay a client's request to another node (upstream's demos
/// forward to a leader that way), but never speak as a client to anyone else.
fn a_spoofed_src_as_another_node_or_a_client_is_not_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let bad = r#"(json.dumps({"src": "n1" if node_id == "n0" else "n0", "dest": node_id, "body": {"type": "spoof"}}) + "\n" + json.dumps({"src": "c1", "dest": "lin-kv", "body": {"type": "read", "key": "spoof", "msg_id": 1}})).encode()"#;
    let run = run_echo(dir.path(), &echo_printing(bad));
    assert_violation(&run, "wrong-src", "may only send as");
    let lines: Vec<&str> = run.results["protocol"]["first"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|ex| ex["line"].as_str())
        .collect();
    assert!(
        lines.iter().any(|l| l.contains(r#""src": "c1""#)),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains(r#""src": "n1""#)),
        "{lines:?}"
    );
    // Nothing spoofed reached the network.
    let journal = std::fs::read_to_string(run.store.join("messages.jsonl")).unwrap();
    assert!(!journal.contains("spoof"), "a spoofed message was sent");
}

#[test]
fn a_send_to_an_unknown_dest() {
    let dir = tempfile::tempdir().unwrap();
    let bad = r#"json.dumps({"src": node_id, "dest": "n99", "body": {"type": "hello"}}).encode()"#;
    let run = run_echo(dir.path(), &echo_printing(bad));
    assert_violation(&run, "unknown-dest", "its dest \"n99\" is no node");
}

#[test]
fn a_line_that_is_not_utf8_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_echo(dir.path(), &echo_printing(r#"b"\xff\xfe{\"src\": 1}""#));
    assert_violation(&run, "not-utf8", "because it is not valid UTF-8");
}

#[test]
fn not_utf8_on_stderr_is_logged_and_the_node_never_sees_epipe() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("saw-epipe");
    // The node logs invalid UTF-8 first, then a line per request; any failed
    // stderr write leaves a marker file (and the node goes on).
    let body = format!(
        r#"
def log(data):
    try:
        sys.stderr.buffer.write(data)
        sys.stderr.flush()
    except OSError as e:
        open({marker:?}, "a").write(repr(e) + "\n")
log(b"bad bytes \xff\xfe\xc3 here\n")
count = [0]
def handle(msg):
    count[0] += 1
    log(("still logging %d\n" % count[0]).encode())
    reply(msg, {{"type": "echo_ok", "echo": msg["body"]["echo"]}})
main(handle)
"#,
        marker = marker.display().to_string()
    );
    let run = run_echo(dir.path(), &body);
    let all = format!("{}\n{}", run.stdout, run.stderr);
    // stderr is free-form: nothing there breaks the protocol.
    assert_eq!(run.code, Some(0), "{all}");
    assert_eq!(run.results["protocol"]["count"], 0, "{all}");
    assert!(!marker.exists(), "the node got an error writing to stderr");
    let logs: String = ["n0", "n1"]
        .iter()
        .map(|n| std::fs::read_to_string(run.store.join(format!("node-logs/{n}.log"))).unwrap())
        .collect();
    assert!(
        logs.contains("bad bytes \u{fffd}\u{fffd}\u{fffd} here"),
        "{logs}"
    );
    assert!(logs.contains("still logging 2"), "{logs}");
}

#[test]
fn a_100_mib_line_is_skipped_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // Written in 1 MiB pieces, so the node itself stays small too.
    let body = r#"
sent = [False]
def handle(msg):
    if not sent[0]:
        sent[0] = True
        with lock:
            piece = b"x" * (1 << 20)
            for _ in range(100):
                sys.stdout.buffer.write(piece)
            sys.stdout.buffer.write(b"\n")
            sys.stdout.flush()
    reply(msg, {"type": "echo_ok", "echo": msg["body"]["echo"]})
main(handle)
"#;
    let run = run_echo(dir.path(), body);
    assert_violation(&run, "line-too-long", "it is 104857600 bytes long");
    let peak = run.peak_kib.expect("the harness's VmHWM was sampled");
    assert!(
        peak < 300 * 1024,
        "the harness peaked at {peak} KiB reading a 100 MiB line"
    );
}

/// An in-process echo node that, on each echo, also sends as another node and
/// to an id that does not exist.
struct SpoofingNode;

impl maelstrom_harness::host::NodeFactory for SpoofingNode {
    fn start(&self, mut ch: maelstrom_harness::host::NodeChannels) -> tokio::task::JoinHandle<()> {
        use maelstrom_proto::{Body, Envelope};
        tokio::task::spawn_local(async move {
            while let Some(msg) = ch.inbox.recv().await {
                let mut body = if msg.body.kind == "init" {
                    Body::new("init_ok")
                } else {
                    let other = if ch.id == "n0" { "n1" } else { "n0" };
                    let spoof = Envelope::new(other, ch.id.clone(), Body::new("spoof"));
                    let lost = Envelope::new(ch.id.clone(), "n99", Body::new("hello"));
                    let _ = ch.outbox.send(spoof);
                    let _ = ch.outbox.send(lost);
                    Body::new("echo_ok").with("echo", msg.body.get("echo").cloned())
                };
                body.in_reply_to = msg.body.msg_id;
                if ch
                    .outbox
                    .send(Envelope::new(ch.id.clone(), msg.src, body))
                    .is_err()
                {
                    return;
                }
            }
        })
    }
}

#[test]
fn in_process_nodes_get_the_same_src_and_dest_checks() {
    use maelstrom_harness::{run_simulated, NodeProgram, TestConfig, Validity};
    let mut cfg = TestConfig::new(
        "echo",
        NodeProgram::InProcess(std::rc::Rc::new(SpoofingNode)),
    );
    cfg.nodes = TestConfig::node_ids(2);
    cfg.time_limit = Duration::from_secs(10);
    cfg.seed = 3;
    let out = run_simulated(cfg).expect("the test runs to its end");
    assert_eq!(out.valid, Validity::Invalid);
    let r = &out.results;
    assert_eq!(r["workload"]["valid"], true, "{r}");
    let ok = r["stats"]["ok-count"].as_u64().unwrap();
    assert!(ok > 0, "{r}");
    // Every echo brought one spoofed message and one to n99, from either node.
    let nodes = &r["protocol"]["nodes"];
    let sum = |kind: &str| -> u64 {
        ["n0", "n1"]
            .iter()
            .map(|n| nodes[n][kind].as_u64().unwrap_or(0))
            .sum()
    };
    assert_eq!(sum("wrong-src"), ok, "{nodes}");
    assert_eq!(sum("unknown-dest"), ok, "{nodes}");
}

#[test]
fn bodies_between_nodes_may_be_any_object_and_arrive_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    // A standalone node (the prelude insists on a `type`): on each echo it
    // sends its peer a body with no `type` and a string msg_id, which upstream
    // carries without reading; the peer logs what it got.
    let path = dir.path().join("node.py");
    std::fs::write(
        &path,
        r#"#!/usr/bin/env python3
import sys, json
me = None
def out(m):
    sys.stdout.write(json.dumps(m) + "\n")
    sys.stdout.flush()
for line in sys.stdin:
    msg = json.loads(line)
    b = msg["body"]
    if b.get("type") == "init":
        me = b["node_id"]
        out({"src": me, "dest": msg["src"], "body": {"type": "init_ok", "in_reply_to": b["msg_id"]}})
    elif b.get("type") == "echo":
        peer = "n1" if me == "n0" else "n0"
        out({"src": me, "dest": peer, "body": {"msg_id": "abc", "weird": [1, {"x": None}]}})
        out({"src": me, "dest": msg["src"], "body": {"type": "echo_ok", "echo": b["echo"], "in_reply_to": b["msg_id"]}})
    else:
        sys.stderr.write("got " + json.dumps(b, sort_keys=True) + "\n")
        sys.stderr.flush()
"#,
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(dir.path())
        .args([
            "test",
            "-w",
            "echo",
            "--bin",
            "node.py",
            "--node-count",
            "2",
        ])
        .args(["--time-limit", "2", "--rate", "10", "--seed", "5"])
        .output()
        .expect("maelstrom runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let logs: String = ["n0", "n1"]
        .iter()
        .map(|n| {
            let p = dir.path().join(format!("store/latest/node-logs/{n}.log"));
            std::fs::read_to_string(p).unwrap()
        })
        .collect();
    assert!(
        logs.contains(r#"got {"msg_id": "abc", "weird": [1, {"x": null}]}"#),
        "{logs}"
    );
    assert!(dir.path().join("store/latest/messages.html").exists());
}
