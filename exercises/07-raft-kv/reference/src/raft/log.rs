//! The replicated log: entries indexed from 1, the oldest ones possibly replaced by
//! a snapshot.
//!
//! The log keeps the entries after its *base*: the index and term of the last entry
//! a snapshot covers (0 and 0 before any snapshot, a sentinel that makes "the entry
//! before the first" always exist). Entries up to the base are gone; their term is
//! unknown except the base's own.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created it.
    pub term: u64,
    /// The client's command; `None` for a new leader's no-op.
    pub command: Option<Value>,
}

/// The log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Log {
    /// Index of the last entry a snapshot replaced (0: none).
    base_index: u64,
    /// Term of that entry (0: none).
    base_term: u64,
    /// The entries at `base_index + 1`, `base_index + 2`, ...
    entries: Vec<Entry>,
    /// How many times entries were removed (cut at a conflict, compacted or
    /// replaced by a snapshot): while it stays the same, the log only grew,
    /// and a persister holding its first N entries needs only the rest.
    #[serde(skip)]
    rewrites: u64,
}

impl Log {
    /// Index of the last entry (the base if no entry follows it).
    pub fn last_index(&self) -> u64 {
        self.base_index + self.entries.len() as u64
    }

    /// Term of the last entry.
    pub fn last_term(&self) -> u64 {
        self.entries.last().map_or(self.base_term, |e| e.term)
    }

    /// Index of the last entry replaced by a snapshot (0 if none).
    pub fn base_index(&self) -> u64 {
        self.base_index
    }

    /// Term of that entry.
    pub fn base_term(&self) -> u64 {
        self.base_term
    }

    /// Number of entries kept (not replaced by a snapshot).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry follows the base.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// See the field: changes whenever entries were removed.
    pub fn rewrites(&self) -> u64 {
        self.rewrites
    }

    /// The kept entries from the `n`th (0-based, after the base) on.
    pub fn entries_from(&self, n: usize) -> &[Entry] {
        &self.entries[n.min(self.entries.len())..]
    }

    /// Position of `index` in `entries`, if it is kept.
    fn pos(&self, index: u64) -> Option<usize> {
        let pos = index.checked_sub(self.base_index + 1)? as usize;
        (pos < self.entries.len()).then_some(pos)
    }

    /// The term of the entry at `index`, if known: kept entries and the base.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.base_index {
            return Some(self.base_term);
        }
        self.pos(index).map(|p| self.entries[p].term)
    }

    /// The entry at `index`. Panics unless it is kept: callers check the bounds.
    pub fn entry(&self, index: u64) -> &Entry {
        let pos = self.pos(index).expect("entry within the kept log");
        &self.entries[pos]
    }

    /// Up to `max` entries from `from` on (`from` past the base).
    pub fn slice(&self, from: u64, max: usize) -> Vec<Entry> {
        let start = (from.saturating_sub(self.base_index + 1) as usize).min(self.entries.len());
        let end = start.saturating_add(max).min(self.entries.len());
        self.entries[start..end].to_vec()
    }

    /// Appends an entry, returning its index.
    pub fn push(&mut self, entry: Entry) -> u64 {
        self.entries.push(entry);
        self.last_index()
    }

    /// The first index of the run of entries of term `term` that contains `index`
    /// (at most the first kept index: older terms are behind the snapshot).
    pub fn first_index_of_term_at(&self, index: u64) -> u64 {
        let Some(term) = self.term_at(index) else {
            return index;
        };
        let mut first = index;
        while first > self.base_index + 1 && self.term_at(first - 1) == Some(term) {
            first -= 1;
        }
        first
    }

    /// The last kept index holding an entry of `term`, if any. Terms never decrease
    /// along the log, so this scans back only as far as that term.
    pub fn last_index_of_term(&self, term: u64) -> Option<u64> {
        (self.base_index + 1..=self.last_index())
            .rev()
            .take_while(|&i| self.entry(i).term >= term)
            .find(|&i| self.entry(i).term == term)
    }

    /// Stores `entries` after `prev_index` (at or past the base), keeping what
    /// already agrees and cutting the log at the first conflicting entry. Returns
    /// whether the log changed.
    ///
    /// Entries already present with the same term are left alone rather than
    /// rewritten: an old, reordered AppendEntries must never truncate entries that a
    /// newer one has added.
    pub fn merge(&mut self, prev_index: u64, entries: Vec<Entry>) -> bool {
        let mut changed = false;
        for (offset, entry) in entries.into_iter().enumerate() {
            let index = prev_index + 1 + offset as u64;
            match self.term_at(index) {
                Some(term) if term == entry.term => continue,
                Some(_) => {
                    let pos = self.pos(index).expect("a kept entry past the base");
                    self.entries.truncate(pos);
                    self.rewrites += 1;
                    self.entries.push(entry);
                }
                None => self.entries.push(entry),
            }
            changed = true;
        }
        changed
    }

    /// Drops the entries up to `index` (kept, at most the last), which a snapshot
    /// now covers; `index` becomes the base.
    pub fn compact(&mut self, index: u64) {
        let Some(pos) = self.pos(index) else {
            return;
        };
        self.base_term = self.entries[pos].term;
        self.base_index = index;
        self.entries.drain(..=pos);
        self.rewrites += 1;
    }

    /// Makes a snapshot ending at `index` of term `term` the base. Entries after it
    /// are kept if the log holds that very entry (they may extend it); otherwise the
    /// whole log is replaced (Figure 13, steps 6 and 7).
    pub fn reset_to(&mut self, index: u64, term: u64) {
        if index <= self.last_index() && self.term_at(index) == Some(term) {
            self.compact(index);
        } else {
            self.entries.clear();
        }
        self.rewrites += 1;
        self.base_index = index;
        self.base_term = term;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(term: u64, c: u64) -> Entry {
        Entry {
            term,
            command: Some(json!(c)),
        }
    }

    #[test]
    fn compaction_keeps_indices_and_terms() {
        let mut log = Log::default();
        for i in 1..=10 {
            log.push(entry(1 + i / 4, i));
        }
        log.compact(6);
        assert_eq!((log.base_index(), log.base_term()), (6, 2));
        assert_eq!(log.last_index(), 10);
        assert_eq!(log.term_at(5), None);
        assert_eq!(log.term_at(6), Some(2));
        assert_eq!(log.entry(7), &entry(2, 7));
        assert_eq!(
            log.slice(8, 10),
            vec![entry(3, 8), entry(3, 9), entry(3, 10)]
        );
        assert_eq!(log.first_index_of_term_at(7), 7);
        assert_eq!(log.first_index_of_term_at(10), 8);
        assert_eq!(log.last_index_of_term(2), Some(7));
        // Merging after the base: the same entries change nothing, a conflict cuts.
        assert!(!log.merge(6, vec![entry(2, 7), entry(3, 8)]));
        assert!(log.merge(7, vec![entry(4, 80)]));
        assert_eq!(log.last_index(), 8);
    }

    #[test]
    fn a_snapshot_keeps_a_matching_suffix_or_replaces_everything() {
        let mut log = Log::default();
        for i in 1..=5 {
            log.push(entry(1, i));
        }
        log.reset_to(3, 1);
        assert_eq!((log.base_index(), log.last_index()), (3, 5));
        log.reset_to(4, 2);
        assert_eq!(
            (log.base_index(), log.last_index(), log.last_term()),
            (4, 4, 2)
        );
        log.reset_to(9, 3);
        assert_eq!((log.base_index(), log.len()), (9, 0));
    }
}
