//! The reference Raft core: leader election, log replication and persistence, as a
//! pure state machine behind [`RaftCore`].
//!
//! Reading order: [`Raft::tick`] (timeouts), [`Raft::step`] (the messages), then
//! elections (with a pre-vote first) in `election.rs`, the leader's bookkeeping
//! in `leader.rs`; log compaction and
//! InstallSnapshot are in `snapshot.rs`. Section numbers refer to the extended Raft
//! paper (Ongaro and Ousterhout, 2014).

mod election;
mod leader;
mod log;
mod message;
mod snapshot;

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{
    Applied, NodeId, NotLeader, Outgoing, Persister, Proposed, RaftCore, Setup, Snapshot, Timing,
};
pub use log::{Entry, Log};
pub use message::{Conflict, Message};

/// At most this many entries go in one AppendEntries, so that catching up a far
/// behind follower takes a few large messages rather than one huge one.
const MAX_BATCH: usize = 64;

/// A deliberate bug, for the mutation tests that prove the stage tests catch it.
/// Never set outside those tests.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bug {
    /// The reference as it should be.
    #[default]
    None,
    /// Grants a vote to every up-to-date candidate, even after voting in this term.
    DoubleVote,
    /// Counts an entry as committed once half the cluster (not a majority) has it.
    CommitWithoutMajority,
    /// Saves term and vote but not the log.
    LogNotPersisted,
    /// Starts elections without a pre-vote (raising its term at every timeout).
    NoPreVote,
}

/// What a node is doing in its current term.
#[derive(Debug)]
enum Role {
    /// Following `leader`, once one has been heard from in this term.
    Follower { leader: Option<NodeId> },
    /// Election timeout passed: asking whether the others would vote for it in
    /// the next term (see `election.rs`); `votes` holds who would.
    PreCandidate { votes: BTreeSet<NodeId> },
    /// Asking for votes; `votes` holds who granted one (itself included).
    Candidate { votes: BTreeSet<NodeId> },
    /// Replicating its log to every follower.
    Leader {
        progress: Vec<Progress>,
        /// When each node last answered us in this term (ours: unused), so that
        /// a leader cut off from a majority notices and steps down.
        heard: Vec<u64>,
    },
}

/// A leader's view of one follower's log.
#[derive(Clone, Copy, Debug)]
struct Progress {
    /// The next entry to send.
    next: u64,
    /// The highest entry known to be replicated there.
    matched: u64,
}

/// What survives a crash (Figure 2, "persistent state on all servers", and the
/// snapshot that replaced the log's oldest entries).
#[derive(Serialize, Deserialize)]
struct Durable {
    term: u64,
    voted_for: Option<NodeId>,
    log: Log,
    /// The application's state at the log's base (`Null` before any snapshot).
    #[serde(default)]
    snapshot: Value,
}

/// [`Durable`], borrowed, for saving without copying the log first.
#[derive(Serialize)]
struct DurableRef<'a> {
    term: u64,
    voted_for: Option<NodeId>,
    log: &'a Log,
    snapshot: &'a Value,
}

/// What the persister holds of the log: the entries after `base_index` up to
/// `len`, as of the log's `rewrites`-th removal. While all three still hold,
/// `persist` appends only the newer entries to the saved state.
#[derive(Clone, Copy, PartialEq, Eq)]
struct SavedLog {
    base_index: u64,
    rewrites: u64,
    len: usize,
}

/// Plain data as JSON (serialising it cannot fail).
fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The reference Raft core.
pub struct Raft {
    id: NodeId,
    cluster_size: usize,
    timing: Timing,
    rng: StdRng,
    persister: Box<dyn Persister>,
    bug: Bug,

    // Durable: saved by `persist` before any message that depends on them leaves.
    term: u64,
    voted_for: Option<NodeId>,
    log: Log,
    /// The application's state at `log.base_index()`.
    snapshot: Value,

    // What the persister holds, so that saving writes only what changed.
    saved_log: Option<SavedLog>,
    /// Whether `snapshot` changed since it was last saved.
    snapshot_dirty: bool,

    // Volatile.
    role: Role,
    commit: u64,
    applied: u64,
    now: u64,
    /// Whether `tick` has been called yet (`now` is meaningful).
    clock_started: bool,
    /// When a follower or candidate gives up on the current leader or election.
    election_deadline: u64,
    /// When a follower last heard from its leader.
    leader_heard_at: u64,
    /// When a leader next sends heartbeats.
    heartbeat_due: u64,
    outbox: Vec<Outgoing<Message>>,
    apply_queue: Vec<Applied>,
    /// A snapshot installed since the application last asked.
    snapshot_queue: Option<Snapshot>,
}

impl Raft {
    /// Builds a core, restoring term, vote and log from the persister if a previous
    /// incarnation saved them.
    pub fn new(setup: Setup) -> Self {
        let durable = setup
            .persister
            .load()
            .and_then(|v| serde_json::from_value::<Durable>(v).ok());
        let (term, voted_for, log, snapshot) = match durable {
            Some(d) => (d.term, d.voted_for, d.log, d.snapshot),
            None => (0, None, Log::default(), Value::Null),
        };
        // Everything a snapshot covers was committed, and the application gets it
        // back before any entry.
        let base = log.base_index();
        let snapshot_queue = (base > 0).then(|| Snapshot {
            index: base,
            term: log.base_term(),
            data: snapshot.clone(),
        });
        let mut raft = Raft {
            id: setup.id,
            cluster_size: setup.cluster_size,
            timing: setup.timing,
            rng: setup.rng,
            persister: setup.persister,
            bug: Bug::None,
            term,
            voted_for,
            log,
            snapshot,
            // The first save writes everything.
            saved_log: None,
            snapshot_dirty: true,
            role: Role::Follower { leader: None },
            commit: base,
            applied: base,
            now: 0,
            clock_started: false,
            election_deadline: 0,
            leader_heard_at: 0,
            heartbeat_due: 0,
            outbox: Vec::new(),
            apply_queue: Vec::new(),
            snapshot_queue,
        };
        raft.reset_election_deadline();
        raft
    }

    /// The same core with a deliberate bug (mutation tests only).
    #[doc(hidden)]
    pub fn with_bug(mut self, bug: Bug) -> Self {
        self.bug = bug;
        self
    }

    /// The index of the last committed entry.
    pub fn commit_index(&self) -> u64 {
        self.commit
    }

    /// The index of the last entry in the log.
    pub fn last_index(&self) -> u64 {
        self.log.last_index()
    }

    /// How many entries the log keeps (those not replaced by a snapshot).
    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    fn majority(&self) -> usize {
        self.cluster_size / 2 + 1
    }

    fn reset_election_deadline(&mut self) {
        let (lo, hi) = self.timing.election_timeout;
        self.election_deadline = self.now + self.rng.random_range(lo..hi.max(lo + 1));
    }

    fn send(&mut self, to: NodeId, msg: Message) {
        self.outbox.push(Outgoing { to, msg });
    }

    fn peers(&self) -> impl Iterator<Item = NodeId> {
        let me = self.id;
        (0..self.cluster_size).filter(move |&p| p != me)
    }

    /// Saves term, vote and log. Called after every change to them and before the
    /// messages that reveal the change are handed out (the caller sends only what
    /// `take_outbox` returns, which happens after the step that persisted).
    ///
    /// The log only grows between compactions, so when the saved state holds
    /// a prefix of it the new entries are appended to that state in place:
    /// saving after every entry costs the entry, not the whole log.
    fn persist(&mut self) {
        let lost = self.bug == Bug::LogNotPersisted;
        let empty = Log::default();
        let log = if lost { &empty } else { &self.log };
        let now = SavedLog {
            base_index: log.base_index(),
            rewrites: log.rewrites(),
            len: log.len(),
        };
        let prefix = self.saved_log.filter(|s| {
            s.base_index == now.base_index && s.rewrites == now.rewrites && s.len <= now.len
        });
        let (term, voted_for, snapshot) = (self.term, self.voted_for, &self.snapshot);
        let snapshot_dirty = self.snapshot_dirty;
        self.persister.update(&mut |state| {
            if let Some(saved) = prefix {
                if let Some(fields) = state.as_object_mut() {
                    let entries = fields
                        .get_mut("log")
                        .and_then(|l| l.get_mut("entries"))
                        .and_then(Value::as_array_mut);
                    if let Some(entries) = entries.filter(|e| e.len() == saved.len) {
                        entries.extend(log.entries_from(saved.len).iter().map(json));
                        fields.insert("term".into(), term.into());
                        fields.insert("voted_for".into(), json(&voted_for));
                        if snapshot_dirty {
                            fields.insert("snapshot".into(), snapshot.clone());
                        }
                        // Every test run checks the edit against a whole save.
                        debug_assert_eq!(
                            *state,
                            json(&DurableRef {
                                term,
                                voted_for,
                                log,
                                snapshot,
                            })
                        );
                        return;
                    }
                }
            }
            *state = json(&DurableRef {
                term,
                voted_for,
                log,
                snapshot,
            });
        });
        self.saved_log = Some(now);
        self.snapshot_dirty = false;
    }

    /// Moves to a newer term as a follower, forgetting the vote (§5.1).
    fn become_follower(&mut self, term: u64, leader: Option<NodeId>) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
            self.persist();
        }
        self.role = Role::Follower { leader };
    }

    fn broadcast_append(&mut self) {
        for peer in self.peers().collect::<Vec<_>>() {
            self.send_append(peer);
        }
        self.heartbeat_due = self.now + self.timing.heartbeat_interval;
    }

    /// Sends `peer` the entries it is missing, from its `next` on (none if it is up
    /// to date: then it is a heartbeat).
    fn send_append(&mut self, peer: NodeId) {
        let base = self.log.base_index();
        let Role::Leader { progress, .. } = &mut self.role else {
            return;
        };
        let prev_index = progress[peer].next - 1;
        if prev_index < base {
            // The entries it needs are gone: send the snapshot instead.
            self.send_snapshot(peer);
            return;
        }
        let entries = self.log.slice(prev_index + 1, MAX_BATCH);
        // Optimistically assume the entries arrive, so that the next proposal or
        // heartbeat sends only what follows them (pipelining). A lost message shows
        // up as a rejection, which moves `next` back.
        progress[peer].next = prev_index + 1 + entries.len() as u64;
        let msg = Message::AppendEntries {
            term: self.term,
            prev_index,
            // `next` never passes last_index + 1, so the entry exists.
            prev_term: self.log.term_at(prev_index).unwrap_or(0),
            entries,
            commit: self.commit,
        };
        self.send(peer, msg);
    }

    fn handle_append(
        &mut self,
        from: NodeId,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
    ) {
        // A valid AppendEntries of our term: `from` is the leader (there is at most
        // one per term), so stop any candidacy and wait for it again.
        self.role = Role::Follower { leader: Some(from) };
        self.reset_election_deadline();
        self.leader_heard_at = self.now;
        let term = self.term;

        // Entries up to our snapshot's base are committed, so they match the
        // leader's: skip them, and check the rest against the base.
        let (mut prev_index, mut prev_term, mut entries) = (prev_index, prev_term, entries);
        let base = self.log.base_index();
        if prev_index < base {
            let covered = (base - prev_index).min(entries.len() as u64);
            let last_sent = prev_index + entries.len() as u64;
            entries.drain(..covered as usize);
            if entries.is_empty() {
                let matched = last_sent.min(base);
                self.send(
                    from,
                    Message::Appended {
                        term,
                        result: Ok(matched),
                    },
                );
                return;
            }
            prev_index = base;
            prev_term = self.log.base_term();
        }

        let result = match self.log.term_at(prev_index) {
            None => Err(Conflict {
                term: None,
                index: self.log.last_index() + 1,
            }),
            Some(t) if t != prev_term => Err(Conflict {
                term: Some(t),
                index: self.log.first_index_of_term_at(prev_index),
            }),
            Some(_) => {
                let last_new = prev_index + entries.len() as u64;
                if self.log.merge(prev_index, entries) {
                    self.persist();
                }
                // Only what this message proved to match may be committed: entries
                // past `last_new` may still be stale ones from an older leader.
                let new_commit = leader_commit.min(last_new);
                if new_commit > self.commit {
                    self.commit = new_commit;
                    self.queue_applied();
                }
                Ok(last_new)
            }
        };
        self.send(from, Message::Appended { term, result });
    }

    fn queue_applied(&mut self) {
        while self.applied < self.commit {
            self.applied += 1;
            let entry = self.log.entry(self.applied);
            self.apply_queue.push(Applied {
                index: self.applied,
                term: entry.term,
                command: entry.command.clone(),
            });
        }
    }
}

impl RaftCore for Raft {
    type Message = Message;

    fn step(&mut self, from: NodeId, msg: Message) {
        if from >= self.cluster_size || from == self.id {
            return;
        }
        // A pre-vote asks about a term nobody is in yet, and a yes to one carries
        // that term: neither may move anyone to it.
        match msg {
            Message::PreVote {
                term,
                last_index,
                last_term,
            } => return self.handle_pre_vote(from, term, last_index, last_term),
            Message::PreVoted {
                term,
                granted: true,
            } => return self.handle_pre_vote_granted(from, term),
            _ => {}
        }
        // §5.1: a newer term makes us a follower of it; an older one is stale.
        if msg.term() > self.term {
            let from_leader = matches!(
                msg,
                Message::AppendEntries { .. } | Message::InstallSnapshot { .. }
            );
            let leader = from_leader.then_some(from);
            self.become_follower(msg.term(), leader);
        }
        if msg.term() < self.term {
            // Tell stale senders about the newer term so they step down; replies
            // from old terms need no answer.
            let term = self.term;
            match msg {
                Message::RequestVote { .. } => self.send(
                    from,
                    Message::Vote {
                        term,
                        granted: false,
                    },
                ),
                Message::AppendEntries { .. } | Message::InstallSnapshot { .. } => self.send(
                    from,
                    Message::Appended {
                        term,
                        result: Err(Conflict {
                            term: None,
                            index: 0,
                        }),
                    },
                ),
                Message::Vote { .. }
                | Message::Appended { .. }
                | Message::PreVote { .. }
                | Message::PreVoted { .. } => {}
            }
            return;
        }
        match msg {
            Message::RequestVote {
                last_index,
                last_term,
                ..
            } => self.handle_request_vote(from, last_index, last_term),
            Message::Vote { granted, .. } => self.handle_vote(from, granted),
            Message::AppendEntries {
                prev_index,
                prev_term,
                entries,
                commit,
                ..
            } => self.handle_append(from, prev_index, prev_term, entries, commit),
            Message::InstallSnapshot { snapshot, .. } => self.handle_snapshot(from, snapshot),
            Message::Appended { result, .. } => self.handle_appended(from, result),
            // Handled above, or a no from a node of our term: nothing to do.
            Message::PreVote { .. } | Message::PreVoted { .. } => {}
        }
    }

    fn tick(&mut self, now: u64) {
        if !self.clock_started {
            // The first tick tells us the caller's time: a core restarted late in a
            // run must not take the whole run so far as a missed election timeout.
            self.clock_started = true;
            self.now = now;
            self.reset_election_deadline();
            return;
        }
        self.now = self.now.max(now);
        match self.role {
            Role::Leader { .. } => {
                if self.lost_quorum() {
                    // Cut off from a majority: we cannot commit anything, and a new
                    // leader may already exist. Saying so lets the node send
                    // clients elsewhere (error 11) instead of keeping them waiting.
                    self.role = Role::Follower { leader: None };
                    self.reset_election_deadline();
                } else if self.now >= self.heartbeat_due {
                    self.broadcast_append();
                }
            }
            Role::Follower { .. } | Role::PreCandidate { .. } | Role::Candidate { .. } => {
                if self.now >= self.election_deadline {
                    self.start_pre_vote();
                }
            }
        }
    }

    fn propose(&mut self, command: Value) -> Result<Proposed, NotLeader> {
        if !self.is_leader() {
            return Err(NotLeader {
                leader: self.leader(),
            });
        }
        let index = self.log.push(Entry {
            term: self.term,
            command: Some(command),
        });
        self.persist();
        // A single-node cluster commits at once; otherwise replicate right away
        // rather than wait for the next heartbeat (latency), sending each follower
        // only what it lacks.
        self.advance_commit();
        for peer in self.peers().collect::<Vec<_>>() {
            self.send_append(peer);
        }
        Ok(Proposed {
            index,
            term: self.term,
        })
    }

    fn term(&self) -> u64 {
        self.term
    }

    fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader { .. })
    }

    fn leader(&self) -> Option<NodeId> {
        match self.role {
            Role::Leader { .. } => Some(self.id),
            Role::Follower { leader } => leader,
            Role::PreCandidate { .. } | Role::Candidate { .. } => None,
        }
    }

    fn take_outbox(&mut self) -> Vec<Outgoing<Message>> {
        std::mem::take(&mut self.outbox)
    }

    fn take_applied(&mut self) -> Vec<Applied> {
        std::mem::take(&mut self.apply_queue)
    }

    fn compact(&mut self, index: u64, data: Value) {
        self.compact_log(index, data);
    }

    fn take_snapshot(&mut self) -> Option<Snapshot> {
        self.snapshot_queue.take()
    }
}
