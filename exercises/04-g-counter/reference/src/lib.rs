//! Reference solution of the g-counter exercise: a grow-only counter kept in
//! the `seq-kv` service by nodes that hold no state of their own.
//!
//! # What seq-kv promises, and what it does not
//!
//! seq-kv is *sequentially consistent*: all writes (and successful `cas`es) happen
//! in one total order, but a read may return an old state. Each client (here,
//! each node) sees states in order, never going back; a node's own write or
//! successful `cas` moves it to the newest state. Two naive designs fail:
//!
//! - one shared key with `read` then `write(v + delta)` loses adds that race;
//! - polling reads until the value stops changing can return a stale total
//!   forever (the service is free to keep answering from an old state).
//!
//! # Design
//!
//! - **One key per node** (`"count-n1"`, ...), written only by its node, with a
//!   `cas` loop: read own key, `cas(v, v + delta)`, retry on 22. A node's read of
//!   its own key is never older than its own last successful `cas`, so the loop
//!   sees its own adds; a concurrent add on the same node makes the `cas` fail and
//!   the retry reads again. No add is lost.
//! - **Reads force freshness**: before summing every node's key, the node writes a
//!   fresh random value to its own scratch key (`"sync-n1"`). That write changes
//!   the state, so it moves the node to the newest state; the reads that follow
//!   see every add completed before the read began.

use std::rc::Rc;

use maelstrom_node::{Context, ErrorCode, KvClient, Node, Request, RpcError};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Client requests.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Adds a non-negative delta.
    Add { delta: u64 },
    /// Reads the total.
    Read {},
}

// Each variant answers the request of the same name, hence the shared suffix.
#[allow(clippy::enum_variant_names)]
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    AddOk {},
    ReadOk { value: u64 },
}

/// The g-counter node: no state beyond its identity.
pub struct GCounter {
    /// This node's share of the count.
    count_key: String,
    /// This node's scratch key, written before each read.
    sync_key: String,
    /// Every node's count key.
    all_count_keys: Vec<String>,
}

fn count_key(node: &str) -> String {
    format!("count-{node}")
}

impl GCounter {
    /// Adds `delta` to this node's key; a `cas` that loses a race is retried.
    async fn add(&self, kv: &KvClient, delta: u64) -> Result<(), RpcError> {
        loop {
            let current: u64 = kv.read_or(&self.count_key, 0).await?;
            match kv
                .cas(&self.count_key, &current, &(current + delta), true)
                .await
            {
                Err(e) if e.code == ErrorCode::PreconditionFailed => continue,
                other => return other,
            }
        }
    }

    /// The sum of every node's key, as of a state no older than this call.
    async fn read(&self, ctx: &Context, kv: &KvClient) -> Result<u64, RpcError> {
        // A value nobody wrote before: the write must change the state to move us
        // to the newest one (writing the current value again would not).
        let nonce: u64 = ctx.rng().random();
        kv.write(&self.sync_key, &nonce).await?;
        let mut total = 0;
        for key in &self.all_count_keys {
            total += kv.read_or::<u64>(key, 0).await?;
        }
        Ok(total)
    }
}

impl Node for GCounter {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        Ok(GCounter {
            count_key: count_key(ctx.node_id()),
            sync_key: format!("sync-{}", ctx.node_id()),
            all_count_keys: ctx.node_ids().iter().map(|n| count_key(n)).collect(),
        })
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let kv = ctx.seq_kv();
        match req.body {
            Msg::Add { delta } => {
                self.add(&kv, delta).await?;
                ctx.reply(&req, &Reply::AddOk {})
            }
            Msg::Read {} => {
                let value = self.read(&ctx, &kv).await?;
                ctx.reply(&req, &Reply::ReadOk { value })
            }
        }
    }
}
