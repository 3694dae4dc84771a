//! Reference solution of the unique-ids exercise.
//!
//! Every node owns a distinct prefix, its node id, and counts locally: the id
//! `"<node>-<generation>-<n>"` is unique without any coordination, so ids keep
//! flowing during partitions (total availability). The generation is bumped in
//! durable storage each time the node starts, so a node that crashes and restarts
//! (`--nemesis kill`) never hands out an id of its previous life.

use std::cell::Cell;
use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::{Deserialize, Serialize};

/// What clients send.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Asks for a new id.
    Generate {},
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    GenerateOk { id: String },
}

/// The node: a prefix unique to this node and this life of it, and a counter.
pub struct UniqueIds {
    /// `"<node>-<generation>"`: unique per node and per life of the node.
    prefix: String,
    next: Cell<u64>,
}

impl Node for UniqueIds {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        let generation = ctx.storage().get::<u64>("generation").unwrap_or(0) + 1;
        // Saved before any id of this generation goes out.
        ctx.storage().put("generation", &generation)?;
        Ok(UniqueIds {
            prefix: format!("{}-{generation}", ctx.node_id()),
            next: Cell::new(0),
        })
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Generate {} = req.body;
        let n = self.next.get();
        self.next.set(n + 1);
        let id = format!("{}-{n}", self.prefix);
        ctx.reply(&req, &Reply::GenerateOk { id })
    }
}
