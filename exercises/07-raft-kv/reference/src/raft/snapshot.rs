//! Log compaction (§7): the application's snapshots replace the log's oldest
//! entries, and a leader that no longer has the entries a follower needs sends its
//! snapshot instead.

use serde_json::Value;

use super::{Message, Raft, Role};
use crate::api::{NodeId, Snapshot};

impl Raft {
    /// The application's state after applying everything up to `index`: keep it
    /// as the snapshot and drop the entries it covers. Each node compacts on its
    /// own, whenever its application likes; only applied (hence committed)
    /// entries can go, so nothing a leader may still overwrite is ever lost.
    pub(super) fn compact_log(&mut self, index: u64, data: Value) {
        if index <= self.log.base_index() || index > self.applied {
            return;
        }
        self.log.compact(index);
        self.snapshot = data;
        self.snapshot_dirty = true;
        self.persist();
    }

    /// Sends `peer` the snapshot, because its next entry has been compacted away.
    pub(super) fn send_snapshot(&mut self, peer: NodeId) {
        let (index, term) = (self.log.base_index(), self.log.base_term());
        let Role::Leader { progress, .. } = &mut self.role else {
            return;
        };
        // As with entries, assume it arrives; a rejection of what follows moves
        // `next` back and sends it again.
        progress[peer].next = index + 1;
        let msg = Message::InstallSnapshot {
            term: self.term,
            snapshot: Snapshot {
                index,
                term,
                data: self.snapshot.clone(),
            },
        };
        self.send(peer, msg);
    }

    /// A leader's snapshot (Figure 13): installed unless we have already committed
    /// that far, in which case it tells us nothing new.
    pub(super) fn handle_snapshot(&mut self, from: NodeId, snapshot: Snapshot) {
        // Only the leader of our term sends these (see `handle_append`).
        self.role = Role::Follower { leader: Some(from) };
        self.reset_election_deadline();
        self.leader_heard_at = self.now;
        let term = self.term;
        let index = snapshot.index;
        if index > self.commit {
            self.log.reset_to(index, snapshot.term);
            self.snapshot = snapshot.data.clone();
            self.snapshot_dirty = true;
            self.persist();
            self.commit = index;
            self.applied = index;
            // Whatever the application has not taken yet is older than the
            // snapshot, which replaces it.
            self.apply_queue.clear();
            self.snapshot_queue = Some(snapshot);
        }
        // Our log now matches the leader's up to `index`: either we just made it
        // so, or we had committed that far, and committed entries are in every
        // later leader's log.
        self.send(
            from,
            Message::Appended {
                term,
                result: Ok(index),
            },
        );
    }
}
