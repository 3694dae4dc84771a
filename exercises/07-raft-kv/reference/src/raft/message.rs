//! The messages Raft cores exchange: the two RPCs of the paper and their replies,
//! the pre-vote that precedes an election, and InstallSnapshot.

use serde::{Deserialize, Serialize};

use super::log::Entry;
use crate::api::Snapshot;

/// One Raft message. Every message carries the sender's term, the one clock all
/// nodes share: a node that sees a higher term steps down to follower of it, and
/// messages from lower terms are stale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// A candidate asks for a vote.
    RequestVote {
        term: u64,
        /// Index and term of the candidate's last entry: voters only elect a
        /// candidate whose log is at least as up to date as theirs.
        last_index: u64,
        last_term: u64,
    },
    /// The answer to a RequestVote.
    Vote { term: u64, granted: bool },
    /// Would you vote for me in `term` (our term + 1)? Asked before a
    /// RequestVote, changing nothing (dissertation §9.6; see `election.rs`).
    PreVote {
        term: u64,
        last_index: u64,
        last_term: u64,
    },
    /// The answer to a PreVote: `term` is the term asked about if `granted`,
    /// else the voter's own term.
    PreVoted { term: u64, granted: bool },
    /// A leader replicates entries (none, for a heartbeat) following the entry at
    /// `prev_index`, which must have term `prev_term` in the follower's log.
    AppendEntries {
        term: u64,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        /// The leader's commit index.
        commit: u64,
    },
    /// A leader sends its snapshot to a follower that needs entries the leader no
    /// longer has (Figure 13, in one message: the state machines here are small).
    /// The answer is an `Appended` with `Ok(snapshot.index)`.
    InstallSnapshot { term: u64, snapshot: Snapshot },
    /// The answer to an AppendEntries (or an InstallSnapshot).
    Appended {
        term: u64,
        /// `Ok(match_index)`: the follower's log now matches the leader's up to
        /// here. `Err(hint)`: it did not have `prev_index`/`prev_term`.
        result: Result<u64, Conflict>,
    },
}

/// Where a follower's log diverged, so the leader can skip back a whole term per
/// round trip instead of one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The term of the follower's entry at `prev_index`, or `None` if its log is
    /// shorter than that.
    pub term: Option<u64>,
    /// The first index holding `term` in the follower's log, or, if `term` is
    /// `None`, the index just past its last entry.
    pub index: u64,
}

impl Message {
    /// The sender's term.
    pub fn term(&self) -> u64 {
        match self {
            Message::RequestVote { term, .. }
            | Message::Vote { term, .. }
            | Message::PreVote { term, .. }
            | Message::PreVoted { term, .. }
            | Message::AppendEntries { term, .. }
            | Message::InstallSnapshot { term, .. }
            | Message::Appended { term, .. } => *term,
        }
    }
}
