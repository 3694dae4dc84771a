//! Starter of the g-counter exercise. See ../README.md for the task.
//!
//! As it stands the node answers every `add` and `read` with error 10, not
//! supported. Keep no count in the node: the count lives in `seq-kv`
//! (`ctx.seq_kv()`), and seq-kv may answer reads from an old state.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;

/// The messages this node understands.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    // TODO: add the client requests `Add { delta: u64 }` and `Read {}`.
}

struct GCounter;

impl Node for GCounter {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(GCounter)
    }

    async fn handle(self: Rc<Self>, _ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        // TODO: `add`: add `delta` to the count in seq-kv without losing a
        // concurrent add (`kv.cas(..)` fails with 22 when someone got there first),
        // then answer `add_ok`.
        // TODO: `read`: answer `read_ok` with the count. The final read of each
        // node must see every add: think about what makes seq-kv answer from
        // its newest state.
        match req.body {}
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<GCounter>()
}
