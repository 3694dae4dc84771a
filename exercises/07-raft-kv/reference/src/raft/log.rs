//! The replicated log: entries indexed from 1, with a sentinel at index 0.

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

/// The log. Index 0 is a sentinel of term 0 so that "the entry before the first"
/// always exists and needs no special case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Log {
    entries: Vec<Entry>,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            entries: vec![Entry {
                term: 0,
                command: None,
            }],
        }
    }
}

impl Log {
    /// Index of the last entry (0 if the log is empty).
    pub fn last_index(&self) -> u64 {
        self.entries.len() as u64 - 1
    }

    /// Term of the last entry (0 if the log is empty).
    pub fn last_term(&self) -> u64 {
        self.entries[self.entries.len() - 1].term
    }

    /// The term of the entry at `index`, if there is one.
    pub fn term_at(&self, index: u64) -> Option<u64> {
        self.entries.get(index as usize).map(|e| e.term)
    }

    /// The entry at `index`. Panics past the end: callers check `last_index`.
    pub fn entry(&self, index: u64) -> &Entry {
        &self.entries[index as usize]
    }

    /// Up to `max` entries from `from` on.
    pub fn slice(&self, from: u64, max: usize) -> Vec<Entry> {
        let from = (from as usize).min(self.entries.len());
        let to = from.saturating_add(max).min(self.entries.len());
        self.entries[from..to].to_vec()
    }

    /// Appends an entry, returning its index.
    pub fn push(&mut self, entry: Entry) -> u64 {
        self.entries.push(entry);
        self.last_index()
    }

    /// The first index of the run of entries of term `term` that contains `index`.
    pub fn first_index_of_term_at(&self, index: u64) -> u64 {
        let term = self.entries[index as usize].term;
        let mut first = index;
        while first > 1 && self.entries[first as usize - 1].term == term {
            first -= 1;
        }
        first
    }

    /// The last index holding an entry of `term`, if any. Terms never decrease
    /// along the log, so this scans back only as far as that term.
    pub fn last_index_of_term(&self, term: u64) -> Option<u64> {
        (1..=self.last_index())
            .rev()
            .take_while(|&i| self.entries[i as usize].term >= term)
            .find(|&i| self.entries[i as usize].term == term)
    }

    /// Stores `entries` after `prev_index`, keeping what already agrees and cutting
    /// the log at the first conflicting entry. Returns whether the log changed.
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
                    self.entries.truncate(index as usize);
                    self.entries.push(entry);
                }
                None => self.entries.push(entry),
            }
            changed = true;
        }
        changed
    }
}
