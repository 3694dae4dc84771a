//! Broadcast nodes with one deliberate bug each, for the project's own tests:
//! the grader must fail them, in simulation and as processes.
//!
//! - [`NoRetry`] sends each value once to every peer and forgets it: values
//!   sent into a partition are never delivered.
//! - [`FirstOfBatch`] batches values per peer with acknowledged, retried
//!   RPCs, but the receiver acknowledges a whole batch and keeps only its
//!   first value.
//!
//! Both look fine on a healthy network at low rates, which is why the grader's
//! verdicts on them matter.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::{Context, Node, Request};
use serde::{Deserialize, Serialize};

/// How often [`FirstOfBatch`] flushes its queues: long enough that batches
/// often carry several values, as a learner batching to save messages would.
const BATCH_WINDOW: Duration = Duration::from_millis(500);
/// How long [`FirstOfBatch`] waits for a batch's acknowledgement.
const ACK_TIMEOUT: Duration = Duration::from_millis(1000);

/// Messages from clients and peers.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Suggested neighbours: acknowledged, ignored (every node talks to all).
    Topology {},
    /// A client's new value.
    Broadcast { message: u64 },
    /// A client asks for every value known here.
    Read {},
    /// Values from a peer.
    Gossip { messages: Vec<u64> },
}

// Each variant answers the request of the same name.
#[allow(clippy::enum_variant_names)]
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply<'a> {
    TopologyOk {},
    BroadcastOk {},
    ReadOk { messages: &'a [u64] },
    GossipOk {},
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Peer<'a> {
    Gossip { messages: &'a [u64] },
}

/// What both nodes share: the values seen, and the answers to clients.
#[derive(Default)]
struct Seen(RefCell<BTreeSet<u64>>);

impl Seen {
    /// Answers topology and read: true when it did, false when the request
    /// is the node's own to handle.
    fn answer_common(&self, ctx: &Context, req: &Request<Msg>) -> anyhow::Result<bool> {
        match &req.body {
            Msg::Topology {} => ctx.reply(req, &Reply::TopologyOk {})?,
            Msg::Read {} => {
                let messages: Vec<u64> = self.0.borrow().iter().copied().collect();
                ctx.reply(
                    req,
                    &Reply::ReadOk {
                        messages: &messages,
                    },
                )?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Gossips each value once, unacknowledged: lost in any partition.
#[derive(Default)]
pub struct NoRetry {
    seen: Seen,
}

impl Node for NoRetry {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(NoRetry::default())
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        if self.seen.answer_common(&ctx, &req)? {
            return Ok(());
        }
        match &req.body {
            Msg::Broadcast { message } => {
                if self.seen.0.borrow_mut().insert(*message) {
                    for peer in ctx.peers() {
                        // The bug: sent once, never acknowledged or retried.
                        ctx.send(
                            peer,
                            &Peer::Gossip {
                                messages: &[*message],
                            },
                        )?;
                    }
                }
                ctx.reply(&req, &Reply::BroadcastOk {})
            }
            Msg::Gossip { messages } => {
                self.seen.0.borrow_mut().extend(messages.iter().copied());
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Batches per peer and retries until acknowledged, but keeps only the first
/// value of each batch it receives.
#[derive(Default)]
pub struct FirstOfBatch {
    seen: Seen,
    queued: RefCell<BTreeMap<String, BTreeSet<u64>>>,
}

impl FirstOfBatch {
    fn flush(self: &Rc<Self>, ctx: &Context) {
        let queued = std::mem::take(&mut *self.queued.borrow_mut());
        for (peer, values) in queued.into_iter().filter(|(_, v)| !v.is_empty()) {
            let values: Vec<u64> = values.into_iter().collect();
            let (node, ctx2) = (self.clone(), ctx.clone());
            ctx.spawn(async move {
                let gossip = Peer::Gossip { messages: &values };
                if ctx2
                    .rpc_with_timeout(&peer, &gossip, ACK_TIMEOUT)
                    .await
                    .is_err()
                {
                    node.queued
                        .borrow_mut()
                        .entry(peer)
                        .or_default()
                        .extend(values);
                }
            });
        }
    }
}

impl Node for FirstOfBatch {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(FirstOfBatch::default())
    }

    fn start(self: &Rc<Self>, ctx: &Context) {
        let (node, ctx2) = (self.clone(), ctx.clone());
        ctx.every(BATCH_WINDOW, move || {
            node.flush(&ctx2);
            async { Ok(()) }
        });
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        if self.seen.answer_common(&ctx, &req)? {
            return Ok(());
        }
        match &req.body {
            Msg::Broadcast { message } => {
                if self.seen.0.borrow_mut().insert(*message) {
                    let mut queued = self.queued.borrow_mut();
                    for peer in ctx.peers() {
                        queued.entry(peer.to_string()).or_default().insert(*message);
                    }
                }
                ctx.reply(&req, &Reply::BroadcastOk {})
            }
            Msg::Gossip { messages } => {
                // The bug: the whole batch is acknowledged, one value kept.
                if let Some(first) = messages.first() {
                    self.seen.0.borrow_mut().insert(*first);
                }
                ctx.reply(&req, &Reply::GossipOk {})
            }
            _ => Ok(()),
        }
    }
}
