//! Your Raft core. See ../README.md for the task and the stages.
//!
//! The interface is [`RaftCore`] (from the exercise kit, `raft_kv_reference::api`):
//! the core is a pure state machine. The world calls [`RaftCore::step`] when a
//! message arrives and [`RaftCore::tick`] as time passes, then collects the messages
//! to send with [`RaftCore::take_outbox`] and the committed entries with
//! [`RaftCore::take_applied`]. No clocks, sockets, threads or global rngs in here:
//! that is what lets the stage tests replay any run from its seed.
//!
//! Check a stage with `cargo run -p raft-kv-starter --example stages -- 1`.
//!
//! As it stands the core does nothing: it never starts an election, so stage 1
//! fails with "expected one leader ... got none".

use raft_kv_reference::{
    Applied, NodeId, NotLeader, Outgoing, Persister, Proposed, RaftCore, Setup, Timing,
};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The messages your cores exchange. The node binary sends them as JSON, so keep
/// them serialisable. A suggestion, following Figure 2 of the Raft paper: change
/// them as you see fit.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// A candidate asks for a vote.
    RequestVote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    /// The answer to a RequestVote.
    Vote { term: u64, granted: bool },
    // TODO (stage 2): AppendEntries and its reply. A reply that says where the
    // follower's log diverges (the conflicting term and its first index) lets the
    // leader skip back a whole term at a time.
}

/// Your Raft core.
pub struct Raft {
    id: NodeId,
    cluster_size: usize,
    timing: Timing,
    /// Draw election timeouts from this, and from nothing else.
    rng: StdRng,
    persister: Box<dyn Persister>,
    outbox: Vec<Outgoing<Message>>,
    applied: Vec<Applied>,
    // TODO (stage 1): current term, vote, role (follower, candidate, leader), the
    // election deadline.
    // TODO (stage 2): the log, commit index, last applied index, and for a leader
    // each follower's next and matched index.
}

impl Raft {
    /// Builds a core from its setup.
    pub fn new(setup: Setup) -> Self {
        // TODO (stage 3): restore term, vote and log from `setup.persister.load()`.
        Raft {
            id: setup.id,
            cluster_size: setup.cluster_size,
            timing: setup.timing,
            rng: setup.rng,
            persister: setup.persister,
            outbox: Vec::new(),
            applied: Vec::new(),
        }
    }

    /// Saves what must survive a crash. Call it after each change to term, vote or
    /// log, before the messages that reveal the change go out.
    #[allow(dead_code)]
    fn persist(&mut self) {
        // TODO (stage 3): `self.persister.save(serde_json::json!({...}))`.
        let _ = &mut self.persister;
    }
}

impl RaftCore for Raft {
    type Message = Message;

    fn step(&mut self, from: NodeId, msg: Message) {
        // TODO (stage 1): a higher term in any message makes us a follower of it;
        // grant at most one vote per term; count votes; become leader on a majority.
        let _ = (from, msg, self.id, self.cluster_size);
    }

    fn tick(&mut self, now: u64) {
        // TODO (stage 1): when the election deadline passes, start an election (new
        // term, vote for yourself, RequestVote to everyone, a new random deadline
        // drawn from `self.timing.election_timeout` with `self.rng`), after a
        // pre-vote that a majority grants (README hints; `isolated_rejoins`). As
        // leader, send heartbeats every `self.timing.heartbeat_interval`.
        let _ = (now, &self.timing, &mut self.rng);
    }

    fn propose(&mut self, command: Value) -> Result<Proposed, NotLeader> {
        // TODO (stage 2): as leader, append the command to the log and replicate it.
        let _ = command;
        Err(NotLeader { leader: None })
    }

    fn term(&self) -> u64 {
        0 // TODO (stage 1)
    }

    fn is_leader(&self) -> bool {
        false // TODO (stage 1)
    }

    fn leader(&self) -> Option<NodeId> {
        None // TODO (stage 1)
    }

    fn take_outbox(&mut self) -> Vec<Outgoing<Message>> {
        std::mem::take(&mut self.outbox)
    }

    fn take_applied(&mut self) -> Vec<Applied> {
        std::mem::take(&mut self.applied)
    }

    // TODO (stage 4): `compact(index, data)`: keep `data` as the snapshot (persist
    // it with term, vote and log) and drop the entries up to `index`, keeping that
    // entry's index and term as the log's new base. A leader whose follower needs
    // a dropped entry sends it the snapshot (an InstallSnapshot message) instead;
    // a follower that installs one hands it to the application through
    // `take_snapshot()`, as does a core restarted from a persisted snapshot. Both
    // methods have do-nothing defaults in the trait until then.
}
