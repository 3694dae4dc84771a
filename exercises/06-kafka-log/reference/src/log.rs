//! What a node knows of the logs: a local copy of messages by key and offset.

use std::collections::BTreeMap;

use serde_json::Value;

/// A node's local, possibly incomplete, copy of every log.
#[derive(Debug, Default)]
pub struct Logs {
    /// Messages by key, then offset.
    messages: BTreeMap<String, BTreeMap<u64, Value>>,
    /// Per key, one past the highest offset this node knows to be allocated
    /// (by itself or a peer). Offsets below it exist in lin-kv, or soon will.
    frontier: BTreeMap<String, u64>,
}

impl Logs {
    /// Records the message at `offset` of `key`.
    pub fn insert(&mut self, key: &str, offset: u64, msg: Value) {
        self.messages
            .entry(key.to_string())
            .or_default()
            .insert(offset, msg);
        self.saw_allocated(key, offset + 1);
    }

    /// Notes that every offset below `end` of `key` has been allocated.
    pub fn saw_allocated(&mut self, key: &str, end: u64) {
        let frontier = self.frontier.entry(key.to_string()).or_default();
        *frontier = (*frontier).max(end);
    }

    /// One past the highest offset of `key` known to be allocated.
    pub fn frontier(&self, key: &str) -> u64 {
        self.frontier.get(key).copied().unwrap_or(0)
    }

    /// The message at `offset` of `key`, if this node has it.
    pub fn get(&self, key: &str, offset: u64) -> Option<&Value> {
        self.messages.get(key)?.get(&offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frontier_follows_the_highest_offset() {
        let mut logs = Logs::default();
        assert_eq!(logs.frontier("k"), 0);
        logs.insert("k", 3, json!(7));
        logs.saw_allocated("k", 2);
        assert_eq!(logs.frontier("k"), 4);
        assert_eq!(logs.get("k", 3), Some(&json!(7)));
        assert_eq!(logs.get("k", 2), None);
    }
}
