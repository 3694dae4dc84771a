//! The `maelstrom` binary: exit codes, messages and failure handling.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// Runs `maelstrom test` in `dir` with short internal waits.
fn maelstrom(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("maelstrom runs")
}

fn test_args<'a>(workload: &'a str, bin: &'a str) -> Vec<&'a str> {
    vec![
        "test",
        "-w",
        workload,
        "--bin",
        bin,
        "--node-count",
        "3",
        "--time-limit",
        "3",
        "--rate",
        "10",
        "--seed",
        "7",
        "--recovery-wait",
        "1",
        // Generous: Python starts slowly on a loaded machine; the test of a node
        // that never answers init shortens it.
        "--init-timeout",
        "10",
    ]
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn node(dir: &Path, name: &str, body: &str) -> PathBuf {
    python_node(dir, name, body)
}

#[test]
fn correct_echo_exits_zero_with_the_happy_line() {
    let dir = scratch("cli-echo");
    node(&dir, "echo.py", ECHO);
    let out = maelstrom(&dir, &test_args("echo", "echo.py"));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Everything looks good! ヽ(‘ー`)ノ"),
        "{stdout}"
    );
    assert!(stderr.contains("seed 7"), "{stderr}");
    assert!(dir.join("store/echo/latest/results.json").exists());
}

#[test]
fn wrong_echo_is_invalid() {
    let dir = scratch("cli-wrong-echo");
    node(
        &dir,
        "echo.py",
        r#"
def handle(msg):
    reply(msg, {"type": "echo_ok", "echo": "something else"})
main(handle)
"#,
    );
    let out = maelstrom(&dir, &test_args("echo", "echo.py"));
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("Expected a message with :echo"), "{stdout}");
    assert!(
        stdout.contains("Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻"),
        "{stdout}"
    );
}

#[test]
fn malformed_replies_are_exceptions_naming_the_bad_keys() {
    let dir = scratch("cli-malformed");
    node(
        &dir,
        "echo.py",
        r#"
def handle(msg):
    reply(msg, {"type": "echo", "echo": msg["body"]["echo"], "extra": 1})
main(handle)
"#,
    );
    let out = maelstrom(&dir, &test_args("echo", "echo.py"));
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("store/latest/results.json")).unwrap(),
    )
    .unwrap();
    let exc = &results["exceptions"]["exceptions"][0];
    assert_eq!(exc["class"], "malformed-rpc-response", "{results}");
    let message = exc["example"]["message"].as_str().unwrap();
    assert!(message.starts_with("Malformed RPC response"), "{message}");
    assert!(message.contains("extra: disallowed key"), "{message}");
    assert!(message.contains("type: expected \"echo_ok\""), "{message}");
}

#[test]
fn lossy_broadcast_is_invalid() {
    let dir = scratch("cli-lossy");
    // Acknowledges every broadcast but keeps only even messages, and never gossips.
    node(
        &dir,
        "bcast.py",
        r#"
seen = set()
def handle(msg):
    b = msg["body"]
    if b["type"] == "topology":
        reply(msg, {"type": "topology_ok"})
    elif b["type"] == "broadcast":
        if b["message"] % 2 == 0:
            seen.add(b["message"])
        reply(msg, {"type": "broadcast_ok"})
    elif b["type"] == "read":
        reply(msg, {"type": "read_ok", "messages": sorted(seen)})
main(handle)
"#,
    );
    let out = maelstrom(&dir, &test_args("broadcast", "bcast.py"));
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("store/latest/results.json")).unwrap(),
    )
    .unwrap();
    assert!(
        results["workload"]["lost-count"].as_u64().unwrap() > 0,
        "{results}"
    );
}

#[test]
fn diverging_counters_are_invalid() {
    let dir = scratch("cli-counter");
    node(
        &dir,
        "counter.py",
        r#"
total = [0]
def handle(msg):
    b = msg["body"]
    if b["type"] == "add":
        total[0] += b["delta"]
        reply(msg, {"type": "add_ok"})
    else:
        reply(msg, {"type": "read_ok", "value": total[0]})
main(handle)
"#,
    );
    let out = maelstrom(&dir, &test_args("pn-counter", "counter.py"));
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("\"acceptable\""), "{stdout}");
}

#[test]
fn duplicate_ids_are_invalid() {
    let dir = scratch("cli-dup");
    node(
        &dir,
        "uid.py",
        r#"
counter = [0]
def handle(msg):
    counter[0] += 1
    reply(msg, {"type": "generate_ok", "id": counter[0]})
main(handle)
"#,
    );
    let out = maelstrom(&dir, &test_args("unique-ids", "uid.py"));
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("\"duplicated-count\""), "{stdout}");
}

#[test]
fn a_node_that_exits_crashes_the_test_naming_it() {
    let dir = scratch("cli-exit");
    node(
        &dir,
        "echo.py",
        r#"
count = [0]
def handle(msg):
    count[0] += 1
    if node_id == "n1" and count[0] == 2:
        sys.stderr.write("giving up now\n")
        sys.stderr.flush()
        sys.exit(3)
    reply(msg, {"type": "echo_ok", "echo": msg["body"]["echo"]})
main(handle)
"#,
    );
    let out = maelstrom(&dir, &test_args("echo", "echo.py"));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(
        stderr.contains("Node n1 crashed with exit status 3"),
        "{stderr}"
    );
    assert!(stderr.contains("giving up now"), "{stderr}");
    assert!(stderr.contains("node-logs/n1.log"), "{stderr}");
}

// Nodes that break the protocol (garbage lines, unknown dest, ...): faulty_nodes.rs.

#[test]
fn no_init_reply_crashes_naming_the_node() {
    let dir = scratch("cli-no-init");
    let path = dir.join("silent.py");
    std::fs::write(
        &path,
        "#!/usr/bin/env python3\nimport sys\nfor line in sys.stdin:\n    pass\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut args = test_args("echo", "silent.py");
    let at = args.iter().position(|a| *a == "--init-timeout").unwrap();
    args[at + 1] = "2";
    let out = maelstrom(&dir, &args);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(255), "{stderr}");
    assert!(
        stderr.contains("Expected node n0 to respond to an init message"),
        "{stderr}"
    );
}

#[test]
fn node_arguments_follow_the_double_dash() {
    let dir = scratch("cli-args");
    node(
        &dir,
        "echo.py",
        r#"
if sys.argv[1:] != ["--flavour", "plain"]:
    sys.stderr.write("bad args %r\n" % sys.argv)
    sys.exit(2)
def handle(msg):
    reply(msg, {"type": "echo_ok", "echo": msg["body"]["echo"]})
main(handle)
"#,
    );
    let mut args = test_args("echo", "echo.py");
    args.extend(["--", "--flavour", "plain"]);
    let out = maelstrom(&dir, &args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
}

#[test]
fn bad_arguments_exit_254_with_a_clear_message() {
    let dir = scratch("cli-args-bad");
    node(&dir, "echo.py", ECHO);
    let cases: [(&[&str], &str); 7] = [
        (
            &[
                "test",
                "-w",
                "lin-kv",
                "--bin",
                "echo.py",
                "--node-count",
                "3",
                "--concurrency",
                "1n",
            ],
            "--concurrency 2n",
        ),
        (
            &["test", "-w", "echo"],
            "Expected a --bin PATH_TO_BINARY to test",
        ),
        (
            &[
                "test",
                "-w",
                "echo",
                "--bin",
                "echo.py",
                "\u{2013}-nemesis",
                "partition",
            ],
            "`--nemesis`",
        ),
        (
            &[
                "test",
                "-w",
                "echo",
                "--bin",
                "echo.py",
                "\u{2014}nemesis",
                "partition",
            ],
            "EM DASH",
        ),
        (
            &["test", "-w", "nope", "--bin", "echo.py"],
            "unknown workload",
        ),
        (
            &[
                "test",
                "-w",
                "echo",
                "--bin",
                "echo.py",
                "--latency-dist",
                "gaussian",
            ],
            "latency distribution",
        ),
        (
            &[
                "test",
                "-w",
                "echo",
                "--bin",
                "echo.py",
                "--nemesis",
                "partition,crash",
            ],
            "unknown --nemesis fault \"crash\": the faults are partition, kill and pause",
        ),
    ];
    for (args, expected) in cases {
        let out = maelstrom(&dir, args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(254), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let out = maelstrom(&dir, &["nonsense"]);
    assert_eq!(out.status.code(), Some(254));
}

#[test]
fn help_exits_zero() {
    let dir = scratch("cli-help");
    for args in [&["--help"][..], &["test", "--help"][..]] {
        let out = maelstrom(&dir, args);
        let (stdout, _) = text(&out);
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout.contains("Usage"), "{stdout}");
    }
    let out = maelstrom(&dir, &["test", "--help"]);
    let (stdout, _) = text(&out);
    for flag in [
        "--node-count",
        "--time-limit",
        "--nemesis-interval",
        "--topology",
        "--availability",
        "--seed",
    ] {
        assert!(stdout.contains(flag), "{flag} missing from {stdout}");
    }
}

#[test]
fn the_echo_reference_passes() {
    let bin = workspace_binary("echo-reference", "echo-reference");
    let dir = scratch("cli-echo-ref");
    let bin = bin.display().to_string();
    let out = maelstrom(&dir, &test_args("echo", &bin));
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
}

#[test]
fn net_logging_shows_sends_and_deliveries() {
    let bin = workspace_binary("echo-reference", "echo-reference");
    let dir = scratch("cli-net-log");
    let bin = bin.display().to_string();
    // As processes and in simulation, where the deliveries are logged from
    // inside the nodes' own tasks.
    for sim in [false, true] {
        let mut args = test_args("echo", &bin);
        args.extend(["--log-net-send", "--log-net-recv"]);
        if sim {
            args.push("--sim");
        }
        let out = maelstrom(&dir, &args);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains(r#"INFO [net] :send {"id":0,"src":"c0""#),
            "{stderr}"
        );
        assert!(
            stderr.contains(r#"INFO [net] :recv {"id":0,"src":"c0""#),
            "{stderr}"
        );
        assert!(stderr.contains(r#""type":"echo_ok""#), "{stderr}");
        // A node's own sends and deliveries, logged from inside its tasks.
        for what in [":send", ":recv"] {
            assert!(
                stderr
                    .lines()
                    .any(|l| l.contains(what) && l.contains(r#""src":"n0","dest":"c"#)),
                "{what}: {stderr}"
            );
        }
    }
}

/// An echo node that writes a line to stderr for every request.
const CHATTY_ECHO: &str = r#"
def handle(msg):
    sys.stderr.write("echo %s from %s\n" % (msg["body"]["msg_id"], msg["src"]))
    sys.stderr.flush()
    reply(msg, {"type": "echo_ok", "echo": msg["body"]["echo"]})
main(handle)
"#;

/// `--log-stderr` echoes each line of every node's log (its stderr) to the
/// harness's stderr as `INFO [<node> stderr] <line>`, as upstream logs them;
/// without it none is shown. Either way the lines are in node-logs/.
#[test]
fn log_stderr_echoes_every_node_log_line() {
    let dir = scratch("cli-log-stderr");
    node(&dir, "chatty.py", CHATTY_ECHO);
    let mut args = test_args("echo", "chatty.py");
    args.push("--log-stderr");
    let out = maelstrom(&dir, &args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let mut echoed = 0;
    for n in ["n0", "n1", "n2"] {
        let log = std::fs::read_to_string(dir.join(format!("store/latest/node-logs/{n}.log")))
            .expect("node log");
        for line in log.lines() {
            let shown = format!("INFO [{n} stderr] {line}");
            assert!(stderr.contains(&shown), "{shown} missing from\n{stderr}");
            echoed += 1;
        }
    }
    assert!(echoed >= 10, "the nodes logged their echoes:\n{stderr}");

    let quiet = maelstrom(&dir, &test_args("echo", "chatty.py"));
    let (_, stderr) = text(&quiet);
    assert_eq!(quiet.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("stderr]"),
        "nothing echoed without it:\n{stderr}"
    );
}
