//! Leader election (§5.2, §5.4.1), preceded by a pre-vote (§9.6 of Ongaro's
//! dissertation).
//!
//! **Pre-vote.** A node whose election timer fires does not bump its term at
//! once: it first asks the others whether they *would* vote for it in the next
//! term. Only with a majority of yeses does it start the real election. A node
//! cut off from the others hears no yes, so its term stays where it was; without
//! this, it would raise its term at every timeout, and on rejoining, its high term
//! would depose a perfectly good leader for nothing. A node says yes only if the
//! candidate's log is at least as up to date as its own and it has not heard from
//! a leader for a minimum election timeout: while the leader is alive, nobody
//! helps a disruptive node start an election. A pre-vote changes no state on
//! either side (no term, no vote, nothing persisted).

use std::collections::BTreeSet;

use super::{Bug, Entry, Message, Progress, Raft, Role};
use crate::api::NodeId;

impl Raft {
    /// Election timeout: ask everyone whether they would vote for us in the next
    /// term, without moving to it yet.
    pub(super) fn start_pre_vote(&mut self) {
        self.role = Role::PreCandidate {
            votes: BTreeSet::from([self.id]),
        };
        self.reset_election_deadline();
        if self.majority() == 1 || self.bug == Bug::NoPreVote {
            self.start_election();
            return;
        }
        let msg = Message::PreVote {
            term: self.term + 1,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        };
        for peer in self.peers().collect::<Vec<_>>() {
            self.send(peer, msg.clone());
        }
    }

    /// Would we vote for `from` in `term`? Answers without changing anything. A
    /// yes carries the term asked about (so the asker can tell it from an answer
    /// to an older pre-vote), a no our own term (which makes an asker that is
    /// behind catch up).
    pub(super) fn handle_pre_vote(
        &mut self,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        let granted =
            term > self.term && self.log_up_to_date(last_index, last_term) && !self.leader_alive();
        let term = if granted { term } else { self.term };
        self.send(from, Message::PreVoted { term, granted });
    }

    /// A yes to our pre-vote: with a majority, start the real election.
    pub(super) fn handle_pre_vote_granted(&mut self, from: NodeId, term: u64) {
        let majority = self.majority();
        let next_term = self.term + 1;
        let Role::PreCandidate { votes } = &mut self.role else {
            return;
        };
        if term != next_term {
            return; // a yes to an earlier pre-vote of ours
        }
        votes.insert(from);
        if votes.len() >= majority {
            self.start_election();
        }
    }

    /// Whether we lead, or heard from our leader less than a minimum election
    /// timeout ago: then the leader is presumably fine and an election needless.
    fn leader_alive(&self) -> bool {
        match self.role {
            Role::Leader { .. } => true,
            Role::Follower { leader: Some(_) } => {
                self.now < self.leader_heard_at + self.timing.election_timeout.0
            }
            Role::Follower { leader: None }
            | Role::Candidate { .. }
            | Role::PreCandidate { .. } => false,
        }
    }

    /// §5.4.1: whether a candidate whose last entry has this index and term holds
    /// every committed entry we might hold, i.e. its log is at least as up to date
    /// as ours.
    fn log_up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        (last_term, last_index) >= (self.log.last_term(), self.log.last_index())
    }

    /// A majority would vote for us (or we are alone): vote for ourselves in a
    /// new term and ask everyone else (§5.2).
    fn start_election(&mut self) {
        self.term += 1;
        self.voted_for = Some(self.id);
        self.persist();
        self.role = Role::Candidate {
            votes: BTreeSet::from([self.id]),
        };
        self.reset_election_deadline();
        if self.majority() == 1 {
            self.become_leader();
            return;
        }
        let msg = Message::RequestVote {
            term: self.term,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        };
        for peer in self.peers().collect::<Vec<_>>() {
            self.send(peer, msg.clone());
        }
    }

    /// Won the election: start replicating. The no-op entry of the new term lets the
    /// leader commit entries of earlier terms, which it may not count on their own
    /// (§5.4.2, Figure 8), and tells it promptly what is committed.
    pub(super) fn become_leader(&mut self) {
        let next = self.log.last_index() + 1;
        let progress = vec![Progress { next, matched: 0 }; self.cluster_size];
        // Being elected counts as hearing from everyone who voted, and giving the
        // others a full timeout too is harmless.
        let heard = vec![self.now; self.cluster_size];
        self.role = Role::Leader { progress, heard };
        self.log.push(Entry {
            term: self.term,
            command: None,
        });
        self.persist();
        self.advance_commit();
        self.broadcast_append();
    }

    pub(super) fn handle_request_vote(&mut self, from: NodeId, last_index: u64, last_term: u64) {
        let up_to_date = self.log_up_to_date(last_index, last_term);
        let free = match self.voted_for {
            None => true,
            Some(v) => v == from || self.bug == Bug::DoubleVote,
        };
        let granted = up_to_date && free;
        if granted {
            self.voted_for = Some(from);
            self.persist();
            // Granting a vote defers our own candidacy, so that one election at a
            // time runs to completion.
            self.reset_election_deadline();
        }
        let term = self.term;
        self.send(from, Message::Vote { term, granted });
    }

    pub(super) fn handle_vote(&mut self, from: NodeId, granted: bool) {
        let majority = self.majority();
        let Role::Candidate { votes } = &mut self.role else {
            return;
        };
        if granted {
            votes.insert(from);
            if votes.len() >= majority {
                self.become_leader();
            }
        }
    }
}
