//! Starter of the Raft exercise's lin-kv node. See ../README.md for the task.
//!
//! The wiring between the node library and your core is done: a timer ticks the
//! core, peer messages (`type: "raft"`) are stepped into it, and what it produces is
//! sent. What is missing is the key-value store on top: as it stands, `read`,
//! `write` and `cas` are answered with error 10 (not supported) by the library,
//! because `Msg` does not list them.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::{Context, Node, Request, Storage};
use raft_kv_reference::{NodeId, Persister, RaftCore, Setup, Timing};
use raft_kv_starter::{Message, Raft};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    /// A message between Raft cores.
    Raft { rpc: Message },
    // TODO: `read {key}`, `write {key, value}`, `cas {key, from, to}`.
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out<'a> {
    Raft { rpc: &'a Message },
    // TODO: `read_ok {value}`, `write_ok`, `cas_ok`.
}

/// Keeps the core's durable state in the node library's storage.
struct StoragePersister(Storage);

impl Persister for StoragePersister {
    fn save(&mut self, state: Value) {
        if let Err(e) = self.0.put("raft", &state) {
            eprintln!("raft-kv: cannot save durable state: {e:#}");
            std::process::exit(1);
        }
    }

    fn load(&self) -> Option<Value> {
        self.0.get("raft")
    }
}

struct RaftKv {
    ids: Vec<String>,
    core: RefCell<Raft>,
    // TODO: the key-value map, and the client requests waiting for their entry
    // to be applied (by index, with the term they were proposed in).
}

impl RaftKv {
    /// Sends what the core produced and applies what it committed.
    ///
    /// TODO (stage 4): first load `core.take_snapshot()` into the map, if any; and
    /// every hundred or so applied entries hand the map to `core.compact(index,
    /// data)` so the log stays short.
    fn flush(&self, ctx: &Context) -> anyhow::Result<()> {
        let (outbox, applied) = {
            let mut core = self.core.borrow_mut();
            (core.take_outbox(), core.take_applied())
        };
        for out in outbox {
            ctx.send(&self.ids[out.to], &Out::Raft { rpc: &out.msg })?;
        }
        for entry in applied {
            // TODO: apply the command to the map; answer the waiting request, if
            // this node has one for this index (careful: if the entry's term is not
            // the one the request was proposed in, its entry was replaced).
            let _ = entry;
        }
        Ok(())
    }

    fn index_of(&self, id: &str) -> Option<NodeId> {
        self.ids.iter().position(|i| i == id)
    }
}

impl Node for RaftKv {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        let ids = ctx.node_ids().to_vec();
        let id = ids
            .iter()
            .position(|i| i == ctx.node_id())
            .ok_or_else(|| anyhow::anyhow!("{} is not among node_ids", ctx.node_id()))?;
        let seed: u64 = ctx.rng().random();
        let core = Raft::new(Setup {
            id,
            cluster_size: ids.len(),
            timing: Timing::default(),
            rng: StdRng::seed_from_u64(seed),
            persister: Box::new(StoragePersister(ctx.storage().clone())),
        });
        Ok(RaftKv {
            ids,
            core: RefCell::new(core),
        })
    }

    fn start(self: &Rc<Self>, ctx: &Context) {
        let node = self.clone();
        let tick_ctx = ctx.clone();
        ctx.every(Duration::from_millis(10), move || {
            let node = node.clone();
            let ctx = tick_ctx.clone();
            async move {
                let now = ctx.now().as_millis() as u64;
                node.core.borrow_mut().tick(now);
                node.flush(&ctx)
            }
        });
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        match req.body {
            Msg::Raft { rpc } => {
                if let Some(from) = self.index_of(&req.src) {
                    self.core.borrow_mut().step(from, rpc);
                    self.flush(&ctx)?;
                }
                Ok(())
            } // TODO: propose client requests on the leader and answer them when
              // applied; elsewhere answer 11 (temporarily unavailable) or forward
              // (by a request id that survives restarts; apply each request once).
        }
    }
}

fn main() -> anyhow::Result<()> {
    maelstrom_node::run::<RaftKv>()
}
