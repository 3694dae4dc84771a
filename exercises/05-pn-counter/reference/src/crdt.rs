//! The PN-counter CRDT: two grow-only counters, one for increments (P) and one
//! for decrements (N), each a map from node id to that node's running total.
//!
//! Only node `n` ever raises `P[n]` or `N[n]`, so merging two replicas by taking
//! each entry's maximum loses nothing and double-counts nothing; merges commute,
//! associate and are idempotent, so gossip can arrive in any order, duplicated
//! or late, and every replica converges on the same value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A PN-counter replica. `BTreeMap`s keep its serialised form in a fixed order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PnCounter {
    /// Each node's total of positive deltas.
    pub p: BTreeMap<String, u64>,
    /// Each node's total of negative deltas, as a positive number.
    pub n: BTreeMap<String, u64>,
}

impl PnCounter {
    /// Records `delta` as done by `node`.
    pub fn add(&mut self, node: &str, delta: i64) {
        let side = if delta >= 0 { &mut self.p } else { &mut self.n };
        *side.entry(node.to_string()).or_default() += delta.unsigned_abs();
    }

    /// The counter's value.
    pub fn value(&self) -> i64 {
        let sum = |m: &BTreeMap<String, u64>| m.values().map(|v| *v as i64).sum::<i64>();
        sum(&self.p) - sum(&self.n)
    }

    /// Folds `other` into this replica: entry-wise maximum.
    pub fn merge(&mut self, other: &PnCounter) {
        for (mine, theirs) in [(&mut self.p, &other.p), (&mut self.n, &other.n)] {
            for (node, total) in theirs {
                let entry = mine.entry(node.clone()).or_default();
                *entry = (*entry).max(*total);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_is_idempotent_and_order_free() {
        let mut a = PnCounter::default();
        a.add("n1", 5);
        a.add("n1", -2);
        let mut b = PnCounter::default();
        b.add("n2", -4);
        let mut ab = a.clone();
        ab.merge(&b);
        ab.merge(&b);
        let mut ba = b.clone();
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!(ab.value(), -1);
        // A stale copy of a's state changes nothing.
        let stale = PnCounter::default();
        ab.merge(&stale);
        assert_eq!(ab.value(), -1);
    }
}
