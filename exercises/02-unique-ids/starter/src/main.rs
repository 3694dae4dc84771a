//! Starter of the unique-ids exercise. See ../README.md for the task.
//!
//! As it stands the node answers every `generate` with error 10, not supported.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;

/// The messages this node understands.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    // TODO: add the `generate` request: `Generate {}`.
}

struct UniqueIds;

impl Node for UniqueIds {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(UniqueIds)
    }

    async fn handle(self: Rc<Self>, _ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        // TODO: answer `generate` with `generate_ok` and an `id` that no other
        // request, on any node, ever gets. It must work during partitions.
        match req.body {}
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<UniqueIds>()
}
