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
