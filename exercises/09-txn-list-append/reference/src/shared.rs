//! Level b: shared state. Every node runs transactions against one database
//! kept in lin-kv, as a single value under one key ([`DB_KEY`]): a list of
//! `[key, list]` pairs. A transaction reads that value, runs against it in
//! memory, and installs the result with a compare-and-set from the value it
//! read. lin-kv is linearizable, so the database as a whole is one
//! linearizable object, and a transaction's effects happen atomically at its
//! CAS: strict serializability. If another transaction got there first, the
//! CAS fails and this one has changed nothing, which error 30 (txn-conflict)
//! tells the client.
//!
//! A read-only transaction needs no CAS: the value it read was the current
//! database at the moment lin-kv served the read, a moment inside the
//! transaction's own lifetime, so that is where it takes effect.
//!
//! Keeping each key under a lin-kv key of its own would not do: the reads
//! and CASes of two transactions interleave key by key, and the chapter's
//! checker finds G1b, G-single and internal anomalies.

use std::rc::Rc;

use maelstrom_node::{Context, ErrorCode, Node, Request, RpcError};
use tokio::sync::Mutex;

use crate::{run, Key, List, Msg, Reply, Snapshot};

/// The lin-kv key holding the whole database.
pub const DB_KEY: &str = "db";

/// The transactor on one shared lin-kv value.
pub struct SharedTransactor {
    /// Held for a whole transaction: two transactions of the same node would
    /// only make each other's CAS fail.
    turn: Mutex<()>,
}

/// Maps an error of the CAS that would commit a transaction to the client's
/// error: a failed precondition changed nothing (30, definite); anything
/// else (a timeout) may have committed it (13, indefinite).
pub fn commit_error(e: RpcError) -> RpcError {
    if e.code == ErrorCode::PreconditionFailed {
        RpcError::txn_conflict("another transaction committed first; nothing was written")
    } else {
        RpcError::crash(format!("the commit's outcome is unknown: {}", e.text))
    }
}

/// Maps an error before the commit: nothing was written (11, definite).
pub fn before_commit(e: RpcError) -> RpcError {
    RpcError::temporarily_unavailable(format!("could not read the database: {}", e.text))
}

impl Node for SharedTransactor {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(SharedTransactor {
            turn: Mutex::new(()),
        })
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body;
        let _turn = self.turn.lock().await;
        let kv = ctx.lin_kv();
        // Pairs, not a JSON object: object keys are strings, ours integers.
        let before: Vec<(Key, List)> = kv
            .read_or(&DB_KEY, Vec::new())
            .await
            .map_err(before_commit)?;
        let db: Snapshot = before.iter().cloned().collect();
        let (done, written) = run(txn, &db);
        if !written.is_empty() {
            let mut after = db;
            after.extend(written);
            let after: Vec<(Key, List)> = after.into_iter().collect();
            // From exactly what was read (a missing database reads as [] and
            // is created by the CAS), so any commit in between fails it.
            kv.cas(&DB_KEY, &before, &after, true)
                .await
                .map_err(commit_error)?;
        }
        ctx.reply(&req, &Reply::TxnOk { txn: done })
    }
}
