//! Write [Maelstrom](https://github.com/jepsen-io/maelstrom) nodes in Rust.
//!
//! A node is a type implementing [`Node`]: it is built once the harness's `init`
//! arrives ([`Node::from_init`]) and handles each client or peer request with an async
//! [`Node::handle`], which receives the request already parsed into the node's own
//! message type. The [`Context`] passed to every handler replies, sends, makes RPCs
//! with timeouts, runs timers, talks to the KV and TSO services, keeps durable state,
//! and offers a seeded rng and a clock, so that node code never touches stdin/stdout,
//! the wall clock or the runtime's globals and runs unchanged as a process or inside
//! the workbench's deterministic simulation.
//!
//! The library answers `init` itself, runs handlers concurrently (a handler waiting
//! on an RPC never blocks other messages), turns a handler's error into an `error`
//! reply (an [`RpcError`] keeps its code; anything else becomes 13, crash), answers
//! unknown message types with 10 (not supported), and logs malformed input lines
//! without stopping.
//!
//! Handlers log with [`tracing`] (`tracing::info!("...")`): each event becomes a
//! line of the node's log stamped with the node id and the test's clock, in the
//! same format as a process and in simulation (see [`logging`]).
//!
//! # Example: echo
//!
//! ```
//! use maelstrom_node::{Context, Node, Request};
//! use serde::{Deserialize, Serialize};
//! use std::rc::Rc;
//!
//! #[derive(Deserialize)]
//! #[serde(tag = "type", rename_all = "snake_case")]
//! enum Msg {
//!     Echo { echo: serde_json::Value },
//! }
//!
//! #[derive(Serialize)]
//! #[serde(tag = "type", rename_all = "snake_case")]
//! enum Reply {
//!     EchoOk { echo: serde_json::Value },
//! }
//!
//! struct Echo;
//!
//! impl Node for Echo {
//!     type Msg = Msg;
//!
//!     fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
//!         Ok(Echo)
//!     }
//!
//!     async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
//!         let Msg::Echo { echo } = &req.body;
//!         ctx.reply(&req, &Reply::EchoOk { echo: echo.clone() })?;
//!         Ok(())
//!     }
//! }
//!
//! fn main() -> anyhow::Result<()> {
//!     // As a process, for `maelstrom test -w echo --bin ...`:
//!     // maelstrom_node::run::<Echo>()
//!     //
//!     // The same node in the simulation, 10 virtual seconds in milliseconds:
//!     let mut cfg = maelstrom_node::sim::config::<Echo>("echo");
//!     cfg.nodes = maelstrom_node::sim::TestConfig::node_ids(1);
//!     cfg.concurrency = 1;
//!     cfg.time_limit = std::time::Duration::from_secs(10);
//!     let outcome = maelstrom_node::sim::run(cfg)?;
//!     assert_eq!(outcome.valid, maelstrom_node::sim::Validity::Valid);
//!     Ok(())
//! }
//! ```

/// With the `mimalloc` feature, every binary built with this library allocates
/// with mimalloc instead of the system allocator. In simulation the harness
/// and every node share one process and allocate for each message; glibc's
/// malloc and free were the largest single cost of a broadcast test. A binary
/// that sets a `#[global_allocator]` of its own builds without this feature.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: alloc::MiMalloc = alloc::MiMalloc;

#[cfg(feature = "mimalloc")]
mod alloc;

mod context;
mod dispatch;
pub mod host;
mod kv;
pub mod logging;
mod node;
#[cfg(feature = "sim")]
pub mod sim;
mod storage;
mod tasks;

pub use context::{Context, DEFAULT_RPC_TIMEOUT};
pub use host::{Host, Inbound, INBOX_CAPACITY};
pub use kv::{KvClient, TsoClient};
pub use maelstrom_proto as proto;
pub use maelstrom_proto::{Body, Envelope, ErrorCode, RpcError};
pub use node::{Node, Request};
pub use storage::{Storage, StorageBackend};

/// Runs node `N` as a process: JSON lines on stdin and stdout, logs on stderr.
///
/// Installs a `tracing` subscriber that writes the node's events to stderr,
/// stamped with the node id and the test's clock (see [`logging`]), unless the
/// program installed one first.
///
/// Returns when stdin closes and the handlers in flight have finished (or after a
/// grace period). This is what a node binary's `main` calls. Started by
/// `maelstrom test --sim` (with the `sim` feature, on by default), it runs the
/// test it is handed in-process instead (see `sim`).
pub fn run<N: Node>() -> anyhow::Result<()> {
    #[cfg(feature = "sim")]
    sim::take_over_if_asked::<N>();
    logging::init_process();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let (host, stdio) = host::stdio::StdioHost::start();
        let result = serve::<N>(host).await;
        stdio.finish().await;
        result
    })
}

/// Serves node `N` on any [`Host`] until its inbox closes.
///
/// Must run inside a [`tokio::task::LocalSet`] (handlers are spawned with
/// `spawn_local`, so node state need not be `Send`). Tests use it with an in-memory
/// host; the simulation uses it with an in-process one.
pub async fn serve<N: Node>(host: Host) -> anyhow::Result<()> {
    let (inbox, outside) = host.split();
    dispatch::serve::<N>(inbox, outside).await
}
