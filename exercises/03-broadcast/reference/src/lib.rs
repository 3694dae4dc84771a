//! Reference solution of the broadcast exercise.
//!
//! Design: a hub, batches, acknowledgements.
//!
//! - The topology the harness suggests is acknowledged and ignored. Its grid has
//!   paths of up to ~2·√n hops, too slow for the latency targets at 25 nodes.
//! - The first node of the cluster is the *hub*. A node that learns a value from a
//!   client queues it for the hub; the hub queues every value it learns for every
//!   node except the one it came from. Any value reaches every node in two hops.
//! - Queues are flushed every [`BATCH_WINDOW`]: one `gossip` message per peer
//!   carries everything queued for it. At 25 nodes and 50 broadcasts per second
//!   this sends a few messages per broadcast instead of ~50.
//! - Each `gossip` is an RPC. Values stay owed to a peer until it answers
//!   `gossip_ok`; a batch that times out is queued again (see [`outbox`]). That
//!   is what carries values across partitions: they wait at the last node that
//!   has them and go out once the partition heals.
//!
//! There is no periodic anti-entropy: with acknowledged delivery and nodes that
//! never lose their memory, nothing needs repairing, and every repair round
//! would cost messages.

pub mod outbox;

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::{Context, Node, Request};
use serde::{Deserialize, Serialize};

use outbox::Outbox;

/// How long values wait to be batched before they go out. Two waits lie on a
/// value's path (at its first node, at the hub), so the worst stable latency is
/// about 2 × (window + one network latency).
const BATCH_WINDOW: Duration = Duration::from_millis(60);

/// How long a `gossip` waits for its acknowledgement before its values are
/// queued again. Several round trips at 100 ms latency, so a slow reply is not
/// mistaken for a lost one.
const ACK_TIMEOUT: Duration = Duration::from_millis(1000);

/// Messages from clients and from other nodes.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// The harness's suggested neighbours; accepted and ignored (see above).
    Topology {},
    /// A client asks to broadcast a value.
    Broadcast { message: u64 },
    /// A client asks for every value this node knows.
    Read {},
    /// A peer passes on values; answered with `gossip_ok` once stored.
    Gossip { messages: Vec<u64> },
}

// Each variant answers the request of the same name, hence the shared suffix.
#[allow(clippy::enum_variant_names)]
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply<'a> {
    TopologyOk {},
    BroadcastOk {},
    ReadOk { messages: &'a [u64] },
    GossipOk {},
}

/// A peer-to-peer batch of values.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Peer<'a> {
    Gossip { messages: &'a [u64] },
}

/// The values a node has seen, in the order it learned them: a read answers
/// with the list as it stands, without copying or sorting it.
#[derive(Default)]
struct Seen {
    set: HashSet<u64>,
    in_order: Vec<u64>,
}

impl Seen {
    /// Adds `v`; whether it was new.
    fn insert(&mut self, v: u64) -> bool {
        let new = self.set.insert(v);
        if new {
            self.in_order.push(v);
        }
        new
    }
}

/// The broadcast node.
pub struct Broadcast {
    node_id: String,
    /// The node every value passes through.
    hub: String,
    /// Every value this node has seen.
    seen: RefCell<Seen>,
    /// Values owed to peers.
    outbox: RefCell<Outbox>,
}

impl Broadcast {
    fn is_hub(&self) -> bool {
        self.node_id == self.hub
    }

    /// Stores `values`, and queues the new ones for whoever must hear of them
    /// next. `from` is the peer that sent them, `None` for a client.
    fn learn(&self, ctx: &Context, values: impl IntoIterator<Item = u64>, from: Option<&str>) {
        let new: Vec<u64> = {
            let mut seen = self.seen.borrow_mut();
            values.into_iter().filter(|v| seen.insert(*v)).collect()
        };
        if new.is_empty() {
            return;
        }
        let mut outbox = self.outbox.borrow_mut();
        if self.is_hub() {
            // Fan out to everyone but the sender, who has them already.
            for peer in ctx.peers().filter(|p| Some(*p) != from) {
                outbox.push(peer, new.iter().copied());
            }
        } else if from.is_none() {
            // From a client: the hub spreads it.
            outbox.push(&self.hub, new);
        }
        // From the hub: we are the last hop.
    }

    /// Sends every peer its queued values and requeues a batch that is not
    /// acknowledged in time.
    fn flush(self: &Rc<Self>, ctx: &Context) {
        let batches = self.outbox.borrow_mut().take_batches();
        for (peer, values) in batches {
            let (node, ctx2) = (self.clone(), ctx.clone());
            ctx.spawn(async move {
                let gossip = Peer::Gossip { messages: &values };
                if ctx2
                    .rpc_with_timeout(&peer, &gossip, ACK_TIMEOUT)
                    .await
                    .is_err()
                {
                    node.outbox.borrow_mut().push(&peer, values);
                }
            });
        }
    }
}

impl Node for Broadcast {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        let hub = ctx.node_ids().first().cloned().unwrap_or_default();
        Ok(Broadcast {
            node_id: ctx.node_id().to_string(),
            hub,
            seen: RefCell::default(),
            outbox: RefCell::default(),
        })
    }

    fn start(self: &Rc<Self>, ctx: &Context) {
        let (node, ctx2) = (self.clone(), ctx.clone());
        ctx.every(BATCH_WINDOW, move || {
            node.flush(&ctx2);
            async { Ok(()) }
        });
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        match &req.body {
            Msg::Topology {} => ctx.reply(&req, &Reply::TopologyOk {}),
            Msg::Broadcast { message } => {
                self.learn(&ctx, [*message], None);
                ctx.reply(&req, &Reply::BroadcastOk {})
            }
            Msg::Read {} => ctx.reply(
                &req,
                &Reply::ReadOk {
                    messages: &self.seen.borrow().in_order,
                },
            ),
            Msg::Gossip { messages } => {
                self.learn(&ctx, messages.iter().copied(), Some(&req.src));
                ctx.reply(&req, &Reply::GossipOk {})
            }
        }
    }
}
