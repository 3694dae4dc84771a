//! The interface between a Raft core and everything around it.
//!
//! A core is a pure state machine: it never reads a clock, never touches a socket and
//! never draws from a global rng. The world drives it with two calls,
//! [`RaftCore::step`] (a message arrived) and [`RaftCore::tick`] (time passed), and
//! collects what it produced with [`RaftCore::take_outbox`] (messages to send) and
//! [`RaftCore::take_applied`] (entries now committed, in log order). Because nothing
//! else happens inside, the stage tests can drive several cores over a simulated
//! network and replay any run from its seed, and the node binary can drive the same
//! core from the node library's timers and handlers.
//!
//! Snapshots (stage 4) add two calls with do-nothing defaults, so a core written
//! for stages 1 to 3 needs none of it: the application hands the core a snapshot
//! of its state with [`RaftCore::compact`] and the core drops the entries it
//! covers; a core that installs a snapshot from the leader (or finds one in its
//! persister after a restart) hands it to the application with
//! [`RaftCore::take_snapshot`].

use std::fmt::Debug;

use rand::rngs::StdRng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Index of a node in the cluster, `0..cluster_size` (the node binary maps
/// Maelstrom's `"n1"`, `"n2"`, ... onto these in `node_ids` order).
pub type NodeId = usize;

/// Times, in milliseconds of the caller's clock (virtual in the stage tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// A follower that hears from no leader for a time drawn uniformly from this
    /// half-open range starts an election. Randomness keeps candidates from
    /// splitting the vote forever.
    pub election_timeout: (u64, u64),
    /// How often a leader sends (possibly empty) AppendEntries to each follower.
    /// Must be well below the election timeout.
    pub heartbeat_interval: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            election_timeout: (200, 400),
            heartbeat_interval: 50,
        }
    }
}

/// Durable storage for a core's term, vote and log.
///
/// The stage tests hand each core a persister that outlives it: "crashing" a node
/// drops the core, "restarting" builds a new one on the same persister. The node
/// binary backs it with the node library's `ctx.storage()`. What goes in the value
/// is the core's business; it must be everything Raft needs to keep (current term,
/// vote, log) and it must be saved before the core sends any message that depends
/// on it (a vote, an acknowledgement of entries).
pub trait Persister {
    /// Replaces the saved state.
    fn save(&mut self, state: Value);
    /// The last saved state, if any.
    fn load(&self) -> Option<Value>;
    /// Changes the saved state in place: `edit` gets the last saved state
    /// (`Null` if none) and modifies it. A core that saves after every entry
    /// can append the entry to the saved log this way instead of replacing
    /// the whole state. The default loads, edits and saves; a persister that
    /// can edit its state where it keeps it should do that instead.
    fn update(&mut self, edit: &mut dyn FnMut(&mut Value)) {
        let mut state = self.load().unwrap_or(Value::Null);
        edit(&mut state);
        self.save(state);
    }
}

/// Everything a core is built from.
pub struct Setup {
    /// This node.
    pub id: NodeId,
    /// How many nodes the cluster has (ids `0..cluster_size`).
    pub cluster_size: usize,
    /// Election timeout and heartbeat interval.
    pub timing: Timing,
    /// The only source of randomness the core may use (election timeouts).
    pub rng: StdRng,
    /// Where to save durable state; holds the previous incarnation's state after a
    /// restart.
    pub persister: Box<dyn Persister>,
}

/// A message on its way to another node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing<M> {
    /// The receiver.
    pub to: NodeId,
    /// The message.
    pub msg: M,
}

/// A committed log entry, handed to the state machine in log order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The entry's index (the first entry has index 1).
    pub index: u64,
    /// The term in which the entry was created.
    pub term: u64,
    /// The proposed command; `None` for entries the core adds itself (a new
    /// leader's no-op), which the state machine skips.
    pub command: Option<Value>,
}

/// The application's state after applying every entry up to `index`, which
/// replaces those entries in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The last entry the snapshot covers.
    pub index: u64,
    /// That entry's term.
    pub term: u64,
    /// The application's state, as the application serialised it.
    pub data: Value,
}

/// Why [`RaftCore::propose`] refused a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotLeader {
    /// The leader this node believes in, if any: where a client should go.
    pub leader: Option<NodeId>,
}

/// Where a proposed command will sit in the log if it commits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proposed {
    /// The entry's index.
    pub index: u64,
    /// The leader's term, which is the entry's term.
    pub term: u64,
}

/// A Raft core, as the stage tests and the node binary drive it.
pub trait RaftCore {
    /// The messages cores exchange (RequestVote, AppendEntries and their replies,
    /// ...). Serialisable, because the node binary sends them as JSON.
    type Message: Clone + Debug + Serialize + DeserializeOwned + 'static;

    /// Handles a message from node `from`.
    fn step(&mut self, from: NodeId, msg: Self::Message);

    /// Lets time pass: `now` is the caller's clock in milliseconds, never
    /// decreasing. Election timeouts and heartbeats happen here.
    fn tick(&mut self, now: u64);

    /// Starts agreement on `command` if this node is the leader, returning where the
    /// entry sits. It only starts: the command is committed when it comes out of
    /// [`RaftCore::take_applied`], and may never be if leadership is lost.
    fn propose(&mut self, command: Value) -> Result<Proposed, NotLeader>;

    /// The current term.
    fn term(&self) -> u64;

    /// Whether this node believes it is the leader of its current term.
    fn is_leader(&self) -> bool;

    /// The leader of the current term as far as this node knows.
    fn leader(&self) -> Option<NodeId>;

    /// Messages produced since the last call, to be sent (or lost) by the caller.
    fn take_outbox(&mut self) -> Vec<Outgoing<Self::Message>>;

    /// Entries committed since the last call, in index order, each exactly once per
    /// incarnation (a restarted core applies again from its first entry, or from
    /// the entry after its snapshot).
    fn take_applied(&mut self) -> Vec<Applied>;

    /// Stage 4: the application has applied every entry up to `index` and `data`
    /// is its state at that point. The core keeps the snapshot (persisted with its
    /// durable state) and drops the log entries it covers. An `index` the core has
    /// not applied yet, or already compacted, is ignored. The default keeps the
    /// whole log.
    fn compact(&mut self, index: u64, data: Value) {
        let _ = (index, data);
    }

    /// Stage 4: a snapshot the application must load in place of its state, if
    /// the core installed one (from the leader, or from its persister when it was
    /// built) since the last call. Call it **before** [`RaftCore::take_applied`]:
    /// the entries that call returns follow the snapshot. The default has none.
    fn take_snapshot(&mut self) -> Option<Snapshot> {
        None
    }
}
