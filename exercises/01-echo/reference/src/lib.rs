//! Reference solution of the echo exercise: answer every `echo` with `echo_ok`
//! carrying the same value.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What clients send.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Echo this value back.
    Echo { echo: Value },
}

/// What we answer.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply<'a> {
    EchoOk { echo: &'a Value },
}

/// The echo node has no state.
pub struct Echo;

impl Node for Echo {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(Echo)
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Echo { echo } = &req.body;
        ctx.reply(&req, &Reply::EchoOk { echo })
    }
}
