//! Starter of the echo exercise. See ../README.md for the task.
//!
//! As it stands the node answers `init` (the library does that) and every other
//! message with error 10, not supported. Make it answer `echo`.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;

/// The messages this node understands.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    // TODO: add the `echo` request, e.g. `Echo { echo: serde_json::Value }`.
}

struct Echo;

impl Node for Echo {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(Echo)
    }

    async fn handle(self: Rc<Self>, _ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        // TODO: answer `echo` with `echo_ok` carrying the same `echo` value,
        // e.g. with `ctx.reply(&req, &...)`.
        match req.body {}
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<Echo>()
}
