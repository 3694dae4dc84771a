//! Reference solution of the unique-ids exercise.
//!
//! Every node owns a distinct prefix, its node id, and counts locally: the pair
//! `"<node>-<n>"` is unique without any coordination, so ids keep flowing during
//! partitions (total availability).

use std::cell::Cell;
use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    Generate {},
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    GenerateOk { id: String },
}

struct UniqueIds {
    node_id: String,
    next: Cell<u64>,
}

impl Node for UniqueIds {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        Ok(UniqueIds {
            node_id: ctx.node_id().to_string(),
            next: Cell::new(0),
        })
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Generate {} = req.body;
        let n = self.next.get();
        self.next.set(n + 1);
        let id = format!("{}-{n}", self.node_id);
        ctx.reply(&req, &Reply::GenerateOk { id })
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<UniqueIds>()
}
