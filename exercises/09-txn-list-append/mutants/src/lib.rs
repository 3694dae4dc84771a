//! Broken txn-list-append nodes, built from the reference's own stages, that
//! `maelstrom grade txn-list-append --bin` must fail (maelstrom-bin's
//! tests/txn_mutants.rs checks it):
//!
//! - [`PerNode`] (binary `txn-list-append-per-node`): level a's node, whose
//!   database lives in its memory. Right on one node; on two, each keeps a
//!   database of its own (`incompatible-order`).
//! - [`StaleReads`] (binary `txn-list-append-stale-reads`): level d's node
//!   without the `cas` that proves a read-only transaction's cached tree is
//!   still current. Serializable, but reads can miss a commit acknowledged
//!   before they began (`G-single-realtime`).

use txn_list_append_reference::optimized::{CachedTransactorWith, Steps};

/// A database in each node's memory.
pub type PerNode = txn_list_append_reference::local::LocalTransactor;

/// Level d's choices, but read-only transactions commit without a `cas`.
pub struct SkipReadOnlyCas;

impl Steps for SkipReadOnlyCas {
    const VALIDATE_READ_ONLY: bool = false;
}

/// Level d's node reading stale trees.
pub type StaleReads = CachedTransactorWith<SkipReadOnlyCas>;
