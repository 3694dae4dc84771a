//! Library nodes inside the harness: deterministic simulation on virtual time.
//!
//! Two ways in:
//!
//! - `maelstrom test --sim --bin PATH --seed N ...`: the `maelstrom` binary asks
//!   PATH whether it is built with this library and hands it the test, parsed
//!   and serialised; [`crate::run`] notices and runs that test (or sweep) in
//!   process, and nothing else (see [`maelstrom_harness::handoff`]).
//! - From Rust, in the node's own crate: [`config`] gives a
//!   [`TestConfig`] with upstream's defaults and these nodes, and [`run`] runs it
//!   on a paused clock:
//!
//! ```no_run
//! # use maelstrom_node::{Context, Node, Request};
//! # use std::rc::Rc;
//! # #[derive(serde::Deserialize)] #[serde(tag = "type")] enum Msg {}
//! # struct MyNode;
//! # impl Node for MyNode {
//! #     type Msg = Msg;
//! #     fn from_init(_: &Context) -> anyhow::Result<Self> { Ok(MyNode) }
//! #     async fn handle(self: Rc<Self>, _: Context, r: Request<Msg>) -> anyhow::Result<()> { match r.body {} }
//! # }
//! use maelstrom_node::sim;
//! use std::time::Duration;
//!
//! for seed in 0..100 {
//!     let mut cfg = sim::config::<MyNode>("broadcast");
//!     cfg.seed = seed;
//!     cfg.time_limit = Duration::from_secs(20);
//!     cfg.rate = 10.0;
//!     let outcome = sim::run(cfg).expect("the test ran");
//!     assert_eq!(outcome.valid, sim::Validity::Valid, "seed {seed}");
//! }
//! ```
//!
//! Every node runs on the harness's thread, its rng seeded from the test's seed
//! (and its boot count, so a restarted node draws anew), its clock the harness's
//! paused tokio clock, its durable storage kept by the harness across crashes
//! and restarts. A paused node is frozen whole, as a stopped process is: none of
//! its tasks runs until it resumes, and then its clock has jumped.

use std::marker::PhantomData;
use std::rc::Rc;

pub use maelstrom_harness::host::{NodeChannels, NodeFactory, NodeLog};
pub use maelstrom_harness::{
    HarnessError, LatencyDist, NodeProgram, Outcome, TestConfig, Topology, Validity,
};
use tokio::task::JoinHandle;

use crate::host::{Inbox, Outbox, Outside};
use crate::logging::{NodeLine, NodeName, TestClock};
use crate::{Node, StorageBackend};

/// Starts nodes of type `N` in-process, each served by the library as a process
/// would be.
pub struct LibraryNodes<N>(PhantomData<N>);

impl<N> Default for LibraryNodes<N> {
    fn default() -> Self {
        LibraryNodes(PhantomData)
    }
}

impl<N: Node> NodeFactory for LibraryNodes<N> {
    fn start(&self, channels: NodeChannels) -> JoinHandle<()> {
        let NodeChannels {
            id,
            inbox,
            outbox,
            seed,
            storage,
            log: _,
        } = channels;
        // The runtime reads the harness's unbounded channel itself: the
        // bounded inbox of a `Host` is there for backpressure on stdin, which
        // the simulation does not have.
        let outside = Outside {
            outbox: Outbox::Network(outbox),
            seed,
            storage: StorageBackend::Memory(storage),
        };
        // One task, so that aborting it (a crash) stops the node, whose own
        // tasks stop when `serve`'s future is dropped.
        tokio::task::spawn_local(async move {
            if let Err(e) = crate::dispatch::serve::<N>(Inbox::Network(inbox), outside).await {
                tracing::error!("node {id} stopped: {e:#}");
            }
        })
    }

    /// Each node's events go to its own log, stamped with its id and the
    /// test's virtual clock, in the same format as a process's stderr.
    fn log_dispatch(&self, log: &NodeLog) -> Option<tracing::Dispatch> {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::Layer;
        let layer = tracing_subscriber::fmt::layer()
            .event_format(NodeLine {
                clock: TestClock::Virtual(log.test_start()),
                node: NodeName::Fixed(log.id().to_string()),
            })
            .with_writer(LogWriter(log.clone()))
            .with_filter(crate::logging::filter());
        Some(tracing::Dispatch::new(
            tracing_subscriber::registry().with(layer),
        ))
    }
}

/// Hands each formatted line to the node's log.
struct LogWriter(NodeLog);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        LineWriter(&self.0)
    }
}

/// The formatting layer writes each event with a single `write_all` of the
/// whole line, so every `write` is one line.
struct LineWriter<'a>(&'a NodeLog);

impl std::io::Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = String::from_utf8_lossy(buf);
        self.0.write_line(line.strip_suffix('\n').unwrap_or(&line));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn library_nodes<N: Node>() -> Rc<dyn NodeFactory> {
    Rc::new(LibraryNodes::<N>::default())
}

/// Upstream's defaults for `workload`, with nodes of type `N` and no store on disk.
pub fn config<N: Node>(workload: &str) -> TestConfig {
    let mut cfg = TestConfig::new(workload, NodeProgram::InProcess(library_nodes::<N>()));
    cfg.store_root = None;
    cfg
}

/// Runs a test on a fresh single-threaded runtime whose clock is paused: virtual
/// time jumps ahead whenever every task waits, so a 60 s test takes well under a
/// second, and the same config (seed included) gives the same run. See
/// [`maelstrom_harness::run_simulated`].
pub fn run(cfg: TestConfig) -> Result<Outcome, HarnessError> {
    maelstrom_harness::run_simulated(cfg)
}

/// If this process was started by `maelstrom test --sim` (or its probe), does
/// what was asked and exits; otherwise returns.
pub(crate) fn take_over_if_asked<N: Node>() {
    if let Some(code) = maelstrom_harness::handoff::serve_if_asked(library_nodes::<N>) {
        std::process::exit(code);
    }
}
