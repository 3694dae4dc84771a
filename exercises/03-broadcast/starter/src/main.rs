//! Starter of the broadcast exercise. See ../README.md for the task.
//!
//! As it stands the node answers `init` (the library does that) and every other
//! message with error 10, not supported, so the harness stops at `topology`.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;

/// The messages this node understands: client requests and, later, your own
/// node-to-node messages.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    // TODO: add the client requests:
    //   `Topology { topology: BTreeMap<String, Vec<String>> }`,
    //   `Broadcast { message: u64 }` and `Read {}`.
    // TODO: add a message of your own that carries values between nodes.
}

struct Broadcast;
// TODO: keep the values this node has seen (e.g. a `RefCell<BTreeSet<u64>>`),
// and, for levels c to e, what each peer still has to hear about.

impl Node for Broadcast {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(Broadcast)
    }

    // TODO (levels c to e): implement `start` and flush batches of values to
    // peers with `ctx.every(..)`; retry what is not acknowledged.

    async fn handle(self: Rc<Self>, _ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        // TODO: answer `topology` with `topology_ok`, `broadcast` with
        // `broadcast_ok` (after storing and passing on the value) and `read`
        // with `read_ok` listing every value seen, e.g. with `ctx.reply(&req, &...)`.
        match req.body {}
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<Broadcast>()
}
