//! Hosts: where a node's messages come from and go to.
//!
//! The node runtime only sees a [`Host`]: a channel of inbound messages, a channel
//! for outbound ones, a seed, a storage backend and a log sink. The stdio host
//! ([`stdio::StdioHost`]) connects them to a process's stdin/stdout/stderr; tests
//! and the simulation connect them to channels of their own.

use std::rc::Rc;

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
    /// Log sink (stderr for processes).
    pub log: Rc<dyn Fn(&str)>,
}

impl Host {
    /// A host on channels, with in-memory storage and logs to stderr: for tests.
    pub fn channels(seed: u64) -> (Host, Sender<Inbound>, UnboundedReceiver<Envelope>) {
        let (in_tx, in_rx) = mpsc::channel(INBOX_CAPACITY);
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let host = Host {
            inbox: in_rx,
            outbox: out_tx,
            seed,
            storage: StorageBackend::memory(),
            log: Rc::new(|line: &str| eprintln!("{line}")),
        };
        (host, in_tx, out_rx)
    }
}
