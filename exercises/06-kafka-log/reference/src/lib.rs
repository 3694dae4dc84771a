//! Reference solution of the kafka-log exercise: append-only logs per key,
//! shared by every node through `lin-kv`.
//!
//! # Design
//!
//! - **Offsets come from lin-kv** (see [`store`]): a `send` takes the next offset
//!   of its key with a `cas` on the key's counter, then stores the message under
//!   its own lin-kv key, and only then answers `send_ok`. Offsets are unique and
//!   increasing per key whichever node a client talks to.
//! - **Every node keeps a local copy** ([`log::Logs`]) of the messages it has
//!   seen: its own sends, messages its peers pass on (`replicate`, fire and
//!   forget), and messages it fetched from lin-kv. Polls are served from it, so a
//!   poll usually costs no lin-kv traffic at all.
//! - **Polls never skip.** A poll returns, per key, the run of consecutive offsets
//!   from the requested one. An offset missing locally but known to be allocated
//!   is fetched from lin-kv; one not stored there yet (its send is still in
//!   flight) ends the run, and a later poll picks it up. Clients therefore never
//!   jump over a message, which is what the checker's lost-write and skip
//!   analyses look for.
//! - **Committed offsets** are advisory: each node keeps the highest committed
//!   offset per key and passes commits on to its peers.

pub mod log;
pub mod store;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use log::Logs;

/// Client requests and peer messages.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Appends `msg` to the log of `key`.
    Send { key: String, msg: Value },
    /// Reads each key's log from the given offset.
    Poll { offsets: BTreeMap<String, u64> },
    /// Records how far a consumer got in each key.
    CommitOffsets { offsets: BTreeMap<String, u64> },
    /// Reports the committed offsets of some keys.
    ListCommittedOffsets { keys: Vec<String> },
    /// A peer stored a message (no reply).
    Replicate {
        key: String,
        offset: u64,
        msg: Value,
    },
    /// A peer recorded commits (no reply).
    Committed { offsets: BTreeMap<String, u64> },
}

// Each variant answers the request of the same name, hence the shared suffix.
#[allow(clippy::enum_variant_names)]
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply<'a> {
    SendOk {
        offset: u64,
    },
    PollOk {
        msgs: BTreeMap<String, Vec<(u64, Value)>>,
    },
    CommitOffsetsOk {},
    ListCommittedOffsetsOk {
        offsets: BTreeMap<&'a str, u64>,
    },
}

/// Messages to peers.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Peer<'a> {
    Replicate {
        key: &'a str,
        offset: u64,
        msg: &'a Value,
    },
    Committed {
        offsets: &'a BTreeMap<String, u64>,
    },
}

/// The kafka-log node.
pub struct KafkaLog {
    logs: RefCell<Logs>,
    committed: RefCell<BTreeMap<String, u64>>,
}

impl KafkaLog {
    async fn send(&self, ctx: &Context, key: &str, msg: Value) -> anyhow::Result<u64> {
        let kv = ctx.lin_kv();
        let guess = self.logs.borrow().frontier(key);
        let offset = store::allocate(&kv, key, guess, |end| {
            self.logs.borrow_mut().saw_allocated(key, end)
        })
        .await?;
        store::put(&kv, key, offset, &msg).await?;
        for peer in ctx.peers() {
            ctx.send(
                peer,
                &Peer::Replicate {
                    key,
                    offset,
                    msg: &msg,
                },
            )?;
        }
        self.logs.borrow_mut().insert(key, offset, msg);
        Ok(offset)
    }

    /// The consecutive messages of `key` from `from` on (see the crate docs).
    async fn read_from(
        &self,
        ctx: &Context,
        key: &str,
        from: u64,
    ) -> anyhow::Result<Vec<(u64, Value)>> {
        let mut run = Vec::new();
        let mut offset = from;
        loop {
            let local = self.logs.borrow().get(key, offset).cloned();
            let msg = match local {
                Some(msg) => msg,
                None if offset < self.logs.borrow().frontier(key) => {
                    match store::get(&ctx.lin_kv(), key, offset).await? {
                        Some(msg) => {
                            self.logs.borrow_mut().insert(key, offset, msg.clone());
                            msg
                        }
                        None => break,
                    }
                }
                None => break,
            };
            run.push((offset, msg));
            offset += 1;
        }
        Ok(run)
    }

    fn commit(&self, offsets: &BTreeMap<String, u64>) {
        let mut committed = self.committed.borrow_mut();
        for (key, offset) in offsets {
            let entry = committed.entry(key.clone()).or_default();
            *entry = (*entry).max(*offset);
        }
    }
}

impl Node for KafkaLog {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(KafkaLog {
            logs: RefCell::default(),
            committed: RefCell::default(),
        })
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        match &req.body {
            Msg::Send { key, msg } => {
                let offset = self.send(&ctx, key, msg.clone()).await?;
                ctx.reply(&req, &Reply::SendOk { offset })
            }
            Msg::Poll { offsets } => {
                let mut msgs = BTreeMap::new();
                for (key, from) in offsets {
                    let run = self.read_from(&ctx, key, *from).await?;
                    if !run.is_empty() {
                        msgs.insert(key.clone(), run);
                    }
                }
                ctx.reply(&req, &Reply::PollOk { msgs })
            }
            Msg::CommitOffsets { offsets } => {
                self.commit(offsets);
                for peer in ctx.peers() {
                    ctx.send(peer, &Peer::Committed { offsets })?;
                }
                ctx.reply(&req, &Reply::CommitOffsetsOk {})
            }
            Msg::ListCommittedOffsets { keys } => {
                let committed = self.committed.borrow();
                let offsets = keys
                    .iter()
                    .filter_map(|k| Some((k.as_str(), *committed.get(k)?)))
                    .collect();
                ctx.reply(&req, &Reply::ListCommittedOffsetsOk { offsets })
            }
            Msg::Replicate { key, offset, msg } => {
                self.logs.borrow_mut().insert(key, *offset, msg.clone());
                Ok(())
            }
            Msg::Committed { offsets } => {
                self.commit(offsets);
                Ok(())
            }
        }
    }
}
