//! The message envelope: `{src, dest, body}`.

use serde::{Deserialize, Serialize};

use crate::Body;

/// One protocol message.
///
/// Upstream Maelstrom adds a top-level `id` (its internal message number) to what it
/// sends; it is accepted and kept in [`Envelope::id`] but nodes should ignore it.
/// Nodes must not send other top-level keys, so unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Upstream's internal message id; `None` on what nodes send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Sender id: a node (`n1`), a client (`c3`) or a service (`lin-kv`).
    pub src: String,
    /// Recipient id.
    pub dest: String,
    /// The payload.
    pub body: Body,
}

impl Envelope {
    /// A new envelope without an upstream `id`.
    pub fn new(src: impl Into<String>, dest: impl Into<String>, body: Body) -> Self {
        Envelope {
            id: None,
            src: src.into(),
            dest: dest.into(),
            body,
        }
    }

    /// Parses one line of the protocol.
    pub fn parse(line: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(line)
    }

    /// Serialises to one protocol line, without the trailing newline.
    pub fn to_line(&self) -> String {
        // Serialising a Body of JSON values cannot fail: keys are strings.
        serde_json::to_string(self).unwrap_or_default()
    }
}
