//! The boundary between the `maelstrom` CLI and a library node binary: the
//! binary answers the probe with its handoff version, runs only the test it is
//! handed, and refuses a request of another version with a clear message.

mod common;

use std::process::{Command, Stdio};

use common::{scratch, workspace_binary};
use maelstrom_harness::handoff::{
    probe_reply, Job, SimRequest, HANDOFF_VERSION, PROBE_ENV, REQUEST_ENV,
};
use maelstrom_harness::{NodeProgram, TestConfig};

fn echo_reference() -> std::path::PathBuf {
    workspace_binary("echo-reference", "echo-reference")
}

#[test]
fn the_probe_is_answered_with_the_handoff_version() {
    let out = Command::new(echo_reference())
        .env(PROBE_ENV, "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim_end(), probe_reply(), "{text}");
    assert!(probe_reply().ends_with(&format!("v{HANDOFF_VERSION}")));
}

#[test]
fn a_request_of_another_version_is_refused_in_words() {
    let dir = scratch("handoff-version");
    let reply_to = dir.join("reply.json");
    let request = SimRequest {
        version: HANDOFF_VERSION + 1,
        test: TestConfig::new("echo", NodeProgram::default()),
        job: Job::One,
        reply_to: reply_to.clone(),
    };
    let out = Command::new(echo_reference())
        .env(REQUEST_ENV, serde_json::to_string(&request).unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(254), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rebuild both"), "{err}");
    assert!(!reply_to.exists(), "no test ran");
}

#[test]
fn a_request_that_is_not_a_test_is_refused() {
    // Not a test configuration (say, a command line for `grade`): nothing runs.
    let out = Command::new(echo_reference())
        .env(REQUEST_ENV, r#"["maelstrom", "grade", "echo"]"#)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(254), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not hold a test"), "{err}");
}

#[test]
fn a_library_binary_announces_its_handoff_before_it_runs_the_test() {
    let dir = scratch("handoff-announce");
    let reply_to = dir.join("reply.json");
    let mut test = TestConfig::new("echo", NodeProgram::default());
    test.time_limit = std::time::Duration::from_secs(1);
    test.store_root = None;
    let request = SimRequest {
        version: HANDOFF_VERSION,
        test,
        job: Job::One,
        reply_to: reply_to.clone(),
    };
    let out = Command::new(echo_reference())
        .env(REQUEST_ENV, serde_json::to_string(&request).unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().next(),
        Some(probe_reply().as_str()),
        "{stdout}"
    );
    assert!(reply_to.exists(), "the test ran and answered");
}

/// `maelstrom test --sim` with `bin`: exit code and stderr.
fn test_sim_with(bin: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_maelstrom"))
        .args(["test", "--sim", "-w", "echo", "--time-limit", "1", "--bin"])
        .arg(bin)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn test_sim_refuses_a_binary_that_is_not_a_library_node_in_words() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("handoff-not-library");
    for (name, script, why) in [
        (
            "silent",
            "#!/bin/sh\nexit 0\n",
            "printed nothing when asked",
        ),
        (
            "chatty",
            "#!/bin/sh\necho hello\n",
            "answered \"hello\" when asked",
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (code, stderr) = test_sim_with(&path);
        assert_eq!(code, Some(254), "{name}: {stderr}");
        assert!(
            stderr.contains("--sim needs a node binary built with"),
            "{stderr}"
        );
        assert!(stderr.contains(why), "{name}: {stderr}");
    }
}
