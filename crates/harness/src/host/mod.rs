//! Node hosts: what stands behind a node id on the network.
//!
//! A host pumps envelopes between the [`Net`] and a node, and reports faults
//! (the node died) on a channel the run loop watches. What a node sends that
//! breaks the protocol (garbage, a wrong `src`, an unknown `dest`) is the node's
//! fault, not the harness's: the host drops it, records it in the test's
//! [`ProtocolLog`] and goes on. The network, clients and services never learn which kind of
//! host a node has. Two kinds exist:
//!
//! - [`ProcessHost`]: a child process speaking JSON lines on stdin/stdout;
//! - [`ChannelHost`]: an in-process node reached through a pair of
//!   `tokio::sync::mpsc` channels of [`Envelope`]s (built by a [`NodeFactory`]).

mod channel;
pub mod lines;
mod node_log;
mod process;
mod stderr;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;

use maelstrom_proto::Envelope;
use tokio::sync::mpsc::UnboundedSender;

use crate::clock::Clock;
use crate::config::NodeProgram;
use crate::error::HarnessError;
use crate::net::Net;
use crate::protocol::ProtocolLog;
pub use channel::ChannelHost;
pub use lines::MAX_LINE_BYTES;
pub use node_log::NodeLog;
pub use process::ProcessHost;

/// A boxed future borrowed from its host.
pub type HostFuture<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// A running node, whatever it runs on.
pub trait NodeHost {
    /// The node's id.
    fn id(&self) -> &str;
    /// Stops the node for good and waits until it is gone. Faults it raises
    /// while stopping are not reported.
    fn kill(&mut self) -> HostFuture<'_>;
    /// Freezes the node: it neither receives nor sends nor runs at all until
    /// [`NodeHost::resume`] (a process is stopped with SIGSTOP; an in-process
    /// node's tasks are no longer polled; messages wait in the network). On
    /// resume its clock has jumped by the time it spent paused.
    fn pause(&mut self);
    /// Undoes [`NodeHost::pause`].
    fn resume(&mut self);
}

/// What an in-process node gets: envelopes for it, a sender for what it sends,
/// its seed, its durable storage and its log.
pub struct NodeChannels {
    /// The node's id.
    pub id: String,
    /// Messages delivered to the node.
    pub inbox: Inbox,
    /// Messages the node sends.
    pub outbox: Outbox,
    /// The node's own seed, derived from the test's seed and the node id
    /// ([`crate::rng::node_seed`]): what a node process gets in `MAELSTROM_SEED`.
    pub seed: u64,
    /// The node's durable storage: the same map across restarts of the node.
    pub storage: DurableStore,
    /// The node's log (stderr, for a process): to its log file, echoed with
    /// `--log-stderr`.
    pub log: NodeLog,
}

/// Where an in-process node takes its messages from: its queue on the
/// network, read by the node's own task (no task of the harness takes them off
/// for it and through a channel). A paused node's tasks are not polled, so it
/// takes nothing off the network until it resumes, as before.
pub struct Inbox {
    id: String,
    net: crate::net::Net,
    /// The harness's `tracing` dispatcher, for the network's events (its
    /// `--log-net-recv` lines) while the node's own is the default.
    harness_log: Option<tracing::Dispatch>,
}

impl Inbox {
    /// Node `id`'s inbox on `net`; `node_logs`: the node's tasks run with a
    /// dispatcher of their own.
    pub(crate) fn new(id: &str, net: &crate::net::Net, node_logs: bool) -> Self {
        Inbox {
            id: id.to_string(),
            net: net.clone(),
            harness_log: node_logs.then(|| tracing::dispatcher::get_default(|d| d.clone())),
        }
    }

    /// The next message for the node, when it is due; `None` once the node is
    /// retired from the network.
    pub async fn recv(&mut self) -> Option<Envelope> {
        use tracing::instrument::WithSubscriber;
        match &self.harness_log {
            // A dispatcher switch on every poll costs, so only when the
            // network has something to log.
            Some(d) if self.net.logs_recv() => {
                self.net.recv(&self.id).with_subscriber(d.clone()).await
            }
            _ => self.net.recv(&self.id).await,
        }
    }
}

/// Where an in-process node's messages go: each is handed to the network as
/// it is sent, on the sending task's own stack (the checks a process's stdout
/// gets, then [`crate::net::Net::send`]), not through a channel and a task of
/// the harness that would take it off again. Clones share one outbox; when
/// the last is dropped the node has stopped, as a process that closed its
/// stdout.
#[derive(Clone)]
pub struct Outbox(Rc<OutboxInner>);

struct OutboxInner {
    send: Box<dyn Fn(Envelope) -> Result<(), Stopped>>,
    on_close: Cell<Option<Box<dyn FnOnce()>>>,
}

impl Outbox {
    /// An outbox that passes each message to `send`, and calls `on_close`
    /// once its last clone is dropped.
    pub fn new(
        send: impl Fn(Envelope) -> Result<(), Stopped> + 'static,
        on_close: impl FnOnce() + 'static,
    ) -> Self {
        Outbox(Rc::new(OutboxInner {
            send: Box::new(send),
            on_close: Cell::new(Some(Box::new(on_close))),
        }))
    }

    /// Sends `env`, unless the node was stopped: then nothing it sends goes
    /// anywhere.
    pub fn send(&self, env: Envelope) -> Result<(), Stopped> {
        (self.0.send)(env)
    }
}

/// What [`Outbox::send`] says once the harness has stopped the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl Drop for OutboxInner {
    fn drop(&mut self) {
        if let Some(on_close) = self.on_close.take() {
            on_close();
        }
    }
}

/// One node's durable state, as JSON values by key.
pub type DurableStore = Rc<RefCell<BTreeMap<String, serde_json::Value>>>;

/// Starts in-process nodes.
pub trait NodeFactory {
    /// Starts one node on the current `LocalSet`; the returned task is aborted
    /// when the node is killed. Dropping `outbox` counts as the node exiting.
    fn start(&self, channels: NodeChannels) -> tokio::task::JoinHandle<()>;

    /// The `tracing` dispatcher for the events of the node that `log` belongs
    /// to, called before [`NodeFactory::start`]. The harness makes it the
    /// default whenever it runs that node's tasks, so that in a process full of
    /// nodes each node's events land in its own log. `None` (the default)
    /// leaves events to the thread's dispatcher.
    fn log_dispatch(&self, log: &NodeLog) -> Option<tracing::Dispatch> {
        let _ = log;
        None
    }
}

/// What every host needs from the test.
#[derive(Clone)]
pub struct HostEnv {
    /// The network.
    pub net: Net,
    /// Where hosts report faults; the run loop stops the test on the first.
    pub faults: UnboundedSender<HarnessError>,
    /// Where hosts record the lines nodes send that break the protocol.
    pub protocol: ProtocolLog,
    /// Directory for `<id>.log` stderr files, if the test keeps a store.
    pub log_dir: Option<PathBuf>,
    /// Echo node logs to the harness's log.
    pub log_stderr: bool,
    /// The test's clock: in-process nodes stamp their log lines with it, and
    /// node processes learn its start ([`crate::clock::TEST_START_ENV`]).
    pub clock: Clock,
    /// The test's seed, from which each node's own seed is derived.
    pub seed: u64,
    /// Durable storage of in-process nodes by id, kept across their restarts.
    pub storage: Rc<RefCell<BTreeMap<String, DurableStore>>>,
    /// Where node processes keep durable storage (`MAELSTROM_STORAGE_DIR`), so a
    /// restarted process finds what it saved.
    pub storage_dir: Option<PathBuf>,
}

impl HostEnv {
    /// Node `id`'s durable storage, created empty on first use.
    pub fn durable_store(&self, id: &str) -> DurableStore {
        self.storage
            .borrow_mut()
            .entry(id.to_string())
            .or_default()
            .clone()
    }
}

/// Starts the host for node `id` running `program`.
pub async fn start(
    program: &NodeProgram,
    id: &str,
    env: &HostEnv,
) -> Result<Box<dyn NodeHost>, HarnessError> {
    match program {
        NodeProgram::Process { bin, args } => {
            Ok(Box::new(ProcessHost::spawn(id, bin, args, env.clone())?))
        }
        NodeProgram::InProcess(factory) => Ok(Box::new(ChannelHost::start(
            id,
            factory.as_ref(),
            env.clone(),
        ))),
    }
}
