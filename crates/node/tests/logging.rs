//! Node logs through `tracing` in simulation: each node's events land in its own
//! `node-logs/<id>.log`, stamped with its id and the virtual time at which the
//! node handled the message (the `time` of messages.jsonl), the same seed gives
//! the same logs byte for byte, and `--log-stderr` echoes every line to the
//! harness's log.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use maelstrom_node::sim::{self, TestConfig, Validity};
use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    Echo { echo: Value },
}

/// An echo node that logs every request it handles, and a debug line the
/// default filter (info) leaves out.
struct Chatty;

impl Node for Chatty {
    type Msg = Msg;
    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        tracing::info!(peers = ctx.node_ids().len(), "ready");
        Ok(Chatty)
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let msg_id = req.msg_id.unwrap_or_default();
        tracing::info!(msg_id, "echo from {}", req.src);
        tracing::debug!("not logged at the default level");
        let Msg::Echo { echo } = &req.body;
        ctx.reply(&req, &json!({"type": "echo_ok", "echo": echo}))
    }
}

fn config(seed: u64, store: &Path) -> TestConfig {
    let mut cfg = sim::config::<Chatty>("echo");
    cfg.seed = seed;
    cfg.nodes = TestConfig::node_ids(3);
    cfg.concurrency = 3;
    cfg.rate = 20.0;
    cfg.latency = Duration::from_millis(7);
    cfg.latency_dist = sim::LatencyDist::Exponential;
    cfg.time_limit = Duration::from_secs(3);
    cfg.store_root = Some(store.to_path_buf());
    cfg
}

/// Runs `cfg` and returns its store folder.
fn run(cfg: TestConfig) -> PathBuf {
    let outcome = sim::run(cfg).expect("the simulation ran");
    assert_eq!(outcome.valid, Validity::Valid, "{:#}", outcome.results);
    outcome.store_dir.expect("a store")
}

fn node_log(dir: &Path, id: &str) -> String {
    let path = dir.join("node-logs").join(format!("{id}.log"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One line of a node's log: nanoseconds on the test's clock, level, node id,
/// and the rest.
struct Line<'a> {
    time_ns: u64,
    level: &'a str,
    node: &'a str,
    text: &'a str,
}

fn parse(line: &str) -> Line<'_> {
    let bad = || panic!("not a node log line: {line:?}");
    let (time, rest) = line.split_once(' ').unwrap_or_else(bad);
    let (secs, nanos) = time.split_once('.').unwrap_or_else(bad);
    assert_eq!(nanos.len(), 9, "nanosecond precision: {line:?}");
    let time_ns = secs.parse::<u64>().unwrap() * 1_000_000_000 + nanos.parse::<u64>().unwrap();
    let (level, rest) = rest.trim_start().split_once(' ').unwrap_or_else(bad);
    let (node, text) = rest.split_once(": ").unwrap_or_else(bad);
    Line {
        time_ns,
        level,
        node,
        text,
    }
}

/// The time messages.jsonl gives the delivery of `src`'s message `msg_id` to `dest`.
fn delivery_time(journal: &str, src: &str, dest: &str, msg_id: u64) -> u64 {
    journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("journal line"))
        .find(|e| {
            let m = &e["message"];
            e["type"] == "recv"
                && m["src"] == src
                && m["dest"] == dest
                && m["body"]["msg_id"] == msg_id
        })
        .and_then(|e| e["time"].as_u64())
        .unwrap_or_else(|| panic!("no delivery of {src} msg_id {msg_id} to {dest}"))
}

/// `echo from c3 msg_id=5` -> ("c3", 5).
fn echo_from(text: &str) -> Option<(&str, u64)> {
    let rest = text.strip_prefix("echo from ")?;
    let (src, id) = rest.split_once(" msg_id=")?;
    Some((src, id.parse().ok()?))
}

#[test]
fn each_node_logs_to_its_own_file_at_the_time_it_handled_the_message() {
    let store = tempfile::tempdir().unwrap();
    let dir = run(config(5, store.path()));
    let journal = std::fs::read_to_string(dir.join("messages.jsonl")).unwrap();
    for id in TestConfig::node_ids(3) {
        let log = node_log(&dir, &id);
        let lines: Vec<Line> = log.lines().map(parse).collect();
        assert!(
            lines.iter().all(|l| l.node == id),
            "only {id}'s lines:\n{log}"
        );
        assert!(
            lines.iter().all(|l| l.level == "INFO"),
            "no debug lines:\n{log}"
        );
        assert_eq!(lines[0].text, "ready peers=3", "{log}");
        let echoes: Vec<_> = lines
            .iter()
            .filter_map(|l| echo_from(l.text).map(|e| (l.time_ns, e)))
            .collect();
        assert!(echoes.len() >= 5, "{id} handled requests:\n{log}");
        for (time_ns, (src, msg_id)) in echoes {
            // Virtual time does not move while a node handles what it was
            // delivered: the line carries the journal's time exactly.
            assert_eq!(
                time_ns,
                delivery_time(&journal, src, &id, msg_id),
                "{id}: {src} {msg_id}"
            );
        }
    }
}

#[test]
fn one_seed_gives_the_same_logs_byte_for_byte() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (da, db, dc) = (
        run(config(9, a.path())),
        run(config(9, b.path())),
        run(config(10, c.path())),
    );
    for id in TestConfig::node_ids(3) {
        assert_eq!(node_log(&da, &id), node_log(&db, &id), "{id}");
    }
    assert_ne!(
        node_log(&da, "n0"),
        node_log(&dc, "n0"),
        "another seed, other times"
    );
}

/// Collects what the harness logs while a test runs.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The test runs with `log_stderr` as asked; what the harness logged.
fn harness_log(log_stderr: bool, store: &Path) -> (PathBuf, String) {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .without_time()
        .finish();
    let mut cfg = config(3, store);
    cfg.log_stderr = log_stderr;
    let dir = tracing::subscriber::with_default(subscriber, || run(cfg));
    let out = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    (dir, out)
}

#[test]
fn log_stderr_echoes_every_node_log_line_to_the_harness_log() {
    let store = tempfile::tempdir().unwrap();
    let (dir, echoed) = harness_log(true, store.path());
    for id in TestConfig::node_ids(3) {
        let log = node_log(&dir, &id);
        let mine: Vec<&str> = echoed
            .lines()
            .filter_map(|l| {
                l.split_once(&format!("[{id} stderr] "))
                    .map(|(_, rest)| rest)
            })
            .collect();
        assert_eq!(
            mine,
            log.lines().collect::<Vec<_>>(),
            "{id}'s lines, in order"
        );
    }
    let (_, quiet) = harness_log(false, store.path());
    assert!(
        !quiet.contains("stderr]"),
        "nothing echoed without it:\n{quiet}"
    );
}
