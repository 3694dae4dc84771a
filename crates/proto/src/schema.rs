//! Closed schemas of the replies nodes send to clients, as upstream checks them.
//!
//! Upstream validates every reply to a client against a closed map schema: the
//! workload's keys, plus optional `msg_id` and required `in_reply_to`; any other key
//! is an error. Sequence schemas accept `null`; map schemas do not. `error` replies
//! skip the check. [`check_reply`] returns the list of problems, each naming its key.

use serde_json::Value;

use crate::{Body, Map};

/// The shape of one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Anything.
    Any,
    /// An integer.
    Int,
    /// A string.
    Str,
    /// Exactly this string.
    Eq(&'static str),
    /// Exactly `null`.
    Null,
    /// An array (or `null`) of elements of one shape.
    Seq(&'static Shape),
    /// An object whose keys are strings and values have one shape.
    MapOf(&'static Shape),
    /// A fixed-length array, element by element.
    Tuple(&'static [Shape]),
    /// One of several shapes.
    Either(&'static [Shape]),
}

impl Shape {
    /// Whether `value` has this shape: [`Shape::check`] without building paths
    /// or messages, for the common case where nothing is wrong (a broadcast
    /// read reply holds thousands of elements).
    pub fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (Shape::Any, _) => true,
            (Shape::Int, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Shape::Str, Value::String(_)) => true,
            (Shape::Eq(s), Value::String(v)) => v == s,
            (Shape::Null, Value::Null) => true,
            (Shape::Seq(_), Value::Null) => true,
            (Shape::Seq(inner), Value::Array(items)) => items.iter().all(|i| inner.matches(i)),
            (Shape::MapOf(inner), Value::Object(map)) => map.values().all(|v| inner.matches(v)),
            (Shape::Tuple(shapes), Value::Array(items)) if shapes.len() == items.len() => {
                shapes.iter().zip(items).all(|(s, i)| s.matches(i))
            }
            (Shape::Either(options), v) => options.iter().any(|s| s.matches(v)),
            _ => false,
        }
    }

    /// Problems with `value`, each prefixed with `path`.
    pub fn check(&self, path: &str, value: &Value, errors: &mut Vec<String>) {
        // Paths are formatted only on the way to a problem.
        if self.matches(value) {
            return;
        }
        let ok = match (self, value) {
            (Shape::Any, _) => true,
            (Shape::Int, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Shape::Str, Value::String(_)) => true,
            (Shape::Eq(s), Value::String(v)) => v == s,
            (Shape::Null, Value::Null) => true,
            (Shape::Seq(_), Value::Null) => true,
            (Shape::Seq(inner), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    inner.check(&format!("{path}[{i}]"), item, errors);
                }
                true
            }
            (Shape::MapOf(inner), Value::Object(map)) => {
                for (k, v) in map {
                    inner.check(&format!("{path}.{k}"), v, errors);
                }
                true
            }
            (Shape::Tuple(shapes), Value::Array(items)) if shapes.len() == items.len() => {
                for (i, (shape, item)) in shapes.iter().zip(items).enumerate() {
                    shape.check(&format!("{path}[{i}]"), item, errors);
                }
                true
            }
            (Shape::Either(options), v) => options.iter().any(|s| {
                let mut scratch = Vec::new();
                s.check(path, v, &mut scratch);
                scratch.is_empty()
            }),
            _ => false,
        };
        if !ok {
            errors.push(format!("{path}: expected {}, got {value}", self.describe()));
        }
    }

    /// A short description for error messages.
    pub fn describe(&self) -> String {
        match self {
            Shape::Any => "any value".into(),
            Shape::Int => "an integer".into(),
            Shape::Str => "a string".into(),
            Shape::Eq(s) => format!("{s:?}"),
            Shape::Null => "null".into(),
            Shape::Seq(inner) => format!("an array of {}", inner.describe()),
            Shape::MapOf(inner) => format!("an object of {}", inner.describe()),
            Shape::Tuple(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Shape::describe)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Shape::Either(options) => options
                .iter()
                .map(Shape::describe)
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }
}

/// A reply's closed schema: its `type` and its other keys (all required).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplySchema {
    /// The expected `type`, e.g. `"echo_ok"`.
    pub kind: &'static str,
    /// The other keys and their shapes.
    pub fields: &'static [(&'static str, Shape)],
}

impl ReplySchema {
    /// A readable rendering, for error messages.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("type: {:?}", self.kind)];
        parts.extend(
            self.fields
                .iter()
                .map(|(k, s)| format!("{k}: {}", s.describe())),
        );
        parts.push("msg_id (optional): an integer".into());
        parts.push("in_reply_to: an integer".into());
        format!("{{{}}}", parts.join(", "))
    }
}

/// Whether a reply [`Body`] passes [`check_reply`], without copying it into a
/// map or formatting anything: the fast path for well-formed replies. Call
/// [`check_reply`] for the list of problems when this says no.
pub fn reply_matches(schema: &ReplySchema, body: &Body) -> bool {
    if body.kind == "error" {
        return true;
    }
    // `msg_id` and `in_reply_to` are integers once parsed into a Body.
    body.kind == schema.kind
        && body.in_reply_to.is_some()
        && schema
            .fields
            .iter()
            .all(|(key, shape)| body.fields.get(*key).is_some_and(|v| shape.matches(v)))
        && body.fields.keys().all(|key| {
            matches!(key.as_str(), "type" | "msg_id" | "in_reply_to")
                || schema.fields.iter().any(|(k, _)| k == key)
        })
}

/// Checks a reply body (the whole JSON object, reserved keys included) against a
/// closed schema. `error` replies always pass. Returns every problem found.
pub fn check_reply(schema: &ReplySchema, body: &Map) -> Result<(), Vec<String>> {
    if body.get("type").and_then(Value::as_str) == Some("error") {
        return Ok(());
    }
    let mut errors = Vec::new();
    match body.get("type") {
        Some(v) => Shape::Eq(schema.kind).check("type", v, &mut errors),
        None => errors.push("type: missing required key".into()),
    }
    match body.get("in_reply_to") {
        Some(v) => Shape::Int.check("in_reply_to", v, &mut errors),
        None => errors.push("in_reply_to: missing required key".into()),
    }
    if let Some(v) = body.get("msg_id") {
        Shape::Int.check("msg_id", v, &mut errors);
    }
    for (key, shape) in schema.fields {
        match body.get(*key) {
            Some(v) => shape.check(key, v, &mut errors),
            None => errors.push(format!("{key}: missing required key")),
        }
    }
    for key in body.keys() {
        let reserved = matches!(key.as_str(), "type" | "msg_id" | "in_reply_to");
        if !reserved && !schema.fields.iter().any(|(k, _)| k == key) {
            errors.push(format!("{key}: disallowed key"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

const OFFSET_MSG: Shape = Shape::Tuple(&[Shape::Int, Shape::Any]);
const LIST_READ: Shape = Shape::Tuple(&[Shape::Eq("r"), Shape::Any, Shape::Seq(&Shape::Any)]);
const LIST_APPEND: Shape = Shape::Tuple(&[Shape::Eq("append"), Shape::Any, Shape::Any]);
const RW_READ: Shape = Shape::Tuple(&[Shape::Eq("r"), Shape::Any, Shape::Any]);
const RW_WRITE: Shape = Shape::Tuple(&[Shape::Eq("w"), Shape::Any, Shape::Any]);

/// The reply schema for a workload's request `type`, or `None` if the workload has
/// no such request.
pub fn reply_schema(workload: &str, request: &str) -> Option<ReplySchema> {
    let (kind, fields): (&'static str, &'static [(&'static str, Shape)]) = match (workload, request)
    {
        ("echo", "echo") => ("echo_ok", &[("echo", Shape::Any)]),
        ("unique-ids", "generate") => ("generate_ok", &[("id", Shape::Any)]),
        ("broadcast", "topology") => ("topology_ok", &[]),
        ("broadcast", "broadcast") => ("broadcast_ok", &[]),
        ("broadcast", "read") => ("read_ok", &[("messages", Shape::Seq(&Shape::Any))]),
        ("g-set", "add") => ("add_ok", &[]),
        ("g-set", "read") => ("read_ok", &[("value", Shape::Seq(&Shape::Any))]),
        ("g-counter" | "pn-counter", "add") => ("add_ok", &[]),
        ("g-counter" | "pn-counter", "read") => ("read_ok", &[("value", Shape::Int)]),
        ("lin-kv", "read") => ("read_ok", &[("value", Shape::Any)]),
        ("lin-kv", "write") => ("write_ok", &[]),
        ("lin-kv", "cas") => ("cas_ok", &[]),
        ("kafka", "send") => ("send_ok", &[("offset", Shape::Int)]),
        ("kafka", "poll") => (
            "poll_ok",
            &[("msgs", Shape::MapOf(&Shape::Seq(&OFFSET_MSG)))],
        ),
        ("kafka", "commit_offsets") => ("commit_offsets_ok", &[]),
        ("kafka", "list_committed_offsets") => (
            "list_committed_offsets_ok",
            &[("offsets", Shape::MapOf(&Shape::Int))],
        ),
        ("txn-list-append", "txn") => (
            "txn_ok",
            &[("txn", Shape::Seq(&Shape::Either(&[LIST_READ, LIST_APPEND])))],
        ),
        ("txn-rw-register", "txn") => (
            "txn_ok",
            &[("txn", Shape::Seq(&Shape::Either(&[RW_READ, RW_WRITE])))],
        ),
        _ => return None,
    };
    Some(ReplySchema { kind, fields })
}
