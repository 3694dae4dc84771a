//! Hosts: where a node's messages come from and go to.
//!
//! The node runtime only sees a [`Host`]: a channel of inbound messages, a channel
//! for outbound ones, a seed and a storage backend (logs go through `tracing`,
//! see [`crate::logging`]). The stdio host
//! ([`stdio::StdioHost`]) connects them to a process's stdin/stdout/stderr; tests
//! and the simulation connect them to channels of their own.

use maelstrom_proto::Envelope;
use tokio::sync::mpsc::{self, Receiver, Sender, UnboundedReceiver, UnboundedSender};

use crate::StorageBackend;

mod lines;
pub mod stdio;

pub use lines::MAX_LINE;

/// Capacity of a host's inbox.
pub const INBOX_CAPACITY: usize = 1024;

/// One inbound item: a message, or a line that was not one.
#[derive(Debug, Clone)]
pub enum Inbound {
    /// A well-formed message.
    Message(Envelope),
    /// A line that could not be parsed; logged and skipped.
    Malformed {
        /// The line as read.
        line: String,
        /// Why it was rejected.
        error: String,
    },
}

/// What a node runs on.
pub struct Host {
    /// Inbound messages; the node stops when this closes. Bounded, so a host that
    /// receives faster than the node handles waits instead of buffering.
    pub inbox: Receiver<Inbound>,
    /// Outbound messages, each one whole.
    pub outbox: UnboundedSender<Envelope>,
    /// Seed of the node's rng (mixed with the node id and boot count after `init`).
    pub seed: u64,
    /// Where durable state lives.
    pub storage: StorageBackend,
}

impl Host {
    /// A host on channels, with in-memory storage: for tests.
    pub fn channels(seed: u64) -> (Host, Sender<Inbound>, UnboundedReceiver<Envelope>) {
        let (in_tx, in_rx) = mpsc::channel(INBOX_CAPACITY);
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let host = Host {
            inbox: in_rx,
            outbox: out_tx,
            seed,
            storage: StorageBackend::memory(),
        };
        (host, in_tx, out_rx)
    }
}

/// Where the runtime reads a node's input: a [`Host`]'s bounded inbox, or, in
/// simulation, the harness's unbounded channel of envelopes read directly (the
/// harness never sends malformed lines, and a pump between the two channels
/// cost a task poll and a channel hop per message).
pub(crate) enum Inbox {
    /// A [`Host`]'s inbox (stdio, tests).
    Bounded(Receiver<Inbound>),
    /// The simulation's network.
    #[cfg(feature = "sim")]
    Network(maelstrom_harness::host::Inbox),
}

impl Inbox {
    /// The next item; `None` once the sender is gone.
    pub(crate) async fn recv(&mut self) -> Option<Inbound> {
        match self {
            Inbox::Bounded(rx) => rx.recv().await,
            #[cfg(feature = "sim")]
            Inbox::Network(inbox) => inbox.recv().await.map(Inbound::Message),
        }
    }

    /// Whether handlers in flight may finish once the input closes: yes for a
    /// process (its last replies must go out), no in simulation, where the
    /// node stopped as soon as the harness closed its channel.
    pub(crate) fn drains_on_close(&self) -> bool {
        matches!(self, Inbox::Bounded(_))
    }
}

/// Where the runtime puts what a node sends: a [`Host`]'s channel (stdio,
/// tests), or, in simulation, the harness's network, handed each message as
/// it is sent (a channel and a task between the two cost a hop per message).
#[derive(Clone)]
pub(crate) enum Outbox {
    /// A [`Host`]'s outbox.
    Channel(UnboundedSender<Envelope>),
    /// The simulation's network.
    #[cfg(feature = "sim")]
    Network(maelstrom_harness::host::Outbox),
}

impl Outbox {
    /// Sends `env`. It goes nowhere only when the node is shutting down:
    /// nothing reads the outbox any more, and there is nothing to do.
    pub(crate) fn send(&self, env: Envelope) {
        match self {
            Outbox::Channel(tx) => {
                let _ = tx.send(env);
            }
            #[cfg(feature = "sim")]
            Outbox::Network(out) => {
                let _ = out.send(env);
            }
        }
    }
}

/// What the runtime needs of a host besides its input.
pub(crate) struct Outside {
    /// Outbound messages, each one whole.
    pub outbox: Outbox,
    /// Seed of the node's rng.
    pub seed: u64,
    /// Where durable state lives.
    pub storage: StorageBackend,
}

impl Host {
    /// Splits the host into the input the runtime reads and the rest.
    pub(crate) fn split(self) -> (Inbox, Outside) {
        let Host {
            inbox,
            outbox,
            seed,
            storage,
        } = self;
        (
            Inbox::Bounded(inbox),
            Outside {
                outbox: Outbox::Channel(outbox),
                seed,
                storage,
            },
        )
    }
}
