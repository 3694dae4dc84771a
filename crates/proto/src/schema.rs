//! The RPCs of every workload and service, with their request and reply
//! schemas: what `maelstrom doc` prints and what the harness validates client
//! replies with, from the one table ([`WORKLOADS`], [`SERVICES`]).
//!
//! Replies are checked as upstream checks them.
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
            // An integer is any number serde_json did not parse as a float.
            (Shape::Int, Value::Number(n)) => !n.is_f64(),
            (Shape::Str, Value::String(_)) => true,
            (Shape::Eq(s), Value::String(v)) => v == s,
            (Shape::Null, Value::Null) => true,
            (Shape::Seq(_), Value::Null) => true,
            // Reads return thousands of elements: any array is a sequence
            // of anything, and integers are tested in one tight loop rather
            // than by dispatching on the shape for each.
            (Shape::Seq(Shape::Any), Value::Array(_)) => true,
            (Shape::Seq(Shape::Int), Value::Array(items)) => items
                .iter()
                .all(|i| matches!(i, Value::Number(n) if !n.is_f64())),
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

/// One key of a request body and the shape of its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The key.
    pub name: &'static str,
    /// Its value's shape.
    pub shape: Shape,
    /// Whether a request may leave it out.
    pub optional: bool,
}

const fn field(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        optional: false,
    }
}

/// One RPC: the request a client (or a node, for a service) sends, and the
/// reply it expects.
#[derive(Debug, Clone, PartialEq)]
pub struct Rpc {
    /// The request's `type`.
    pub request: &'static str,
    /// What it asks for, and what the reply means.
    pub doc: &'static str,
    /// The request's keys besides `type` and `msg_id`.
    pub fields: &'static [Field],
    /// The reply's closed schema.
    pub reply: ReplySchema,
}

impl Rpc {
    /// The request's keys in the notation of [`ReplySchema::describe`].
    pub fn describe_request(&self) -> String {
        let mut parts = vec![format!("type: {:?}", self.request)];
        parts.push("msg_id: an integer".into());
        parts.extend(self.fields.iter().map(|f| {
            format!(
                "{}{}: {}",
                f.name,
                if f.optional { " (optional)" } else { "" },
                f.shape.describe()
            )
        }));
        format!("{{{}}}", parts.join(", "))
    }
}

/// A workload (what Maelstrom's clients ask a node) or a service (what a
/// node may ask Maelstrom's built-in services) and its RPCs.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// The workload's (`-w`) or the service's (node id) name.
    pub name: &'static str,
    /// What it tests or offers.
    pub doc: &'static str,
    /// Its RPCs.
    pub rpcs: &'static [Rpc],
}

const fn reply(kind: &'static str, fields: &'static [(&'static str, Shape)]) -> ReplySchema {
    ReplySchema { kind, fields }
}

const OFFSET_MSG: Shape = Shape::Tuple(&[Shape::Int, Shape::Any]);
const LIST_READ: Shape = Shape::Tuple(&[Shape::Eq("r"), Shape::Any, Shape::Seq(&Shape::Any)]);
const LIST_APPEND: Shape = Shape::Tuple(&[Shape::Eq("append"), Shape::Any, Shape::Any]);
const RW_READ: Shape = Shape::Tuple(&[Shape::Eq("r"), Shape::Any, Shape::Any]);
const RW_WRITE: Shape = Shape::Tuple(&[Shape::Eq("w"), Shape::Any, Shape::Any]);
/// A read as a request holds it: its value not known yet.
const READ_ASKED: Shape = Shape::Tuple(&[Shape::Eq("r"), Shape::Any, Shape::Null]);

const COUNTER_RPCS: &[Rpc] = &[
    Rpc {
        request: "add",
        doc: "Adds delta to the counter.",
        fields: &[field("delta", Shape::Int)],
        reply: reply("add_ok", &[]),
    },
    Rpc {
        request: "read",
        doc: "Reads the counter's current value.",
        fields: &[],
        reply: reply("read_ok", &[("value", Shape::Int)]),
    },
];

/// Every workload `maelstrom test -w` runs, with its client RPCs.
pub const WORKLOADS: &[Api] = &[
    Api {
        name: "broadcast",
        doc: "A gossip system: values broadcast to any node must reach every node. Clients \
              send topology once per node, then broadcasts and reads; the final reads must \
              hold every acknowledged value.",
        rpcs: &[
            Rpc {
                request: "topology",
                doc: "Suggests which nodes each node should talk to (--topology); nodes may \
                      use it or not.",
                fields: &[field("topology", Shape::MapOf(&Shape::Seq(&Shape::Str)))],
                reply: reply("topology_ok", &[]),
            },
            Rpc {
                request: "broadcast",
                doc: "Sends a value (an integer, unique per test) to be delivered to every node.",
                fields: &[field("message", Shape::Any)],
                reply: reply("broadcast_ok", &[]),
            },
            Rpc {
                request: "read",
                doc: "Returns every value this node has seen.",
                fields: &[],
                reply: reply("read_ok", &[("messages", Shape::Seq(&Shape::Any))]),
            },
        ],
    },
    Api {
        name: "echo",
        doc: "A simple echo: clients send a value and expect it back unchanged.",
        rpcs: &[Rpc {
            request: "echo",
            doc: "Returns echo as it came.",
            fields: &[field("echo", Shape::Any)],
            reply: reply("echo_ok", &[("echo", Shape::Any)]),
        }],
    },
    Api {
        name: "g-counter",
        doc: "An increment-only counter, eventually consistent: adds are non-negative, and \
              the final reads must equal the sum of acknowledged adds (give or take the \
              indefinite ones).",
        rpcs: COUNTER_RPCS,
    },
    Api {
        name: "g-set",
        doc: "A grow-only set: elements added to any node must end up in every node's reads.",
        rpcs: &[
            Rpc {
                request: "add",
                doc: "Adds an element to the set.",
                fields: &[field("element", Shape::Any)],
                reply: reply("add_ok", &[]),
            },
            Rpc {
                request: "read",
                doc: "Returns every element of the set.",
                fields: &[],
                reply: reply("read_ok", &[("value", Shape::Seq(&Shape::Any))]),
            },
        ],
    },
    Api {
        name: "kafka",
        doc: "A replicated log service like Kafka: messages sent to a key get increasing \
              offsets; polls return them in order; consumers commit offsets. Checked for \
              lost, reordered and duplicated messages.",
        rpcs: &[
            Rpc {
                request: "send",
                doc: "Appends msg to the log of key; returns its offset.",
                fields: &[field("key", Shape::Str), field("msg", Shape::Any)],
                reply: reply("send_ok", &[("offset", Shape::Int)]),
            },
            Rpc {
                request: "poll",
                doc: "For each key, messages from the given offset on, as [offset, msg] pairs.",
                fields: &[field("offsets", Shape::MapOf(&Shape::Int))],
                reply: reply(
                    "poll_ok",
                    &[("msgs", Shape::MapOf(&Shape::Seq(&OFFSET_MSG)))],
                ),
            },
            Rpc {
                request: "commit_offsets",
                doc: "Records that messages up to these offsets have been processed.",
                fields: &[field("offsets", Shape::MapOf(&Shape::Int))],
                reply: reply("commit_offsets_ok", &[]),
            },
            Rpc {
                request: "list_committed_offsets",
                doc: "The committed offset of each key asked for (keys never committed may be \
                      left out).",
                fields: &[field("keys", Shape::Seq(&Shape::Str))],
                reply: reply(
                    "list_committed_offsets_ok",
                    &[("offsets", Shape::MapOf(&Shape::Int))],
                ),
            },
        ],
    },
    Api {
        name: "lin-kv",
        doc: "A linearizable key-value store of registers: read, write and compare-and-set. \
              Each key's history must be linearizable. Missing keys are error 20, a cas whose \
              from does not match is error 22.",
        rpcs: &[
            KV_READ,
            KV_WRITE,
            Rpc {
                request: "cas",
                doc: "Sets key to to if its value is from: error 22 (precondition-failed) if it \
                      is not, error 20 if key has no value.",
                fields: &[
                    field("key", Shape::Any),
                    field("from", Shape::Any),
                    field("to", Shape::Any),
                ],
                reply: reply("cas_ok", &[]),
            },
        ],
    },
    Api {
        name: "pn-counter",
        doc: "A counter that goes up and down, eventually consistent: the final reads must \
              equal the sum of acknowledged adds (give or take the indefinite ones).",
        rpcs: COUNTER_RPCS,
    },
    Api {
        name: "txn-list-append",
        doc: "Transactions over lists: each micro-op appends to a key's list or reads it \
              whole. Checked for transactional anomalies (G0, G1a/b/c, G-single, G2...) \
              against --consistency-models.",
        rpcs: &[Rpc {
            request: "txn",
            doc: "Runs the micro-ops in order, as one transaction: [\"append\", k, v] appends \
                  v to k's list, [\"r\", k, null] reads it. The reply repeats them with each \
                  read's list filled in.",
            fields: &[field(
                "txn",
                Shape::Seq(&Shape::Either(&[READ_ASKED, LIST_APPEND])),
            )],
            reply: reply(
                "txn_ok",
                &[("txn", Shape::Seq(&Shape::Either(&[LIST_READ, LIST_APPEND])))],
            ),
        }],
    },
    Api {
        name: "txn-rw-register",
        doc: "Transactions over registers: each micro-op writes a key or reads it. Checked \
              for the anomalies --consistency-models forbid.",
        rpcs: &[Rpc {
            request: "txn",
            doc: "Runs the micro-ops in order, as one transaction: [\"w\", k, v] writes v to \
                  k, [\"r\", k, null] reads it. The reply repeats them with each read's value \
                  filled in (null if k was never written).",
            fields: &[field(
                "txn",
                Shape::Seq(&Shape::Either(&[READ_ASKED, RW_WRITE])),
            )],
            reply: reply(
                "txn_ok",
                &[("txn", Shape::Seq(&Shape::Either(&[RW_READ, RW_WRITE])))],
            ),
        }],
    },
    Api {
        name: "unique-ids",
        doc: "A totally available id generator: every generate gets an id no other request \
              got, even during partitions.",
        rpcs: &[Rpc {
            request: "generate",
            doc: "Returns a new id (any JSON value) unique across the cluster.",
            fields: &[],
            reply: reply("generate_ok", &[("id", Shape::Any)]),
        }],
    },
];

/// A register's read, the same in the lin-kv workload and the KV services.
const KV_READ: Rpc = Rpc {
    request: "read",
    doc: "Returns the value of key; error 20 (key-does-not-exist) if it has none.",
    fields: &[field("key", Shape::Any)],
    reply: reply("read_ok", &[("value", Shape::Any)]),
};

/// A register's write, the same in the lin-kv workload and the KV services.
const KV_WRITE: Rpc = Rpc {
    request: "write",
    doc: "Sets key to value.",
    fields: &[field("key", Shape::Any), field("value", Shape::Any)],
    reply: reply("write_ok", &[]),
};

/// The KV services' RPCs: the workload's, and a cas that may create the key.
const KV_RPCS: &[Rpc] = &[
    KV_READ,
    KV_WRITE,
    Rpc {
        request: "cas",
        doc: "Sets key to to if its value is from: error 22 (precondition-failed) if it is \
              not, error 20 if key has no value, unless create_if_not_exists is true.",
        fields: &[
            field("key", Shape::Any),
            field("from", Shape::Any),
            field("to", Shape::Any),
            Field {
                name: "create_if_not_exists",
                shape: Shape::Any,
                optional: true,
            },
        ],
        reply: reply("cas_ok", &[]),
    },
];

/// The services nodes may call by node id, with their RPCs.
pub const SERVICES: &[Api] = &[
    Api {
        name: "lin-kv",
        doc: "A linearizable key-value store.",
        rpcs: KV_RPCS,
    },
    Api {
        name: "seq-kv",
        doc: "A sequentially consistent key-value store: each client's operations take \
              effect in order, but reads may be stale.",
        rpcs: KV_RPCS,
    },
    Api {
        name: "lww-kv",
        doc: "An eventually consistent key-value store: last write wins, reads may be stale \
              or come from divergent replicas.",
        rpcs: KV_RPCS,
    },
    Api {
        name: "lin-tso",
        doc: "A linearizable timestamp oracle: timestamps 0, 1, 2, ... in real-time order.",
        rpcs: &[Rpc {
            request: "ts",
            doc: "Returns a timestamp greater than every one returned before.",
            fields: &[],
            reply: reply("ts_ok", &[("ts", Shape::Int)]),
        }],
    },
];

/// The workload called `name`.
pub fn workload(name: &str) -> Option<&'static Api> {
    WORKLOADS.iter().find(|w| w.name == name)
}

/// The service called `name`.
pub fn service(name: &str) -> Option<&'static Api> {
    SERVICES.iter().find(|s| s.name == name)
}

/// The reply schema for a workload's request `type`, or `None` if the workload has
/// no such request.
pub fn reply_schema(workload_name: &str, request: &str) -> Option<ReplySchema> {
    workload(workload_name)?
        .rpcs
        .iter()
        .find(|r| r.request == request)
        .map(|r| r.reply.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The sequence shortcuts (any array for `Seq(Any)`, one loop for
    /// `Seq(Int)`) agree with matching every element on its own.
    #[test]
    fn sequence_shortcuts_agree_with_each_element() {
        let arrays = [
            json!([]),
            json!([0, 1, u64::MAX, i64::MIN]),
            json!([1, 2.5]),
            json!([1.0]),
            json!([1, "a"]),
            json!([null, [1], {"a": 1}]),
        ];
        for inner in [&Shape::Any, &Shape::Int, &Shape::Str] {
            for a in &arrays {
                let each = a.as_array().unwrap().iter().all(|v| inner.matches(v));
                assert_eq!(Shape::Seq(inner).matches(a), each, "{a} against {inner:?}");
            }
        }
    }

    #[test]
    fn every_rpc_is_documented_with_a_reply_of_its_own_name() {
        for api in WORKLOADS.iter().chain(SERVICES) {
            assert!(!api.doc.is_empty(), "{}", api.name);
            for rpc in api.rpcs {
                assert!(!rpc.doc.is_empty(), "{} {}", api.name, rpc.request);
                assert_eq!(rpc.reply.kind, format!("{}_ok", rpc.request));
            }
        }
        let echo = &workload("echo").unwrap().rpcs[0];
        assert_eq!(
            echo.describe_request(),
            "{type: \"echo\", msg_id: an integer, echo: any value}"
        );
        let cas = &service("lin-kv").unwrap().rpcs[2];
        assert!(cas
            .describe_request()
            .contains("create_if_not_exists (optional): any value"));
    }
}
