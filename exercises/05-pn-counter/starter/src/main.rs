//! Starter of the pn-counter exercise. See ../README.md for the task.
//!
//! As it stands the node answers every `add` and `read` with error 10, not
//! supported.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;

/// The messages this node understands.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    // TODO: add the client requests `Add { delta: i64 }` (deltas may be
    // negative) and `Read {}`, and a message of your own that carries a
    // node's state to its peers.
}

struct PnCounter;
// TODO: keep a replica of the counter that can be merged with a peer's without
// losing or double-counting anything, whatever the order messages arrive in.

impl Node for PnCounter {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(PnCounter)
    }

    // TODO: implement `start` and send your state to every peer periodically
    // with `ctx.every(..)`.

    async fn handle(self: Rc<Self>, _ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        // TODO: answer `add` with `add_ok` and `read` with `read_ok` and the
        // counter's `value`; merge what peers send.
        match req.body {}
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<PnCounter>()
}
