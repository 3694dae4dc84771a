//! Values waiting to be delivered to each peer.
//!
//! A value stays queued for a peer until that peer acknowledges a batch holding
//! it. Batches in flight are out of the queue; a batch that fails (timeout, most
//! often because of a partition) is put back and goes out again with the next
//! flush. So every value reaches every peer it was queued for, however long a
//! partition lasts, and nothing is resent while an acknowledgement may still come.

use std::collections::{BTreeMap, BTreeSet};

/// Per-peer queues of values not yet acknowledged. `BTreeMap`s keep the order of
/// what is sent independent of hashing, so a seeded run replays exactly.
#[derive(Debug, Default)]
pub struct Outbox {
    queued: BTreeMap<String, BTreeSet<u64>>,
}

impl Outbox {
    /// Queues `values` for `peer`.
    pub fn push(&mut self, peer: &str, values: impl IntoIterator<Item = u64>) {
        self.queued
            .entry(peer.to_string())
            .or_default()
            .extend(values);
    }

    /// Empties the queues: one batch per peer that has anything queued.
    pub fn take_batches(&mut self) -> Vec<(String, Vec<u64>)> {
        let queued = std::mem::take(&mut self.queued);
        queued
            .into_iter()
            .filter(|(_, values)| !values.is_empty())
            .map(|(peer, values)| (peer, values.into_iter().collect()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_merge_and_empty_the_queue() {
        let mut outbox = Outbox::default();
        outbox.push("n2", [3, 1]);
        outbox.push("n1", [2]);
        outbox.push("n2", [1, 4]);
        assert_eq!(
            outbox.take_batches(),
            vec![("n1".into(), vec![2]), ("n2".into(), vec![1, 3, 4])]
        );
        assert!(outbox.take_batches().is_empty());
    }
}
