//! Starter of the txn-rw-register exercise. See ../README.md for the task.
//!
//! As it stands the node answers every `txn` with error 10, not supported.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;

/// The messages this node understands.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    // TODO: add the client request `Txn { txn: Vec<(String, u64, Option<i64>)> }`
    // (micro-ops `["r", key, null]` and `["w", key, value]`), and a message of
    // your own that carries a committed transaction's writes to a peer.
}

struct TxnNode;
// TODO: keep a replica of every key. Apply each transaction to it in one step
// (no `.await` between its micro-ops), so no other transaction ever sees half
// of it, and decide how two replicas that applied the same writes in different
// orders end up agreeing.

impl Node for TxnNode {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(TxnNode)
    }

    // TODO: implement `start` and resend what a peer has not acknowledged yet
    // with `ctx.every(..)`: a partition may drop any message.

    async fn handle(self: Rc<Self>, _ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        // TODO: answer `txn` with `txn_ok` and the same micro-ops, each read's
        // `null` replaced by the value read; apply what peers send, and
        // acknowledge it.
        match req.body {}
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<TxnNode>()
}
