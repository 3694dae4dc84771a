//! Reference solution of the pn-counter exercise: a PN-counter CRDT replicated
//! by periodic gossip.
//!
//! Every node keeps a full replica ([`crdt::PnCounter`]). An `add` changes only
//! the local replica and is answered at once; a `read` answers from the local
//! replica. Every [`GOSSIP_PERIOD`] each node sends its whole replica to every
//! peer, which merges it. No acknowledgements are needed: the next round carries
//! the same (or newer) state, so a message lost to a partition is simply
//! superseded, and once the network heals every replica converges within a
//! round or two, well inside the 10 s the harness waits before its final reads.
//! Nodes stay available throughout a partition.

pub mod crdt;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::{Context, Node, Request};
use serde::{Deserialize, Serialize};

use crdt::PnCounter as Counter;

/// How often each node sends its replica to every peer. The state is small
/// (two entries per node), so a short period costs little.
const GOSSIP_PERIOD: Duration = Duration::from_millis(500);

/// Client requests and gossip.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Adds a delta, which may be negative.
    Add { delta: i64 },
    /// Reads the counter.
    Read {},
    /// A peer's replica, to merge. Fire and forget: no reply.
    Replicate { counter: Counter },
}

// Each variant answers the request of the same name, hence the shared suffix.
#[allow(clippy::enum_variant_names)]
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    AddOk {},
    ReadOk { value: i64 },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Gossip<'a> {
    Replicate { counter: &'a Counter },
}

/// The pn-counter node.
pub struct PnCounter {
    node_id: String,
    counter: RefCell<Counter>,
}

impl Node for PnCounter {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        Ok(PnCounter {
            node_id: ctx.node_id().to_string(),
            counter: RefCell::default(),
        })
    }

    fn start(self: &Rc<Self>, ctx: &Context) {
        let (node, ctx2) = (self.clone(), ctx.clone());
        ctx.every(GOSSIP_PERIOD, move || {
            let state = node.counter.borrow().clone();
            let sent = ctx2
                .peers()
                .try_for_each(|peer| ctx2.send(peer, &Gossip::Replicate { counter: &state }));
            async move { sent }
        });
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        match &req.body {
            Msg::Add { delta } => {
                self.counter.borrow_mut().add(&self.node_id, *delta);
                ctx.reply(&req, &Reply::AddOk {})
            }
            Msg::Read {} => {
                let value = self.counter.borrow().value();
                ctx.reply(&req, &Reply::ReadOk { value })
            }
            Msg::Replicate { counter } => {
                self.counter.borrow_mut().merge(counter);
                Ok(())
            }
        }
    }
}
