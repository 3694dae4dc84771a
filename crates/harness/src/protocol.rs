//! Protocol violations: lines a node printed that are not messages it may send.
//!
//! Such a line is the node's fault, not the harness's: the host drops it, keeps
//! reading the node, and records it here. The test goes on; its verdict is
//! invalid, and results.json's `protocol` section says which node printed what.
//! Upstream, by contrast, stops reading that node's stdout for good after the
//! first such line, which then shows up only as timeouts.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use maelstrom_check::Validity;
use maelstrom_proto::LineError;
use serde_json::{json, Value};

use crate::clock::Clock;
use crate::host::MAX_LINE_BYTES;
use crate::net::NetError;

/// How many offending lines results.json keeps, in the order they came.
pub const EXAMPLES: usize = 10;

/// How much of an offending line results.json and the terminal show.
pub const SHOWN_BYTES: usize = 300;

/// Where upstream documents the protocol.
pub const PROTOCOL_DOC: &str = "https://github.com/jepsen-io/maelstrom/blob/main/doc/protocol.md";

/// A kind of violation, as results.json counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The line is not UTF-8.
    NotUtf8,
    /// The line is not JSON.
    NotJson,
    /// The line is JSON but not an envelope (or a client/service body is not a body).
    BadEnvelope,
    /// `src` is not the node's own id.
    WrongSrc,
    /// `dest` is no node, client or service.
    UnknownDest,
    /// The line is longer than [`MAX_LINE_BYTES`].
    LineTooLong,
}

impl Kind {
    /// The name results.json uses.
    pub fn name(self) -> &'static str {
        match self {
            Kind::NotUtf8 => "not-utf8",
            Kind::NotJson => "not-json",
            Kind::BadEnvelope => "bad-envelope",
            Kind::WrongSrc => "wrong-src",
            Kind::UnknownDest => "unknown-dest",
            Kind::LineTooLong => "line-too-long",
        }
    }

    /// The kind named `name` in results.json.
    pub fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::NotUtf8,
            Kind::NotJson,
            Kind::BadEnvelope,
            Kind::WrongSrc,
            Kind::UnknownDest,
            Kind::LineTooLong,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }

    /// What the protocol wants instead, in a sentence or two.
    pub fn rule(self) -> String {
        match self {
            Kind::NotUtf8 | Kind::NotJson => "Every line a node prints to STDOUT must be one \
                JSON message (UTF-8); logging and debugging output belong on STDERR."
                .into(),
            Kind::BadEnvelope => "A message is one JSON object {\"src\": <the node's id>, \
                \"dest\": <an id>, \"body\": {...}} with no other top-level keys; a body sent to \
                a client or a service needs a string \"type\" and integer \"msg_id\" / \
                \"in_reply_to\"."
                .into(),
            Kind::WrongSrc => "A node sends as itself: \"src\" must be its own id, the node_id \
                its init message gave it. Until init is handled the node does not know its id \
                and must send nothing, replies included: handle init before other messages."
                .into(),
            Kind::UnknownDest => "\"dest\" must be a node named in init's node_ids, a client \
                that sent the node a request, or a service (lin-kv, seq-kv, lww-kv, lin-tso)."
                .into(),
            Kind::LineTooLong => format!(
                "The harness reads lines of up to {} MiB; a longer line is skipped unread.",
                MAX_LINE_BYTES >> 20
            ),
        }
    }
}

impl From<&LineError> for Kind {
    fn from(e: &LineError) -> Kind {
        match e {
            LineError::NotJson(_) => Kind::NotJson,
            LineError::BadEnvelope(_) => Kind::BadEnvelope,
            LineError::WrongSrc { .. } => Kind::WrongSrc,
        }
    }
}

/// The violation when the network refuses a message a node sent.
pub fn refused(e: NetError) -> (Kind, String) {
    match e {
        NetError::UnknownDest(dest) => (
            Kind::UnknownDest,
            format!("its dest {dest:?} is no node, client or service of this test"),
        ),
        // The host checked that src is the node's own (registered) id.
        NetError::UnknownSource(src) => (Kind::WrongSrc, format!("its src {src:?} is unknown")),
    }
}

#[derive(Default)]
struct State {
    counts: BTreeMap<String, BTreeMap<Kind, u64>>,
    examples: Vec<Value>,
}

/// The test's record of violations; cheap to clone, single-threaded.
#[derive(Clone)]
pub struct ProtocolLog {
    clock: Clock,
    nodes: Rc<BTreeSet<String>>,
    state: Rc<RefCell<State>>,
}

impl ProtocolLog {
    /// An empty record for a test of `nodes`.
    pub fn new(clock: Clock, nodes: impl IntoIterator<Item = String>) -> Self {
        ProtocolLog {
            clock,
            nodes: Rc::new(nodes.into_iter().collect()),
            state: Rc::default(),
        }
    }

    /// Whether `id` is one of the test's nodes (whose bodies may be any object).
    pub fn is_node(&self, id: &str) -> bool {
        self.nodes.contains(id)
    }

    /// Records that `node` printed `line`, which broke the protocol as `problem` says.
    pub fn record(&self, node: &str, kind: Kind, problem: &str, line: &[u8], line_len: u64) {
        let mut s = self.state.borrow_mut();
        // A node may flood: look the node up before allocating its key.
        if !s.counts.contains_key(node) {
            s.counts.insert(node.to_string(), BTreeMap::new());
        }
        if let Some(kinds) = s.counts.get_mut(node) {
            *kinds.entry(kind).or_default() += 1;
        }
        if s.examples.len() < EXAMPLES {
            s.examples.push(json!({
                "node": node,
                "time": self.clock.now_ns(),
                "kind": kind.name(),
                "problem": problem,
                "line": shown(line, line_len),
            }));
        }
    }

    /// How many violations there were.
    pub fn count(&self) -> u64 {
        self.state
            .borrow()
            .counts
            .values()
            .flat_map(|k| k.values())
            .sum()
    }

    /// The verdict: invalid if any node broke the protocol.
    pub fn validity(&self) -> Validity {
        if self.count() == 0 {
            Validity::Valid
        } else {
            Validity::Invalid
        }
    }

    /// results.json's `protocol` section.
    pub fn to_json(&self) -> Value {
        let s = self.state.borrow();
        let nodes: serde_json::Map<String, Value> = s
            .counts
            .iter()
            .map(|(node, kinds)| {
                let kinds = kinds.iter().map(|(k, n)| (k.name().to_string(), json!(n)));
                (node.clone(), Value::Object(kinds.collect()))
            })
            .collect();
        json!({
            "valid": self.count() == 0,
            "count": self.count(),
            "nodes": nodes,
            "first": s.examples,
        })
    }
}

/// A line as results.json shows it: UTF-8 (invalid bytes replaced), cut after
/// [`SHOWN_BYTES`] with the full length said.
fn shown(line: &[u8], len: u64) -> String {
    let cut = &line[..line.len().min(SHOWN_BYTES)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if len > cut.len() as u64 {
        s.push_str(&format!("... ({len} bytes in all)"));
    }
    s
}

/// The terminal's explanation of results.json's `protocol` section: which node
/// printed which line, what is wrong with it, what the protocol wants, and where
/// it is documented. `None` when no node broke the protocol.
pub fn explain(section: &Value) -> Option<String> {
    let count = section.get("count")?.as_u64()?;
    if count == 0 {
        return None;
    }
    let mut out = format!(
        "Protocol violations: {count} line(s) printed to STDOUT were not messages the node may \
         send. The harness dropped them and kept reading; the test is invalid because of them.\n"
    );
    for (node, kinds) in section["nodes"].as_object().into_iter().flatten() {
        let kinds: Vec<String> = kinds
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        out.push_str(&format!("  {node}: {}\n", kinds.join(", ")));
    }
    // One example per node and kind, the first of each.
    let mut seen = BTreeSet::new();
    for ex in section["first"].as_array().into_iter().flatten() {
        let (node, kind) = (ex["node"].as_str()?, ex["kind"].as_str()?);
        if !seen.insert((node, kind)) {
            continue;
        }
        let secs = ex["time"].as_u64().unwrap_or(0) as f64 / 1e9;
        out.push_str(&format!(
            "\nAt {secs:.3} s node {node} printed this line to STDOUT:\n    {}\nIt was dropped \
             because {}.\n",
            ex["line"].as_str().unwrap_or_default(),
            ex["problem"].as_str().unwrap_or_default(),
        ));
        if let Some(k) = Kind::from_name(kind) {
            out.push_str(&k.rule());
            out.push('\n');
        }
    }
    out.push_str(&format!("\nThe protocol is described in {PROTOCOL_DOC}"));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_count_by_node_and_kind_and_keep_the_first_lines() {
        let log = ProtocolLog::new(Clock::start(), ["n1".to_string(), "n2".to_string()]);
        assert!(log.is_node("n2") && !log.is_node("c1"));
        assert_eq!(log.validity(), Validity::Valid);
        for i in 0..12 {
            log.record("n1", Kind::NotJson, "it is not JSON", b"hello", 5);
            if i == 0 {
                log.record("n2", Kind::WrongSrc, "its src is null", b"{}", 2);
            }
        }
        let long = vec![b'a'; 400];
        log.record("n2", Kind::LineTooLong, "too long", &long, 1 << 30);
        let j = log.to_json();
        assert_eq!(log.validity(), Validity::Invalid);
        assert_eq!(j["count"], 14);
        assert_eq!(j["nodes"]["n1"]["not-json"], 12);
        assert_eq!(j["nodes"]["n2"]["wrong-src"], 1);
        assert_eq!(j["first"].as_array().unwrap().len(), EXAMPLES);
        assert_eq!(j["first"][1]["kind"], "wrong-src");
        let text = explain(&j).unwrap();
        assert!(text.contains("n1: not-json 12"), "{text}");
        assert!(text.contains("because its src is null"), "{text}");
        assert!(text.contains("must be its own id"), "{text}");
        assert!(text.contains(PROTOCOL_DOC), "{text}");
    }

    #[test]
    fn shown_lines_are_cut_and_say_their_length() {
        assert_eq!(shown(b"ab\xff", 3), "ab\u{fffd}");
        let s = shown(&[b'x'; 1024], 100 << 20);
        assert!(s.starts_with(&"x".repeat(SHOWN_BYTES)));
        assert!(s.ends_with("(104857600 bytes in all)"), "{s}");
    }

    #[test]
    fn no_violations_no_explanation() {
        let log = ProtocolLog::new(Clock::start(), Vec::new());
        assert_eq!(explain(&log.to_json()), None);
    }
}
