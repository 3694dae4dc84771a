//! The leader's side of replication: what followers' answers tell it, when an
//! entry is committed, and when to give up leading.

use super::{Bug, Conflict, Raft, Role};
use crate::api::NodeId;

impl Raft {
    pub(super) fn handle_appended(&mut self, from: NodeId, result: Result<u64, Conflict>) {
        let (last_index, now) = (self.log.last_index(), self.now);
        let Role::Leader { progress, heard } = &mut self.role else {
            return;
        };
        heard[from] = now;
        let p = &mut progress[from];
        match result {
            Ok(matched) => {
                // Replies may arrive out of order: never move backwards.
                if matched > p.matched {
                    p.matched = matched;
                }
                p.next = p.next.max(p.matched + 1);
                let behind = p.next <= last_index;
                self.advance_commit();
                if behind {
                    self.send_append(from);
                }
            }
            Err(conflict) => {
                // Skip the whole conflicting term: if we have entries of that term,
                // the logs may agree up to our last one; if not, none of the
                // follower's entries of that term can match ours.
                let next = match conflict.term {
                    Some(t) => match self.log.last_index_of_term(t) {
                        Some(i) => i + 1,
                        None => conflict.index,
                    },
                    None => conflict.index,
                };
                // A stale rejection must not undo progress already confirmed.
                p.next = next.clamp(p.matched + 1, last_index + 1);
                self.send_append(from);
            }
        }
    }

    /// Commits the highest index of the current term that a majority holds (§5.3,
    /// §5.4.2). Entries of earlier terms are never counted directly (Figure 8): they
    /// commit with the first current-term entry after them.
    pub(super) fn advance_commit(&mut self) {
        let Role::Leader { progress, .. } = &self.role else {
            return;
        };
        let needed = match self.bug {
            Bug::CommitWithoutMajority => self.cluster_size / 2,
            _ => self.majority(),
        };
        let last = self.log.last_index();
        let mut new_commit = self.commit;
        for n in (self.commit + 1..=last).rev() {
            if self.log.term_at(n) != Some(self.term) {
                break;
            }
            let holders = 1 + self.peers().filter(|&p| progress[p].matched >= n).count();
            if holders >= needed {
                new_commit = n;
                break;
            }
        }
        if new_commit > self.commit {
            self.commit = new_commit;
            self.queue_applied();
        }
    }

    /// Whether a leader has heard from fewer than a majority (itself included)
    /// within the longest election timeout: by then the others may well have
    /// elected someone else (§6.2's check, as leader lease-free "check quorum").
    pub(super) fn lost_quorum(&self) -> bool {
        let Role::Leader { heard, .. } = &self.role else {
            return false;
        };
        let window = self.timing.election_timeout.1;
        let recent = self
            .peers()
            .filter(|&p| self.now.saturating_sub(heard[p]) <= window)
            .count();
        1 + recent < self.majority()
    }
}
