//! Property tests of the parsers on hostile input: random bytes, random JSON,
//! envelope-shaped objects with random fields, truncated lines. No input may
//! panic, and what parses must mean what it says.
//!
//! The case count is proptest's: 256 per property by default (a few seconds),
//! `PROPTEST_CASES=N` for more (proptest reads it natively).

use maelstrom_proto::schema::{check_reply, reply_schema};
use maelstrom_proto::workloads::{broadcast, counter, echo, init, kafka, lin_kv, txn};
use maelstrom_proto::{is_client_id, parse_node_line, Body, Envelope, LineError, Map};
use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, nested a few levels, with the protocol's keys over-represented
/// so that random objects often look almost like messages.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Quarters: exact in binary and short in decimal, so they survive a
        // round trip (serde_json may move a long float by one unit in the last place).
        any::<i32>().prop_map(|i| Value::from(f64::from(i) / 4.0)),
        key().prop_map(Value::String),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "src",
            "dest",
            "body",
            "id",
            "type",
            "msg_id",
            "in_reply_to",
            "n1",
            "n2",
            "c1",
            "lin-kv",
            "echo",
            "value",
            "messages",
            "txn",
            "msgs",
            "offsets",
        ])
        .prop_map(str::to_string),
        "[a-z_]{0,6}",
    ]
}

/// An object shaped like an envelope: each of the four keys present or not,
/// with plausible or random values, sometimes an extra key.
fn envelope_like() -> impl Strategy<Value = Value> {
    let id = prop_oneof![
        Just(Value::from("n1")),
        Just(Value::from("n2")),
        Just(Value::from("c1")),
        Just(Value::from("lin-kv")),
        Just(Value::Null),
        json(),
    ];
    let body = prop_oneof![
        (json(), prop::option::of(json()), prop::option::of(json())).prop_map(|(t, m, r)| {
            let mut map = Map::new();
            map.insert("type".into(), t);
            if let Some(m) = m {
                map.insert("msg_id".into(), m);
            }
            if let Some(r) = r {
                map.insert("in_reply_to".into(), r);
            }
            Value::Object(map)
        }),
        json(),
    ];
    (
        prop::option::of(id.clone()),
        prop::option::of(id),
        prop::option::of(body),
        prop::option::of(json()),
        prop::option::of((key(), json())),
    )
        .prop_map(|(src, dest, body, msg_id, extra)| {
            let mut map = Map::new();
            for (k, v) in [("src", src), ("dest", dest), ("body", body), ("id", msg_id)] {
                if let Some(v) = v {
                    map.insert(k.into(), v);
                }
            }
            if let Some((k, v)) = extra {
                map.insert(k, v);
            }
            Value::Object(map)
        })
}

fn is_node(id: &str) -> bool {
    id.starts_with('n')
}

/// Every parser in the crate that reads outside input, on one line. Returns
/// whether the node-line parser accepted it.
fn parse_everything(line: &str) -> bool {
    let _ = Envelope::parse(line);
    let _ = serde_json::from_str::<Body>(line);
    match parse_node_line(line, "n1", is_node) {
        Ok(env) => {
            // What was accepted is a real message from n1 (or a client's
            // request n1 relays to another node), and it serialises to a line
            // that is accepted again, unchanged.
            assert!(
                env.src == "n1" || (is_client_id(&env.src) && is_node(&env.dest)),
                "{env:?}"
            );
            let again = parse_node_line(&env.to_line(), "n1", is_node).expect("reparses");
            assert_eq!(again, env);
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    }
}

/// `parse_payload`, which reads the fields where they are, decides as
/// `to_payload`, which builds the JSON object first: the same payload, or an
/// error from both.
fn agree<T: serde::de::DeserializeOwned + std::fmt::Debug>(b: &Body) {
    let lent = b.parse_payload::<T>();
    let built = b.to_payload::<T>();
    match (&lent, &built) {
        (Ok(l), Ok(o)) => assert_eq!(format!("{l:?}"), format!("{o:?}"), "{b:?}"),
        (Err(_), Err(_)) => {}
        _ => panic!("parse_payload {lent:?} but to_payload {built:?} for {b:?}"),
    }
}

/// Typed payload parsing and reply schemas: errors allowed, panics not; and
/// `parse_payload` leaves the body as it found it.
fn parse_payloads(body: &Body) {
    let b = body.clone();
    agree::<init::Request>(&b);
    agree::<echo::Request>(&b);
    agree::<broadcast::Request>(&b);
    agree::<counter::Request>(&b);
    agree::<lin_kv::Request>(&b);
    agree::<kafka::Request>(&b);
    agree::<txn::Request>(&b);
    agree::<kafka::Response>(&b);
    assert_eq!(&b, body, "parse_payload changed the body");
    let map = body.to_map();
    for (w, r) in [
        ("echo", "echo"),
        ("broadcast", "read"),
        ("g-set", "read"),
        ("pn-counter", "read"),
        ("lin-kv", "read"),
        ("kafka", "poll"),
        ("kafka", "list_committed_offsets"),
        ("txn-list-append", "txn"),
        ("txn-rw-register", "txn"),
    ] {
        let schema = reply_schema(w, r).expect("known request");
        if let Err(errors) = check_reply(&schema, &map) {
            assert!(!errors.is_empty());
        }
    }
    let _ = body.as_error();
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let line = String::from_utf8_lossy(&bytes);
        parse_everything(&line);
    }

    #[test]
    fn random_json_never_panics(value in json()) {
        let line = value.to_string();
        parse_everything(&line);
        if let Ok(body) = Body::from_value(value.clone()) {
            parse_payloads(&body);
        }
        if let Value::Object(map) = value {
            parse_payloads(&Body::verbatim(map));
        }
    }

    #[test]
    fn envelope_like_objects_are_judged_by_the_rules(value in envelope_like()) {
        let line = value.to_string();
        let accepted = parse_everything(&line);
        let map = value.as_object().expect("an object");
        let only_known_keys = map
            .keys()
            .all(|k| matches!(k.as_str(), "src" | "dest" | "body" | "id"));
        let dest = map.get("dest").and_then(Value::as_str);
        let relayed = matches!(
            (map.get("src"), dest),
            (Some(Value::String(s)), Some(d)) if is_client_id(s) && is_node(d)
        );
        let src_ok = map.get("src") == Some(&Value::from("n1")) || relayed;
        let id_ok = map.get("id").is_none_or(|v| v.is_i64() || v.is_u64());
        let body_ok = match (dest, map.get("body")) {
            (Some(d), Some(Value::Object(_))) if is_node(d) => true,
            (Some(_), Some(b)) => Body::from_value(b.clone()).is_ok(),
            _ => false,
        };
        prop_assert_eq!(accepted, only_known_keys && src_ok && id_ok && body_ok);
        if only_known_keys && map.contains_key("src") && !src_ok {
            let kind = parse_node_line(&line, "n1", is_node).map_err(|e| e.kind());
            prop_assert_eq!(kind, Err("wrong-src"));
        }
        if let Ok(env) = parse_node_line(&line, "n1", is_node) {
            // Node-to-node bodies travel unchanged.
            let sent: Value = serde_json::from_str(&env.to_line()).expect("JSON");
            if env.body.is_verbatim() {
                prop_assert_eq!(&sent["body"], &map["body"]);
            }
            parse_payloads(&env.body);
        }
    }

    #[test]
    fn truncated_lines_are_rejected_not_misread(
        value in envelope_like(),
        cut in any::<prop::sample::Index>(),
    ) {
        let line = value.to_string();
        let mut at = cut.index(line.len().max(1));
        while !line.is_char_boundary(at) {
            at -= 1;
        }
        let prefix = &line[..at];
        parse_everything(prefix);
        // A strict prefix of a JSON object is never a complete JSON value.
        let r = parse_node_line(prefix, "n1", is_node);
        prop_assert!(matches!(r, Err(LineError::NotJson(_))), "{:?} from {:?}", r, prefix);
    }

    #[test]
    fn valid_envelopes_round_trip(
        dest in prop::sample::select(vec!["n2", "c1", "lin-kv"]),
        kind in "[a-z_]{1,10}",
        msg_id in prop::option::of(any::<u64>()),
        in_reply_to in prop::option::of(any::<u64>()),
        fields in prop::collection::vec(("[a-z]{1,6}", json()), 0..5),
    ) {
        let mut body = Body::new(kind);
        body.msg_id = msg_id;
        body.in_reply_to = in_reply_to;
        for (k, v) in fields {
            if !matches!(k.as_str(), "type" | "msg_id" | "in_reply_to") {
                body = body.with(&k, v);
            }
        }
        let env = Envelope::new("n1", dest, body);
        let line = env.to_line();
        prop_assert_eq!(Envelope::parse(&line).expect("parses"), env.clone());
        let from_node = parse_node_line(&line, "n1", is_node).expect("accepted");
        prop_assert_eq!(serde_json::from_str::<Value>(&from_node.to_line()).expect("JSON"),
            serde_json::from_str::<Value>(&line).expect("JSON"));
    }
}
