//! Checking one line a node printed to stdout, as a harness must.
//!
//! Upstream's rule: every stdout line is one JSON object `{src, dest, body, id?}`
//! (no other top-level keys), `src` and `dest` strings, `id` an integer if present
//! (the harness overwrites it). On top of that a harness can check what upstream
//! does not: that `src` is the node's own id, so a node cannot speak as another
//! node, nor as a client except to relay that client's request to another node
//! (the leader-forwarding pattern of upstream's demos). Bodies sent to another node may be any JSON object
//! (kept verbatim); bodies sent to a client or a service must be [`Body`]s
//! (a string `type`, integer ids), which the recipient then checks further.

use serde_json::Value;
use thiserror::Error;

use crate::{Body, Envelope};

/// What is wrong with a line a node printed to stdout.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LineError {
    /// The line does not parse as JSON.
    #[error("it is not well-formed JSON ({0})")]
    NotJson(String),
    /// The line is JSON but not a message envelope.
    #[error("it is not a valid message envelope: {0}")]
    BadEnvelope(String),
    /// `src` is not the node's own id (null, another id, not a string).
    #[error("its src is {found}, but node {own} may only send as {own:?}")]
    WrongSrc {
        /// The `src` value as JSON text, e.g. `null` or `"n2"`.
        found: String,
        /// The node's own id.
        own: String,
    },
}

impl LineError {
    /// A short name for the kind of violation, as results.json counts them.
    pub fn kind(&self) -> &'static str {
        match self {
            LineError::NotJson(_) => "not-json",
            LineError::BadEnvelope(_) => "bad-envelope",
            LineError::WrongSrc { .. } => "wrong-src",
        }
    }
}

/// True for a client's id as the harness names clients: `c` and a number.
pub fn is_client_id(id: &str) -> bool {
    id.strip_prefix('c')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses a stdout line of node `own_id`. `is_node(dest)` says whether the
/// destination is a test node (whose bodies may be any object); the harness
/// checks separately that the destination exists. The returned envelope has no
/// `id`: the network assigns one.
pub fn parse_node_line(
    line: &str,
    own_id: &str,
    is_node: impl Fn(&str) -> bool,
) -> Result<Envelope, LineError> {
    let value: Value = serde_json::from_str(line).map_err(|e| LineError::NotJson(e.to_string()))?;
    let Value::Object(mut map) = value else {
        return Err(bad(format!(
            "a message must be a JSON object, not {}",
            type_name(&value)
        )));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "id" | "src" | "dest" | "body"))
    {
        return Err(bad(format!(
            "unknown top-level key {key:?} (allowed: src, dest, body and an integer id)"
        )));
    }
    let dest_is_node = matches!(map.get("dest"), Some(Value::String(d)) if is_node(d));
    let src = match map.remove("src") {
        None => return Err(bad("it has no src".into())),
        Some(Value::String(s)) if s == own_id => s,
        // Relaying a client's request to another node unchanged, so that
        // node can answer the client itself, is how upstream's own demo
        // nodes forward to a leader; upstream accepts it, and so do we.
        Some(Value::String(s)) if dest_is_node && is_client_id(&s) => s,
        Some(other) => {
            return Err(LineError::WrongSrc {
                found: other.to_string(),
                own: own_id.to_string(),
            })
        }
    };
    let dest = match map.remove("dest") {
        Some(Value::String(s)) => s,
        None => return Err(bad("it has no dest".into())),
        Some(other) => {
            return Err(bad(format!(
                "dest must be a string, not {}",
                type_name(&other)
            )))
        }
    };
    match map.remove("id") {
        None => {}
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {}
        Some(other) => {
            return Err(bad(format!(
                "id, if present, must be an integer, not {}",
                type_name(&other)
            )))
        }
    }
    let body = match map.remove("body") {
        Some(Value::Object(body)) => body,
        None => return Err(bad("it has no body".into())),
        Some(other) => {
            return Err(bad(format!(
                "body must be a JSON object, not {}",
                type_name(&other)
            )))
        }
    };
    let body = if is_node(&dest) {
        Body::verbatim(body)
    } else {
        Body::from_map(body).map_err(|e| bad(format!("in a message to {dest}: {e}")))?
    };
    Ok(Envelope::new(src, dest, body))
}

fn bad(reason: String) -> LineError {
    LineError::BadEnvelope(reason)
}

/// The JSON type of a value, for messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Envelope, LineError> {
        parse_node_line(line, "n1", |d| d.starts_with('n'))
    }

    #[test]
    fn a_good_line_parses() {
        let env =
            parse(r#"{"src":"n1","dest":"c2","body":{"type":"echo_ok","in_reply_to":1}}"#).unwrap();
        assert_eq!(env.dest, "c2");
        assert_eq!(env.body.in_reply_to, Some(1));
        assert!(!env.body.is_verbatim());
    }

    #[test]
    fn each_violation_has_its_kind() {
        let cases = [
            ("hello", "not-json"),
            ("", "not-json"),
            ("[1]", "bad-envelope"),
            (
                r#"{"src":"n1","dest":"n2","body":{},"x":1}"#,
                "bad-envelope",
            ),
            (r#"{"dest":"n2","body":{}}"#, "bad-envelope"),
            (r#"{"src":null,"dest":"n2","body":{}}"#, "wrong-src"),
            (r#"{"src":"n2","dest":"n3","body":{}}"#, "wrong-src"),
            (r#"{"src":"c1","dest":"c2","body":{}}"#, "wrong-src"),
            (r#"{"src":"n1","dest":7,"body":{}}"#, "bad-envelope"),
            (r#"{"src":"n1","dest":"n2","body":[]}"#, "bad-envelope"),
            (
                r#"{"src":"n1","dest":"n2","body":{},"id":"x"}"#,
                "bad-envelope",
            ),
            (
                r#"{"src":"n1","dest":"c1","body":{"echo":1}}"#,
                "bad-envelope",
            ),
        ];
        for (line, kind) in cases {
            assert_eq!(parse(line).unwrap_err().kind(), kind, "{line}");
        }
    }

    #[test]
    fn a_client_request_may_be_relayed_to_another_node_only() {
        let is_node = |d: &str| d.starts_with('n');
        let relay = r#"{"src":"c4","dest":"n2","body":{"type":"write","msg_id":3}}"#;
        assert_eq!(parse_node_line(relay, "n1", is_node).unwrap().src, "c4");
        let to_service = r#"{"src":"c4","dest":"lin-kv","body":{"type":"read","msg_id":3}}"#;
        assert!(matches!(
            parse_node_line(to_service, "n1", is_node),
            Err(LineError::WrongSrc { .. })
        ));
        let as_node = r#"{"src":"n3","dest":"n2","body":{"type":"x"}}"#;
        assert!(matches!(
            parse_node_line(as_node, "n1", is_node),
            Err(LineError::WrongSrc { .. })
        ));
        assert!(is_client_id("c12") && !is_client_id("c") && !is_client_id("cx1"));
    }

    #[test]
    fn null_src_is_named() {
        let e = parse(r#"{"src":null,"dest":"n2","body":{"type":"merge"}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "its src is null, but node n1 may only send as \"n1\""
        );
    }

    #[test]
    fn node_to_node_bodies_are_any_object_and_kept_verbatim() {
        let line = r#"{"src":"n1","dest":"n2","body":{"msg_id":"abc","z":[1,{"a":null}]}}"#;
        let env = parse(line).unwrap();
        assert!(env.body.is_verbatim());
        assert_eq!(env.body.kind, "");
        assert_eq!(env.body.msg_id, None);
        let again: Value = serde_json::from_str(&env.to_line()).unwrap();
        let original: Value = serde_json::from_str(line).unwrap();
        assert_eq!(again, original);
    }

    #[test]
    fn an_upstream_id_is_accepted_and_dropped() {
        let env = parse(r#"{"id":-3,"src":"n1","dest":"n2","body":{"type":"x"}}"#).unwrap();
        assert_eq!(env.id, None);
    }
}
