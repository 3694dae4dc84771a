//! Typed bodies for every workload's client RPCs, with upstream's field names.
//!
//! Each module has a `Request` enum (what a client sends a node) and a `Response`
//! enum (what the node answers), both tagged by the body's `type`. `msg_id` and
//! `in_reply_to` are not part of these types: the [`Body`](crate::Body) carries them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `init`, sent by the harness to every node before anything else.
pub mod init {
    use super::*;

    /// The harness's first message to a node.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Request {
        /// `{"type":"init","node_id":"n1","node_ids":["n1","n2"]}`
        Init {
            /// This node's id.
            node_id: String,
            /// Every node of the test, in the same order for all nodes.
            node_ids: Vec<String>,
        },
    }

    /// The node's answer.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Response {
        /// `{"type":"init_ok"}`
        InitOk {},
    }
}

/// The echo workload.
pub mod echo {
    use super::*;

    /// Client requests.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Request {
        /// Echo this value back.
        Echo {
            /// Any value.
            echo: Value,
        },
    }

    /// Node responses.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Response {
        /// The same value.
        EchoOk {
            /// The request's value, unchanged.
            echo: Value,
        },
    }
}

/// The unique-ids workload.
pub mod unique_ids {
    use super::*;

    /// Client requests.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Request {
        /// Generate a globally unique id.
        Generate {},
    }

    /// Node responses.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Response {
        /// The new id: any JSON value, unique across the cluster.
        GenerateOk {
            /// The id.
            id: Value,
        },
    }
}

/// The broadcast workload.
pub mod broadcast {
    use super::*;

    /// Client requests.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Request {
        /// The neighbours of every node, sent once at setup.
        Topology {
            /// Node id to its neighbours.
            topology: BTreeMap<String, Vec<String>>,
        },
        /// Broadcast a message to every node.
        Broadcast {
            /// The value (upstream sends unique integers).
            message: Value,
        },
        /// Read every message this node has seen.
        Read {},
    }

    /// Node responses.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Response {
        /// Topology accepted.
        TopologyOk {},
        /// Broadcast accepted.
        BroadcastOk {},
        /// The messages seen so far.
        ReadOk {
            /// The messages, in any order.
            messages: Vec<Value>,
        },
    }
}

/// The g-set workload (a grow-only set).
pub mod g_set {
    use super::*;

    /// Client requests.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Request {
        /// Add an element.
        Add {
            /// The element.
            element: Value,
        },
        /// Read the set.
        Read {},
    }

    /// Node responses.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Response {
        /// Element added.
        AddOk {},
        /// The set's elements (the field is `value`, as upstream).
        ReadOk {
            /// The elements.
            value: Vec<Value>,
        },
    }
}

/// The g-counter and pn-counter workloads.
pub mod counter {
    use super::*;

    /// Client requests.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Request {
        /// Add a delta (negative only in pn-counter).
        Add {
            /// The delta.
            delta: i64,
        },
        /// Read the counter.
        Read {},
    }

    /// Node responses.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Response {
        /// Delta added.
        AddOk {},
        /// The counter's value.
        ReadOk {
            /// The value.
            value: i64,
        },
    }
}

/// The lin-kv workload (also the request shapes of the KV services).
pub mod lin_kv {
    use super::*;

    /// Client requests.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Request {
        /// Read a key.
        Read {
            /// The key.
            key: Value,
        },
        /// Write a key.
        Write {
            /// The key.
            key: Value,
            /// The new value.
            value: Value,
        },
        /// Compare and set.
        Cas {
            /// The key.
            key: Value,
            /// The expected current value.
            from: Value,
            /// The new value.
            to: Value,
            /// Services only: create a missing key with `to`.
            #[serde(default, skip_serializing_if = "std::ops::Not::not")]
            create_if_not_exists: bool,
        },
    }

    /// Node responses.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Response {
        /// The key's value.
        ReadOk {
            /// The value.
            value: Value,
        },
        /// Written.
        WriteOk {},
        /// Swapped.
        CasOk {},
    }
}

/// The kafka workload (a replicated log).
pub mod kafka {
    use super::*;

    /// Client requests.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Request {
        /// Append a message to a key's log.
        Send {
            /// The log's key.
            key: String,
            /// The message.
            msg: Value,
        },
        /// Messages from each key starting at the given offsets.
        Poll {
            /// Key to first offset wanted.
            offsets: BTreeMap<String, u64>,
        },
        /// Record consumed offsets.
        CommitOffsets {
            /// Key to offset.
            offsets: BTreeMap<String, u64>,
        },
        /// Committed offsets of some keys.
        ListCommittedOffsets {
            /// The keys.
            keys: Vec<String>,
        },
    }

    /// Node responses.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Response {
        /// The offset the message was stored at.
        SendOk {
            /// The offset.
            offset: u64,
        },
        /// Key to `[offset, msg]` pairs.
        PollOk {
            /// The messages.
            msgs: BTreeMap<String, Vec<(u64, Value)>>,
        },
        /// Offsets committed.
        CommitOffsetsOk {},
        /// Key to committed offset (missing keys omitted).
        ListCommittedOffsetsOk {
            /// The offsets.
            offsets: BTreeMap<String, u64>,
        },
    }
}

/// The txn-list-append and txn-rw-register workloads.
pub mod txn {
    use super::*;

    /// A micro-operation: `["r", key, value-or-null]`, `["w", key, value]` or
    /// `["append", key, value]`.
    pub type MicroOp = (String, Value, Value);

    /// Client requests.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Request {
        /// Run a transaction.
        Txn {
            /// The micro-operations, reads with a null value.
            txn: Vec<MicroOp>,
        },
    }

    /// Node responses.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Response {
        /// The transaction with read values filled in.
        TxnOk {
            /// The completed micro-operations.
            txn: Vec<MicroOp>,
        },
    }
}
