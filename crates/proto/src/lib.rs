//! The Maelstrom wire protocol, as upstream Maelstrom speaks it.
//!
//! Every message is one JSON object per line: an [`Envelope`] `{src, dest, body}`
//! whose [`Body`] has the reserved keys `type`, `msg_id` and `in_reply_to` and keeps
//! every other field. Errors carry an [`ErrorCode`] from upstream's registry.
//! [`workloads`] and [`services`] hold typed bodies for every RPC, and [`schema`]
//! lists every workload's and service's RPCs with their schemas and checks a
//! client reply against upstream's closed schemas.
//!
//! ```
//! use maelstrom_proto::{Envelope, ErrorCode};
//! let line = r#"{"id":4,"src":"c1","dest":"n1","body":{"type":"echo","msg_id":1,"echo":"hi"}}"#;
//! let env: Envelope = serde_json::from_str(line).unwrap();
//! assert_eq!(env.body.kind, "echo");
//! assert_eq!(env.body.fields["echo"], "hi");
//! assert!(ErrorCode::from_code(11).is_definite());
//! ```

mod body;
mod body_ser;
mod envelope;
mod error;
pub mod json_out;
mod node_line;
pub mod schema;
pub mod services;
pub mod workloads;

pub use body::Body;
pub use envelope::Envelope;
pub use error::{ErrorCode, RpcError};
pub use node_line::{is_client_id, parse_node_line, LineError};

/// A JSON object: the free-form fields of a body.
pub type Map = serde_json::Map<String, serde_json::Value>;
