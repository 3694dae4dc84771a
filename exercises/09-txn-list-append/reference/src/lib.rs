//! Reference solution of the txn-list-append exercise: a strict-serializable
//! transactional store of lists, built the way Datomic's transactor works and
//! in the order upstream Maelstrom's Datomic chapter builds it. One module per
//! level, each a complete node:
//!
//! - [`local`] (level a): one node, the whole database in its memory;
//! - [`shared`] (level b): the whole database as one value under one lin-kv
//!   key, replaced by compare-and-set;
//! - [`trees`] (level c): the database as a tree of immutable values, each
//!   under a fresh lin-kv key, and one mutable root pointer;
//! - [`optimized`] (level d): the same tree with its values in lww-kv, cached
//!   forever (they never change), and the root cached and updated
//!   speculatively with a retry loop. The binary runs this one.
//!
//! What they share is here: the micro-ops ([`MicroOp`]), the messages, and
//! [`run`], which applies a transaction to a snapshot of the keys it touches
//! without any `.await`, so that how a level stores the database never
//! changes what a transaction means.

pub mod local;
pub mod optimized;
pub mod shared;
pub mod thunks;
pub mod trees;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A key of the workload.
pub type Key = u64;

/// A key's value: the list of elements appended to it, in order.
pub type List = Vec<i64>;

/// The values of some keys as of one state of the database; a key missing
/// here was never appended to.
pub type Snapshot = BTreeMap<Key, List>;

/// One micro-op. On the wire a triple: `["r", k, null]` (a read, answered
/// with the list read, or `null` for a key never appended to) or
/// `["append", k, v]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "(String, Key, Value)", into = "(String, Key, Value)")]
pub enum MicroOp {
    /// A read, with what it saw once done.
    Read(Key, Option<List>),
    /// An append of one element.
    Append(Key, i64),
}

impl MicroOp {
    /// The key the micro-op is about.
    pub fn key(&self) -> Key {
        match self {
            MicroOp::Read(k, _) | MicroOp::Append(k, _) => *k,
        }
    }
}

impl TryFrom<(String, Key, Value)> for MicroOp {
    type Error = String;

    fn try_from((f, k, v): (String, Key, Value)) -> Result<Self, String> {
        match (f.as_str(), v) {
            // A request's reads carry null; a list is accepted too, so that
            // a completed transaction reads back as it was sent.
            ("r", v) => Ok(MicroOp::Read(
                k,
                serde_json::from_value(v).map_err(|e| format!("read of {k}: {e}"))?,
            )),
            ("append", v) => Ok(MicroOp::Append(
                k,
                serde_json::from_value(v).map_err(|e| format!("append to {k}: {e}"))?,
            )),
            (f, _) => Err(format!("unknown micro-op {f:?}")),
        }
    }
}

impl From<MicroOp> for (String, Key, Value) {
    fn from(op: MicroOp) -> Self {
        match op {
            MicroOp::Read(k, v) => ("r".into(), k, serde_json::json!(v)),
            MicroOp::Append(k, v) => ("append".into(), k, Value::from(v)),
        }
    }
}

/// The client's request, the only message these nodes receive.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// A transaction to run.
    Txn {
        /// Its micro-ops, reads unfilled.
        txn: Vec<MicroOp>,
    },
}

/// The answer to a committed transaction.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The transaction with every read filled in.
    TxnOk {
        /// Its micro-ops, reads completed.
        txn: Vec<MicroOp>,
    },
}

/// The keys `txn` touches, each once: what a snapshot must hold to run it.
pub fn keys_of(txn: &[MicroOp]) -> Vec<Key> {
    let mut keys: Vec<Key> = txn.iter().map(MicroOp::key).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Runs `txn` against `snapshot` (which must hold every key of [`keys_of`]
/// that exists): fills in each read (a read after the transaction's own
/// appends sees them) and returns the completed micro-ops with the new value
/// of every key the transaction appended to. Pure: the snapshot is not
/// changed, and each new list is a copy, so no earlier reader's list ever
/// changes under it (the chapter's first bug).
pub fn run(txn: &[MicroOp], snapshot: &Snapshot) -> (Vec<MicroOp>, Snapshot) {
    let mut written = Snapshot::new();
    let mut done = Vec::with_capacity(txn.len());
    for op in txn {
        match op {
            MicroOp::Read(k, _) => {
                let seen = written.get(k).or_else(|| snapshot.get(k)).cloned();
                done.push(MicroOp::Read(*k, seen));
            }
            MicroOp::Append(k, v) => {
                let list = written
                    .entry(*k)
                    .or_insert_with(|| snapshot.get(k).cloned().unwrap_or_default());
                list.push(*v);
                done.push(op.clone());
            }
        }
    }
    (done, written)
}

/// Ids for immutable values, unique across the cluster: the node's id, a
/// tag of this life of the node, and a counter (the chapter's `IDGen`). The
/// tag matters if a node restarts (`--nemesis kill`): its counter starts
/// over, and without the tag a new thunk would overwrite an old one that a
/// committed tree still names.
#[derive(Debug)]
pub struct IdGen {
    prefix: String,
    next: std::cell::Cell<u64>,
}

impl IdGen {
    /// Ids of node `node` in the life tagged `life` (draw it from the
    /// node's rng, which each life seeds anew), from 0.
    pub fn new(node: &str, life: u32) -> IdGen {
        IdGen {
            prefix: format!("{node}-{life:08x}"),
            next: std::cell::Cell::new(0),
        }
    }

    /// A new id, never handed out before by any node.
    pub fn fresh(&self) -> String {
        let i = self.next.get();
        self.next.set(i + 1);
        format!("{}-{i}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(json: &str) -> Vec<MicroOp> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn micro_ops_read_and_write_upstreams_triples() {
        let ops = txn(r#"[["r", 1, null], ["append", 1, 6], ["r", 2, [1, 2]]]"#);
        assert_eq!(
            ops,
            vec![
                MicroOp::Read(1, None),
                MicroOp::Append(1, 6),
                MicroOp::Read(2, Some(vec![1, 2]))
            ]
        );
        assert_eq!(
            serde_json::to_string(&ops).unwrap(),
            r#"[["r",1,null],["append",1,6],["r",2,[1,2]]]"#
        );
        assert!(serde_json::from_str::<Vec<MicroOp>>(r#"[["w", 1, 2]]"#).is_err());
    }

    #[test]
    fn reads_see_the_snapshot_then_the_transactions_own_appends() {
        let snapshot = Snapshot::from([(9, vec![1, 2])]);
        let (done, written) = run(
            &txn(
                r#"[["r", 9, null], ["append", 9, 3], ["append", 9, 4], ["r", 9, null], ["r", 5, null]]"#,
            ),
            &snapshot,
        );
        assert_eq!(done[0], MicroOp::Read(9, Some(vec![1, 2])));
        assert_eq!(done[3], MicroOp::Read(9, Some(vec![1, 2, 3, 4])));
        assert_eq!(done[4], MicroOp::Read(5, None));
        assert_eq!(written, Snapshot::from([(9, vec![1, 2, 3, 4])]));
        // The snapshot is untouched: the first read's list is not the one
        // the appends grew.
        assert_eq!(snapshot[&9], vec![1, 2]);
    }

    #[test]
    fn keys_are_listed_once_in_order() {
        let ops = txn(r#"[["append", 3, 1], ["r", 1, null], ["r", 3, null]]"#);
        assert_eq!(keys_of(&ops), vec![1, 3]);
    }

    #[test]
    fn ids_are_the_nodes_own() {
        let ids = IdGen::new("n1", 0xbeef);
        assert_eq!(
            (ids.fresh(), ids.fresh()),
            ("n1-0000beef-0".into(), "n1-0000beef-1".into())
        );
    }
}
