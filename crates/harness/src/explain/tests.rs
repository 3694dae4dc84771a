use super::words::words;
use super::*;
use serde_json::json;

/// One history row: `(type, process, f, value, final, error)`.
type Row<'a> = (&'a str, i64, &'a str, Value, bool, Option<Value>);

/// A history from rows.
fn history(rows: &[Row<'_>]) -> Vec<Op> {
    let text: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, (t, p, f, v, fin, e))| {
            let mut op = json!({"index": i, "type": t, "f": f, "value": v, "process": p});
            if *fin {
                op["final"] = json!(true);
            }
            if let Some(e) = e {
                op["error"] = e.clone();
            }
            op.to_string()
        })
        .collect();
    parse_jsonl(&text.join("\n")).unwrap()
}

#[test]
fn set_values_are_listed_with_the_final_reads_that_missed_them() {
    let r = json!({
        "valid": false,
        "workload": {"valid": false, "attempt-count": 3, "stable-count": 1,
            "lost-count": 1, "lost": [0], "stale-count": 1, "stale": [1],
            "never-read-count": 1, "never-read": [2]},
        "net": {"valid": true},
        "stats": {"count": 40, "ok-count": 40, "fail-count": 0, "info-count": 0},
    });
    let h = history(&[
        ("invoke", 0, "read", json!(null), true, None),
        ("invoke", 1, "read", json!(null), true, None),
        ("ok", 0, "read", json!([1]), true, None),
        ("ok", 1, "read", json!([0, 1]), true, None),
    ]);
    assert_eq!(
        explain(&r, &h),
        vec![
            "invalid: workload",
            "1 lost (acknowledged, then missing from the final reads): 0 (missed by 1 of 2 \
             final reads)",
            "1 stale (acknowledged, but some reads after that missed them): 1 (missed by 0 \
             of 2 final reads)",
            "1 never-read (their add never got an ok and no read returned them; that is \
             allowed): 2 (missed by 2 of 2 final reads)",
            "operations: 40, of which 40 ok, 0 failed (the node said an error) and 0 \
             indefinite (timed out or crashed)",
        ]
    );
    assert_eq!(
        summary_line(&r).unwrap(),
        "set: 3 values added; 1 stable, 1 lost, 1 stale, 1 never read"
    );
}

/// A valid set run's words come from its final operations alone, read
/// without parsing the rest; a history without a final phase is read whole.
#[test]
fn a_valid_set_run_reads_only_its_final_operations() {
    let r = json!({
        "valid": true,
        "workload": {"valid": true, "attempt-count": 2, "stable-count": 2,
            "lost-count": 0, "stale-count": 1, "stale": [1], "never-read-count": 0},
        "stats": {"count": 8, "ok-count": 8, "fail-count": 0, "info-count": 0},
    });
    let main = [
        ("invoke", 0, "add", json!(1), false, None),
        ("invoke", 1, "read", json!(null), false, None),
        ("ok", 0, "add", json!(1), false, None),
        ("ok", 1, "read", json!([]), false, None),
    ];
    let finals = [
        ("invoke", 0, "read", json!(null), true, None),
        ("invoke", 1, "read", json!(null), true, None),
        ("ok", 1, "read", json!([1]), true, None),
        ("ok", 0, "read", json!([0]), true, None),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let whole = history(&[main.clone(), finals.clone()].concat());
    std::fs::write(&path, maelstrom_check::history::to_jsonl(&whole)).unwrap();
    let read = read_history_of_valid(dir.path(), &r);
    assert_eq!(read.len(), 4);
    assert!(read.iter().all(|op| op.final_));
    assert_eq!(explain(&r, &read), explain(&r, &whole));
    assert_eq!(
        explain(&r, &read),
        [
            "1 stale (acknowledged, but some reads after that missed them): 1 (missed by 1 \
             of 2 final reads)",
            "operations: 8, of which 8 ok, 0 failed (the node said an error) and 0 \
             indefinite (timed out or crashed)"
        ]
    );

    let no_finals = history(&main);
    std::fs::write(&path, maelstrom_check::history::to_jsonl(&no_finals)).unwrap();
    let read = read_history_of_valid(dir.path(), &r);
    assert_eq!(read.len(), 4);
    assert_eq!(explain(&r, &read), explain(&r, &no_finals));
}

#[test]
fn echo_failures_in_words_never_a_debug_vector() {
    let r = json!({"valid": false, "workload": {"valid": false, "errors": [
        ["Expected a message with :echo", "Please echo 69", "But received", "Please echo 69"]
    ]}, "stats": {"count": 2, "ok-count": 1, "fail-count": 0, "info-count": 1}});
    let h = history(&[
        ("invoke", 0, "echo", json!("Please echo 1"), false, None),
        (
            "ok",
            0,
            "echo",
            json!({"type": "echo_ok", "echo": "Please echo 1"}),
            false,
            None,
        ),
        ("invoke", 0, "echo", json!("Please echo 69"), false, None),
        (
            "info",
            0,
            "echo",
            json!("Please echo 69"),
            false,
            Some(json!("indeterminate: timed out waiting for a reply")),
        ),
    ]);
    let text = explain(&r, &h).join("\n");
    assert!(!text.contains("Expected a message with"), "{text}");
    assert!(
        text.contains(
            "1 echo request did not come back unchanged: 0 refused with an \
                       error, 1 not answered in time, 0 answered with something else"
        ),
        "{text}"
    );
    assert_eq!(
        culprit(&r, &h).unwrap(),
        "The operation that made the run invalid: echo \"Please echo 69\" (process 0) did \
         not complete: indeterminate: timed out waiting for a reply"
    );
    assert_eq!(
        summary_line(&r).unwrap(),
        "echo: 1 of 2 echoes did not come back unchanged"
    );
}

#[test]
fn a_counter_points_at_the_bad_final_read_not_an_earlier_timeout() {
    let r = json!({"valid": false, "workload": {"valid": false, "errors": [12],
        "final-reads": [12, 16], "acceptable": [[16, 17]]}});
    let h = history(&[
        ("invoke", 1, "read", json!(null), false, None),
        (
            "info",
            1,
            "read",
            json!(null),
            false,
            Some(json!("indeterminate: timed out")),
        ),
        ("invoke", 0, "read", json!(null), true, None),
        ("invoke", 2, "read", json!(null), true, None),
        ("ok", 0, "read", json!(16), true, None),
        ("ok", 2, "read", json!(12), true, None),
    ]);
    assert_eq!(
        culprit(&r, &h).unwrap(),
        "The operation that made the run invalid: read (process 2, final) returned 12; \
         the value could only be 16 to 17"
    );
    assert!(explain(&r, &h).contains(
        &"1 final read returned 12, but the counter's value could only be 16 to 17 (the \
          acknowledged adds, plus any that may or may not have happened)"
            .to_string()
    ));
    assert_eq!(
        summary_line(&r).unwrap(),
        "counter: final reads 12, 16; the value could be 16 to 17"
    );
}

#[test]
fn a_refusal_is_named_when_the_checker_names_no_operation() {
    let r = json!({"valid": false, "workload": {"valid": true, "attempt-count": 0,
        "stable-count": 0, "lost-count": 0, "stale-count": 0, "never-read-count": 0}});
    let h = history(&[
        ("invoke", 0, "broadcast", json!(3), false, None),
        (
            "fail",
            0,
            "broadcast",
            json!(3),
            false,
            Some(json!(["not-supported", "does not handle broadcast"])),
        ),
        ("invoke", 0, "read", json!(null), true, None),
        ("ok", 0, "read", json!([]), true, None),
    ]);
    assert_eq!(
        culprit(&r, &h).unwrap(),
        "The first operation the node refused: broadcast 3 (process 0) failed: \
         not-supported: does not handle broadcast"
    );
    // A timeout alone, beside operations that succeeded, is no culprit.
    let h = history(&[
        ("invoke", 0, "broadcast", json!(3), false, None),
        (
            "info",
            0,
            "broadcast",
            json!(3),
            false,
            Some(json!("net-timeout")),
        ),
        ("invoke", 0, "read", json!(null), true, None),
        ("ok", 0, "read", json!([3]), true, None),
    ]);
    assert_eq!(culprit(&r, &h), None);
}

#[test]
fn duplicates_and_kafka_and_lin_kv_summaries() {
    let r = json!({"valid": false, "workload": {"valid": false, "attempted-count": 4,
        "acknowledged-count": 4, "duplicated-count": 1, "duplicated": [["n1-1", 2]]}});
    assert!(explain(&r, &[])
        .contains(&"1 id went to more than one request: \"n1-1\" (2 times)".to_string()));
    assert_eq!(
        summary_line(&r).unwrap(),
        "unique-ids: 4 of 4 requests got an id; 1 id handed out more than once"
    );
    let k = json!({"workload": {"valid": false, "bad-error-types": ["lost-write"],
        "lost-write": {"count": 3, "errs": []}}});
    assert_eq!(
        summary_line(&k).unwrap(),
        "kafka: anomalies found: lost-write (3)"
    );
    let l = json!({"workload": {"valid": false, "key-count": 4, "failures": ["1"]}});
    assert_eq!(
        summary_line(&l).unwrap(),
        "lin-kv: 1 of 4 keys not linearizable: \"1\""
    );
    let mut checked = l.clone();
    checked["model"] = json!("cas-register");
    assert_eq!(
        summary_line(&checked).unwrap(),
        "cas-register: 1 of 4 keys not linearizable: \"1\""
    );
}

#[test]
fn values_read_as_values() {
    assert_eq!(words(&json!([1, [2, 3], "a"])), "[1, [2, 3], \"a\"]");
    assert_eq!(words(&json!({"type": "echo_ok"})), "{type: \"echo_ok\"}");
    assert_eq!(
        words(&json!((0..10).collect::<Vec<_>>())),
        "[0, 1, 2, 3, 4, 5, 6, 7, and 2 more]"
    );
}

#[test]
fn protocol_violations_name_the_first_line() {
    let r = json!({"valid": false, "protocol": {"valid": false, "count": 3,
        "first": [{"node": "n1", "line": "{\"src\": null}", "problem": "its src is null"}]}});
    let text = explain(&r, &[]).join("\n");
    assert!(text.contains("invalid: protocol"), "{text}");
    assert!(
        text.contains("3 lines on STDOUT broke the protocol; the first, from n1"),
        "{text}"
    );
    assert!(text.contains("(because its src is null)"), "{text}");
}

#[test]
fn a_valid_test_needs_no_words() {
    let r = json!({"valid": true, "workload": {"valid": true, "lost-count": 0}});
    assert!(explain(&r, &[]).is_empty());
}
