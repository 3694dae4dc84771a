//! Node logs through [`tracing`], stamped with the node id and the test's clock.
//!
//! A handler logs with `tracing::info!("...")` (or `warn!`, `debug!`...;
//! [`crate::Context::log`] is a shorthand for `info!`):
//!
//! ```
//! # use maelstrom_node::{Context, Node, Request};
//! # use std::rc::Rc;
//! # #[derive(serde::Deserialize)]
//! # #[serde(tag = "type", rename_all = "snake_case")]
//! # enum Msg { Merge { values: Vec<u64> } }
//! # struct Gossip;
//! impl Node for Gossip {
//!     type Msg = Msg;
//! #   fn from_init(_: &Context) -> anyhow::Result<Self> { Ok(Gossip) }
//!     async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
//!         let Msg::Merge { values } = &req.body;
//!         tracing::info!(size = values.len(), "merged {} values from {}", values.len(), req.src);
//!         Ok(())
//!     }
//! }
//! ```
//!
//! Each event becomes one line of the node's log:
//!
//! ```text
//! 12.034500000  INFO n1: merged 3 values from n2 size=3
//! ```
//!
//! The first column is the test's clock in seconds, to the nanosecond: the
//! `time` field of the test's history.jsonl and messages.jsonl (nanoseconds
//! since the test started) divided by 10^9, so a log line can be put beside
//! the operations and messages around it. Then the level, the node id, the
//! spans the event is in (`name{fields}:`), the message and its fields.
//!
//! - As a process, [`crate::run`] installs a subscriber writing these lines to
//!   stderr, which `maelstrom test` saves in `node-logs/<id>.log`, unless the
//!   program installed its own first. The clock starts at
//!   `MAELSTROM_TEST_START_NS`, the test's start as Unix time in nanoseconds,
//!   which `maelstrom test` passes to every node; without it (a node started by
//!   hand or by upstream's harness) at the process's start.
//! - In simulation every node has a dispatcher of its own, the default while
//!   the harness runs that node's tasks: its lines go to that node's log, on
//!   virtual time.
//!
//! `RUST_LOG` filters events: `info` by default, or `debug`, `warn`, or per
//! target (`info,my_node=debug`).

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::{Event, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// The environment variable with the test's start, Unix time in nanoseconds.
pub const TEST_START_ENV: &str = "MAELSTROM_TEST_START_NS";

/// The environment variable that filters events (`info` when unset).
pub const LOG_FILTER_ENV: &str = "RUST_LOG";

/// The id of the node this process runs, once its `init` has arrived: lines
/// logged before then say `-`.
static PROCESS_NODE_ID: OnceLock<String> = OnceLock::new();

/// Records the node id for a process's log lines.
pub(crate) fn learned_node_id(id: &str) {
    let _ = PROCESS_NODE_ID.set(id.to_string());
}

/// Where a log line's time comes from.
#[derive(Clone, Copy)]
pub(crate) enum TestClock {
    /// A process: the wall clock since the test's start.
    Wall(SystemTime),
    /// In simulation: the harness's (virtual) tokio clock since the start.
    #[cfg_attr(not(feature = "sim"), allow(dead_code))]
    Virtual(tokio::time::Instant),
}

impl TestClock {
    fn elapsed(&self) -> Duration {
        match self {
            TestClock::Wall(start) => SystemTime::now().duration_since(*start).unwrap_or_default(),
            TestClock::Virtual(start) => tokio::time::Instant::now() - *start,
        }
    }

    /// The test's start from [`TEST_START_ENV`], or now.
    fn process() -> Self {
        let start = std::env::var(TEST_START_ENV)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map_or_else(SystemTime::now, |ns| UNIX_EPOCH + Duration::from_nanos(ns));
        TestClock::Wall(start)
    }
}

/// Whose line it is.
#[derive(Clone)]
pub(crate) enum NodeName {
    /// This process's node, known after `init`.
    Process,
    /// A node of the simulation.
    #[cfg_attr(not(feature = "sim"), allow(dead_code))]
    Fixed(String),
}

/// The line format: `<seconds.nanos> <LEVEL> <node>: <spans> <message and fields>`.
pub(crate) struct NodeLine {
    pub clock: TestClock,
    pub node: NodeName,
}

impl<S, N> FormatEvent<S, N> for NodeLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let t = self.clock.elapsed();
        let node = match &self.node {
            NodeName::Process => PROCESS_NODE_ID.get().map_or("-", String::as_str),
            NodeName::Fixed(id) => id,
        };
        write!(
            w,
            "{}.{:09} {:>5} {node}: ",
            t.as_secs(),
            t.subsec_nanos(),
            event.metadata().level()
        )?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                w.write_str(span.name())?;
                let ext = span.extensions();
                if let Some(fields) = ext.get::<FormattedFields<N>>() {
                    if !fields.is_empty() {
                        write!(w, "{{{fields}}}")?;
                    }
                }
                w.write_str(": ")?;
            }
        }
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// The filter [`LOG_FILTER_ENV`] asks for (`info` when unset or unreadable),
/// read once per process.
pub(crate) fn filter() -> Targets {
    static FILTER: OnceLock<Targets> = OnceLock::new();
    FILTER
        .get_or_init(|| {
            let default = Targets::new().with_default(LevelFilter::INFO);
            match std::env::var(LOG_FILTER_ENV) {
                Ok(spec) if !spec.trim().is_empty() => spec.parse().unwrap_or_else(|e| {
                    eprintln!(
                        "maelstrom-node: {LOG_FILTER_ENV}={spec:?} is not a log filter ({e}); logging at info"
                    );
                    default
                }),
                _ => default,
            }
        })
        .clone()
}

/// A process's subscriber: lines to stderr. Does nothing if the program
/// installed a global subscriber of its own first.
pub(crate) fn init_process() {
    let layer = tracing_subscriber::fmt::layer()
        .event_format(NodeLine {
            clock: TestClock::process(),
            node: NodeName::Process,
        })
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
