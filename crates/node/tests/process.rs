//! A library node run as a process. It draws from `MAELSTROM_SEED` (set by the
//! harness from `--seed` and the node id) and its boot count: the same seed
//! gives the same draws, another seed or another life of the node other ones,
//! and the same draws as the node gets in simulation. And an input line over
//! the length limit is skipped with one log line while the node keeps serving.
//!
//! This test binary is its own node: started with `DRAWS_NODE` set, `main` runs
//! the node instead of the tests (hence `harness = false`: libtest would write
//! to stdout, which is the node's protocol channel).
//!
//! Its `tracing` lines reach `node-logs/<id>.log` stamped with the node id and
//! the test's clock, which the harness passes in `MAELSTROM_TEST_START_NS`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::sim::{self, NodeProgram, TestConfig, Validity};
use maelstrom_node::{Context, Node, Request};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};

const NODE_ENV: &str = "DRAWS_NODE";

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    Echo { echo: Value },
}

/// Logs its first three draws once `init` arrives, then echoes, logging each.
struct Draws;

impl Node for Draws {
    type Msg = Msg;
    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        let draws: Vec<u64> = (0..3).map(|_| ctx.rng().random()).collect();
        ctx.log(format!("draws: {draws:?}"));
        Ok(Draws)
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        tracing::info!(
            msg_id = req.msg_id.unwrap_or_default(),
            "echo from {}",
            req.src
        );
        let Msg::Echo { echo } = &req.body;
        ctx.reply(&req, &json!({"type": "echo_ok", "echo": echo}))
    }
}

fn main() {
    if std::env::var_os(NODE_ENV).is_some() {
        if let Err(e) = maelstrom_node::run::<Draws>() {
            eprintln!("{e:#}");
            std::process::exit(1);
        }
        return;
    }
    // The harness below starts this binary as its nodes; they inherit this.
    std::env::set_var(NODE_ENV, "1");
    let tests: [(&str, fn()); 5] = [
        ("seeded_process_draws_replay", seeded_process_draws_replay),
        ("an_over_long_line_is_skipped", an_over_long_line_is_skipped),
        (
            "each_life_of_a_process_draws_anew",
            each_life_of_a_process_draws_anew,
        ),
        (
            "the_harness_seeds_processes_as_the_simulation",
            the_harness_seeds_processes_as_the_simulation,
        ),
        (
            "process_logs_carry_the_test_clock",
            process_logs_carry_the_test_clock,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for (name, test) in tests {
        if filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())) {
            test();
            println!("test {name} ... ok");
        }
    }
}

/// Starts the node by hand on `storage`, sends it `init`, closes its stdin and
/// returns the draws it logged.
fn draws_of_one_life(seed: Option<u64>, storage: &Path) -> String {
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.env("MAELSTROM_STORAGE_DIR", storage)
        .env_remove("MAELSTROM_SEED")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(seed) = seed {
        cmd.env("MAELSTROM_SEED", seed.to_string());
    }
    let mut child = cmd.spawn().expect("start the node");
    let init = json!({"src": "c0", "dest": "n1",
        "body": {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1"]}});
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{init}").expect("send init");
    drop(stdin);
    let out = child.wait_with_output().expect("the node ran");
    assert!(out.status.success(), "node failed: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("init_ok"),
        "{out:?}"
    );
    draws_line(&String::from_utf8_lossy(&out.stderr))
}

fn draws_line(log: &str) -> String {
    log.lines()
        .find_map(|l| l.find("draws: ").map(|i| l[i..].to_string()))
        .unwrap_or_else(|| panic!("no draws in the log:\n{log}"))
}

/// A line just over the limit between `init` and an echo: the echo is answered,
/// and stderr says once what was skipped.
fn an_over_long_line_is_skipped() {
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the node");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let init = json!({"src": "c0", "dest": "n1",
            "body": {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1"]}});
        let echo = json!({"src": "c0", "dest": "n1",
            "body": {"type": "echo", "msg_id": 2, "echo": "after"}});
        let mut long =
            br#"{"src": "c0", "dest": "n1", "body": {"type": "echo", "echo": ""#.to_vec();
        long.resize(maelstrom_node::host::MAX_LINE + 1, b'x');
        writeln!(stdin, "{init}")?;
        stdin.write_all(&long)?;
        writeln!(stdin, "\"}}}}")?;
        writeln!(stdin, "{echo}")
    });
    let out = child.wait_with_output().expect("the node ran");
    writer.join().expect("writer").expect("stdin written");
    assert!(out.status.success(), "node failed: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains("init_ok") && stdout.contains("\"echo\":\"after\""));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let skipped: Vec<&str> = stderr.lines().filter(|l| l.contains("16 MiB")).collect();
    assert_eq!(skipped.len(), 1, "{stderr}");
    assert!(
        skipped[0].len() < 400,
        "the log line is short: {}",
        skipped[0]
    );
}

fn seeded_process_draws_replay() {
    let dirs: Vec<_> = (0..4)
        .map(|_| tempfile::tempdir().expect("tempdir"))
        .collect();
    let first = draws_of_one_life(Some(7), dirs[0].path());
    assert_eq!(first, draws_of_one_life(Some(7), dirs[1].path()));
    assert_ne!(first, draws_of_one_life(Some(8), dirs[2].path()));
    // Without MAELSTROM_SEED the seed is random: runs differ.
    assert_ne!(
        draws_of_one_life(None, dirs[3].path()),
        draws_of_one_life(None, dirs[3].path())
    );
}

fn each_life_of_a_process_draws_anew() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let lives_a: Vec<String> = (0..3)
        .map(|_| draws_of_one_life(Some(7), a.path()))
        .collect();
    let lives_b: Vec<String> = (0..3)
        .map(|_| draws_of_one_life(Some(7), b.path()))
        .collect();
    assert_eq!(lives_a, lives_b, "the same seed replays every life");
    assert_ne!(lives_a[0], lives_a[1]);
    assert_ne!(lives_a[1], lives_a[2]);
    assert_ne!(lives_a[0], lives_a[2]);
}

/// `maelstrom test --seed N` as processes, twice with one seed and once with
/// another, and once in simulation: the first node logs the same draws for seed N
/// whether it runs as a process or in-process.
fn the_harness_seeds_processes_as_the_simulation() {
    let store = tempfile::tempdir().expect("tempdir");
    let run = |seed: u64, process: bool| -> String {
        let mut cfg = sim::config::<Draws>("echo");
        cfg.seed = seed;
        cfg.nodes = TestConfig::node_ids(2);
        cfg.concurrency = 1;
        cfg.rate = 10.0;
        cfg.time_limit = Duration::from_millis(300);
        cfg.recovery_wait = Duration::ZERO;
        cfg.store_root = Some(store.path().join(format!("{seed}-{process}")));
        let outcome = if process {
            cfg.program = NodeProgram::Process {
                bin: std::env::current_exe().expect("own path"),
                args: Vec::new(),
            };
            cfg.progress = false;
            maelstrom_harness::run_blocking(cfg).expect("the test ran")
        } else {
            sim::run(cfg).expect("the simulation ran")
        };
        assert_eq!(outcome.valid, Validity::Valid, "{:#}", outcome.results);
        let dir = outcome.store_dir.expect("a store");
        let log = |id: &str| {
            let path = dir.join("node-logs").join(format!("{id}.log"));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        let ids = TestConfig::node_ids(2);
        let (first, second) = (draws_line(&log(&ids[0])), draws_line(&log(&ids[1])));
        assert_ne!(first, second, "nodes of one test draw differently");
        first
    };
    let process = run(3, true);
    assert_eq!(process, run(3, true), "one seed, the same draws");
    assert_ne!(process, run(4, true), "another seed, other draws");
    assert_eq!(process, run(3, false), "a process draws as in simulation");
}

/// `maelstrom test` with the node as processes: each `echo from` line in
/// `node-logs/<id>.log` says `INFO <id>:` and carries the test's time, just
/// after the journal's delivery of that message (the node needs a moment to
/// read and handle it; both clocks start at the test's start).
fn process_logs_carry_the_test_clock() {
    let store = tempfile::tempdir().expect("tempdir");
    let mut cfg = sim::config::<Draws>("echo");
    cfg.seed = 1;
    cfg.nodes = TestConfig::node_ids(2);
    cfg.concurrency = 2;
    cfg.rate = 20.0;
    cfg.time_limit = Duration::from_secs(1);
    cfg.recovery_wait = Duration::ZERO;
    cfg.progress = false;
    cfg.store_root = Some(store.path().to_path_buf());
    cfg.program = NodeProgram::Process {
        bin: std::env::current_exe().expect("own path"),
        args: Vec::new(),
    };
    let outcome = maelstrom_harness::run_blocking(cfg).expect("the test ran");
    assert_eq!(outcome.valid, Validity::Valid, "{:#}", outcome.results);
    let dir = outcome.store_dir.expect("a store");
    let journal = std::fs::read_to_string(dir.join("messages.jsonl")).expect("journal");
    let delivered: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("journal line"))
        .filter(|e| e["type"] == "recv")
        .collect();
    let mut matched = 0;
    for id in TestConfig::node_ids(2) {
        let path = dir.join("node-logs").join(format!("{id}.log"));
        let log = std::fs::read_to_string(&path).expect("node log");
        for line in log.lines().filter(|l| l.contains("echo from")) {
            let (time, rest) = line.split_once(' ').expect("a time");
            let (secs, nanos) = time.split_once('.').expect("seconds.nanos");
            let time_ns: u64 =
                secs.parse::<u64>().unwrap() * 1_000_000_000 + nanos.parse::<u64>().unwrap();
            assert!(
                rest.trim_start()
                    .starts_with(&format!("INFO {id}: echo from ")),
                "{line}"
            );
            let (src, msg_id) = rest
                .split_once("echo from ")
                .and_then(|(_, r)| r.split_once(" msg_id="))
                .expect("src and msg_id");
            let msg_id: u64 = msg_id.parse().expect("msg_id");
            let recv = delivered
                .iter()
                .find(|e| {
                    let m = &e["message"];
                    m["src"] == src && m["dest"] == id.as_str() && m["body"]["msg_id"] == msg_id
                })
                .and_then(|e| e["time"].as_u64())
                .unwrap_or_else(|| panic!("no delivery for {line}"));
            // The clocks are the harness's monotonic one and the node's wall
            // clock from the same start: a millisecond covers their drift.
            assert!(
                time_ns + 1_000_000 >= recv,
                "logged before delivery: {line} vs {recv}"
            );
            assert!(
                time_ns - recv.min(time_ns) < 2_000_000_000,
                "{line} vs {recv}"
            );
            matched += 1;
        }
    }
    assert!(matched >= 5, "the nodes logged their echoes");
}
