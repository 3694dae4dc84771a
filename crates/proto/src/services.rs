//! Typed bodies of the harness's services: `lin-kv`, `seq-kv`, `lww-kv` and `lin-tso`.
//!
//! The KV services speak the [`lin_kv`](crate::workloads::lin_kv) request and response
//! shapes (with `create_if_not_exists` on `cas`); errors are 20 when a key is missing
//! and 22 when a `cas` precondition fails.

use serde::{Deserialize, Serialize};

pub use crate::workloads::lin_kv::{Request as KvRequest, Response as KvResponse};

/// Service node ids, as upstream names them.
pub const LIN_KV: &str = "lin-kv";
/// Sequentially consistent KV service.
pub const SEQ_KV: &str = "seq-kv";
/// Last-write-wins (eventually consistent) KV service.
pub const LWW_KV: &str = "lww-kv";
/// Linearizable timestamp oracle.
pub const LIN_TSO: &str = "lin-tso";

/// `lin-tso` requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TsoRequest {
    /// A new timestamp.
    Ts {},
}

/// `lin-tso` responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TsoResponse {
    /// Timestamps are 0, 1, 2, ... in a linearizable order.
    TsOk {
        /// The timestamp.
        ts: u64,
    },
}
