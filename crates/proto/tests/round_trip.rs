//! Round trips of upstream's documented messages through the wire types.

use maelstrom_proto::schema::{check_reply, reply_matches, reply_schema};
use maelstrom_proto::workloads::{broadcast, counter, echo, init, kafka, lin_kv, txn};
use maelstrom_proto::{Body, Envelope, ErrorCode, RpcError};
use serde_json::{json, Value};

fn round_trip(line: &str) -> Envelope {
    let env = Envelope::parse(line).expect("parses");
    let again: Value = serde_json::from_str(&env.to_line()).unwrap();
    let original: Value = serde_json::from_str(line).unwrap();
    assert_eq!(again, original, "round trip of {line}");
    env
}

#[test]
fn init_from_upstream_keeps_top_level_id() {
    let env = round_trip(
        r#"{"id":0,"src":"c0","dest":"n3","body":{"type":"init","msg_id":1,"node_id":"n3","node_ids":["n1","n2","n3"]}}"#,
    );
    assert_eq!(env.id, Some(0));
    assert_eq!(env.body.msg_id, Some(1));
    let req: init::Request = env.body.to_payload().unwrap();
    assert_eq!(
        req,
        init::Request::Init {
            node_id: "n3".into(),
            node_ids: vec!["n1".into(), "n2".into(), "n3".into()]
        }
    );
}

#[test]
fn echo_request_and_reply() {
    let env = round_trip(
        r#"{"src":"c1","dest":"n1","body":{"msg_id":1,"type":"echo","echo":"hello there"}}"#,
    );
    let req: echo::Request = env.body.to_payload().unwrap();
    let echo::Request::Echo { echo } = req;
    let mut reply = Body::from_payload(&echo::Response::EchoOk { echo }).unwrap();
    reply.in_reply_to = env.body.msg_id;
    reply.msg_id = Some(1);
    let line = Envelope::new("n1", "c1", reply).to_line();
    assert_eq!(
        line,
        r#"{"src":"n1","dest":"c1","body":{"type":"echo_ok","msg_id":1,"in_reply_to":1,"echo":"hello there"}}"#
    );
}

#[test]
fn msg_id_zero_and_null_in_reply_to() {
    let env = round_trip(r#"{"src":"n1","dest":"n2","body":{"type":"x","msg_id":0}}"#);
    assert_eq!(env.body.msg_id, Some(0));
    // Services answer requests without msg_id with in_reply_to null.
    let env = Envelope::parse(
        r#"{"src":"lin-kv","dest":"n1","body":{"type":"write_ok","in_reply_to":null}}"#,
    )
    .unwrap();
    assert_eq!(env.body.in_reply_to, None);
}

#[test]
fn malformed_envelopes_are_rejected() {
    for bad in [
        r#"{"src":"n1","body":{"type":"x"}}"#,
        r#"{"src":"n1","dest":"n2","body":{"msg_id":1}}"#,
        r#"{"src":"n1","dest":"n2","body":{"type":3}}"#,
        r#"{"src":"n1","dest":"n2","body":{"type":"x"},"extra":1}"#,
        r#"{"src":1,"dest":"n2","body":{"type":"x"}}"#,
        r#"{"src":"n1","dest":"n2","body":{"type":"x","msg_id":-1}}"#,
        "not json",
        "",
    ] {
        assert!(Envelope::parse(bad).is_err(), "accepted {bad}");
    }
}

#[test]
fn typed_workload_bodies_round_trip() {
    let cases: Vec<Value> = vec![
        json!({"type":"topology","topology":{"n1":["n2","n3"],"n2":["n1"]}}),
        json!({"type":"broadcast","message":1000}),
        json!({"type":"read"}),
        json!({"type":"add","delta":-3}),
        json!({"type":"cas","key":0,"from":1,"to":2}),
        json!({"type":"cas","key":"k","from":1,"to":2,"create_if_not_exists":true}),
        json!({"type":"send","key":"k1","msg":123}),
        json!({"type":"poll","offsets":{"k1":1000,"k2":2000}}),
        json!({"type":"commit_offsets","offsets":{"k1":1000}}),
        json!({"type":"list_committed_offsets","keys":["k1","k2"]}),
        json!({"type":"txn","txn":[["r",1,null],["append",1,6]]}),
    ];
    fn check<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> bool {
        match serde_json::from_value::<T>(v.clone()) {
            Ok(t) => {
                assert_eq!(&serde_json::to_value(t).unwrap(), v);
                true
            }
            Err(_) => false,
        }
    }
    for v in &cases {
        let parsed = check::<broadcast::Request>(v)
            || check::<counter::Request>(v)
            || check::<lin_kv::Request>(v)
            || check::<kafka::Request>(v)
            || check::<txn::Request>(v);
        assert!(parsed, "no typed body for {v}");
    }
    let poll_ok = json!({"type":"poll_ok","msgs":{"k1":[[1000,9],[1001,5]]}});
    assert!(check::<kafka::Response>(&poll_ok));
}

#[test]
fn error_registry_matches_upstream() {
    let expected = [
        (0, "timeout", false),
        (1, "node-not-found", true),
        (10, "not-supported", true),
        (11, "temporarily-unavailable", true),
        (12, "malformed-request", true),
        (13, "crash", false),
        (14, "abort", true),
        (20, "key-does-not-exist", true),
        (21, "key-already-exists", true),
        (22, "precondition-failed", true),
        (30, "txn-conflict", true),
    ];
    for (code, name, definite) in expected {
        let c = ErrorCode::from_code(code);
        assert_eq!(c.code(), code);
        assert_eq!(c.name(), name);
        assert_eq!(c.is_definite(), definite, "{name}");
    }
    let user = ErrorCode::from_code(1001);
    assert_eq!(user, ErrorCode::Other(1001));
    assert!(!user.is_definite());
    let body = RpcError::key_does_not_exist("no such key").to_body(Some(7));
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"type":"error","in_reply_to":7,"code":20,"text":"no such key"})
    );
    assert_eq!(body.as_error().unwrap().code, ErrorCode::KeyDoesNotExist);
}

#[test]
fn closed_reply_schemas() {
    let schema = reply_schema("echo", "echo").unwrap();
    let ok = json!({"type":"echo_ok","in_reply_to":1,"msg_id":2,"echo":"x"});
    assert!(check_reply(&schema, ok.as_object().unwrap()).is_ok());
    let wrong_type = json!({"type":"echo","in_reply_to":1,"echo":"x"});
    let errs = check_reply(&schema, wrong_type.as_object().unwrap()).unwrap_err();
    assert!(errs[0].starts_with("type:"), "{errs:?}");
    let extra = json!({"type":"echo_ok","in_reply_to":1,"echo":"x","more":1});
    let errs = check_reply(&schema, extra.as_object().unwrap()).unwrap_err();
    assert_eq!(errs, vec!["more: disallowed key".to_string()]);
    let missing = json!({"type":"echo_ok","echo":"x"});
    let errs = check_reply(&schema, missing.as_object().unwrap()).unwrap_err();
    assert_eq!(errs, vec!["in_reply_to: missing required key".to_string()]);

    let read = reply_schema("broadcast", "read").unwrap();
    let null_messages = json!({"type":"read_ok","in_reply_to":1,"messages":null});
    assert!(check_reply(&read, null_messages.as_object().unwrap()).is_ok());
    let counter = reply_schema("g-counter", "read").unwrap();
    let float = json!({"type":"read_ok","in_reply_to":1,"value":1.5});
    assert!(check_reply(&counter, float.as_object().unwrap()).is_err());
    let poll = reply_schema("kafka", "poll").unwrap();
    let bad = json!({"type":"poll_ok","in_reply_to":1,"msgs":{"k":[[1]]}});
    assert!(check_reply(&poll, bad.as_object().unwrap()).is_err());
    let txn = reply_schema("txn-list-append", "txn").unwrap();
    let good = json!({"type":"txn_ok","in_reply_to":1,"txn":[["r",1,[1,2]],["append",1,3]]});
    assert!(check_reply(&txn, good.as_object().unwrap()).is_ok());
    let error = json!({"type":"error","in_reply_to":1,"code":11});
    assert!(check_reply(&txn, error.as_object().unwrap()).is_ok());
}

/// The fast path agrees with the full check on good and bad replies alike.
#[test]
fn reply_matches_agrees_with_check_reply() {
    let cases = [
        (
            "echo",
            "echo",
            json!({"type":"echo_ok","in_reply_to":1,"msg_id":2,"echo":"x"}),
        ),
        (
            "echo",
            "echo",
            json!({"type":"echo","in_reply_to":1,"echo":"x"}),
        ),
        (
            "echo",
            "echo",
            json!({"type":"echo_ok","in_reply_to":1,"echo":"x","more":1}),
        ),
        ("echo", "echo", json!({"type":"echo_ok","echo":"x"})),
        ("echo", "echo", json!({"type":"echo_ok","in_reply_to":1})),
        (
            "broadcast",
            "read",
            json!({"type":"read_ok","in_reply_to":1,"messages":null}),
        ),
        (
            "broadcast",
            "read",
            json!({"type":"read_ok","in_reply_to":1,"messages":[1,2,3]}),
        ),
        (
            "g-counter",
            "read",
            json!({"type":"read_ok","in_reply_to":1,"value":1.5}),
        ),
        (
            "kafka",
            "poll",
            json!({"type":"poll_ok","in_reply_to":1,"msgs":{"k":[[1]]}}),
        ),
        (
            "kafka",
            "poll",
            json!({"type":"poll_ok","in_reply_to":1,"msgs":{"k":[[1,5]]}}),
        ),
        (
            "txn-list-append",
            "txn",
            json!({"type":"txn_ok","in_reply_to":1,"txn":[["r",1,[1,2]],["append",1,3]]}),
        ),
        (
            "txn-list-append",
            "txn",
            json!({"type":"txn_ok","in_reply_to":1,"txn":[["r",1,[1,2]],["x",1,3]]}),
        ),
        (
            "txn-list-append",
            "txn",
            json!({"type":"error","in_reply_to":1,"code":11}),
        ),
    ];
    for (workload, request, reply) in cases {
        let schema = reply_schema(workload, request).unwrap();
        let full = check_reply(&schema, reply.as_object().unwrap()).is_ok();
        let body = Body::from_value(reply.clone()).unwrap();
        assert_eq!(reply_matches(&schema, &body), full, "{reply}");
    }
}
