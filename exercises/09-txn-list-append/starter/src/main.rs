//! Starter of the txn-list-append exercise. See ../README.md for the task.
//!
//! As it stands the node answers every `txn` with error 10, not supported.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;

/// The messages this node understands.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    // TODO: add the client request `Txn { txn: Vec<(String, u64, serde_json::Value)> }`
    // (micro-ops `["r", key, null]` and `["append", key, element]`).
}

struct Transactor;
// TODO (level a): keep the database, a map from key to list, and run each
// transaction against it in one step (no `.await` between its micro-ops).
// Never change a list in place: build a new one for each append.
// TODO (level b): keep the whole database in lin-kv (`ctx.lin_kv()`) under one
// key, and commit with `cas` from the value you read; a failed cas is error 30.
// TODO (level c): store each list and the map of key -> list id as values
// under fresh ids, and only the map's id under the root key.
// TODO (level d): move those values to `ctx.lww_kv()`, cache them and the
// root, and retry a lost commit instead of failing it.

impl Node for Transactor {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(Transactor)
    }

    async fn handle(self: Rc<Self>, _ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        // TODO: answer `txn` with `txn_ok` and the same micro-ops, each read's
        // `null` replaced by the list read (`null` for a key never appended to).
        match req.body {}
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<Transactor>()
}
