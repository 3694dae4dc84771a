//! What scenarios observe and do with a [`Cluster`]: leaders, terms, agreement on
//! a command, waiting until every node has caught up.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Cluster;
use crate::api::{NodeId, RaftCore};

impl<C: RaftCore> Cluster<'_, C> {
    /// Nodes that are up and in group 0.
    pub fn connected_up(&self) -> Vec<NodeId> {
        (0..self.nodes.len())
            .filter(|&i| self.is_up(i) && self.group[i] == 0)
            .collect()
    }

    /// The nodes among `among` that believe they lead, by term.
    fn leaders_among(&self, among: &[NodeId]) -> BTreeMap<u64, Vec<NodeId>> {
        let mut by_term: BTreeMap<u64, Vec<NodeId>> = BTreeMap::new();
        for &i in among {
            if let Some(core) = self.node(i) {
                if core.is_leader() {
                    by_term.entry(core.term()).or_default().push(i);
                }
            }
        }
        by_term
    }

    /// Waits (up to ten election timeouts) until the connected nodes have exactly
    /// one leader in their newest leader term, and returns it.
    pub fn check_one_leader(&mut self) -> Result<NodeId, String> {
        let step = self.timing.election_timeout.1;
        for _ in 0..10 {
            self.run_for(step)?;
            let connected = self.connected_up();
            if let Some((term, leaders)) = self.leaders_among(&connected).pop_last() {
                if leaders.len() > 1 {
                    return Err(format!("term {term} has leaders {leaders:?}"));
                }
                return Ok(leaders[0]);
            }
        }
        Err(format!(
            "expected one leader among nodes {:?} within {} ms, got none \
             (does the core start elections from tick()?)",
            self.connected_up(),
            10 * step
        ))
    }

    /// Fails if any connected node believes it leads.
    pub fn check_no_leader(&self) -> Result<(), String> {
        let connected = self.connected_up();
        match self.leaders_among(&connected).pop_last() {
            Some((term, leaders)) => Err(format!(
                "expected no leader among {connected:?}, but {leaders:?} lead term {term}"
            )),
            None => Ok(()),
        }
    }

    /// The term all connected nodes agree on; fails if they disagree.
    pub fn check_terms(&self) -> Result<u64, String> {
        let terms: Vec<(NodeId, u64)> = self
            .connected_up()
            .into_iter()
            .filter_map(|i| self.node(i).map(|c| (i, c.term())))
            .collect();
        let first = terms.first().map_or(0, |t| t.1);
        if terms.iter().any(|t| t.1 != first) {
            return Err(format!("connected nodes disagree on the term: {terms:?}"));
        }
        Ok(first)
    }

    /// How many nodes have applied `index`, and the command there.
    pub fn n_committed(&self, index: u64) -> (usize, Option<Value>) {
        let count = (0..self.nodes.len())
            .filter(|&i| self.applied[i].contains_key(&index) || self.covered[i] >= index)
            .count();
        (count, self.committed.get(&index).cloned().flatten())
    }

    /// Has `command` agreed on by at least `expected` nodes: proposes it on
    /// whichever connected node accepts it, waits up to 2 s for it to be applied,
    /// and, if `retry`, tries again (up to 10 s in all) when it is not. Returns its
    /// index.
    pub fn one(&mut self, command: Value, expected: usize, retry: bool) -> Result<u64, String> {
        let start = self.now;
        let mut candidate = 0;
        while self.now < start + 10_000 {
            let mut index = None;
            for _ in 0..self.nodes.len() {
                candidate = (candidate + 1) % self.nodes.len();
                if self.is_up(candidate) && self.group[candidate] == 0 {
                    if let Some(i) = self.propose(candidate, command.clone()) {
                        index = Some(i);
                        break;
                    }
                }
            }
            let Some(index) = index else {
                self.run_for(50)?;
                continue;
            };
            let deadline = self.now + 2_000;
            while self.now < deadline {
                self.run_for(20)?;
                let (count, got) = self.n_committed(index);
                if count >= expected && got.as_ref() == Some(&command) {
                    return Ok(index);
                }
            }
            if !retry {
                let (count, got) = self.n_committed(index);
                return Err(format!(
                    "command {command} proposed at index {index} was not agreed on by {expected} \
                     nodes within 2 s ({count} applied {got:?} there)"
                ));
            }
        }
        Err(format!(
            "command {command} was not agreed on by {expected} nodes within 10 s"
        ))
    }

    /// Runs until every connected node that is up has applied everything
    /// committed, or fails after `within` ms.
    pub fn wait_applied_everywhere(&mut self, within: u64) -> Result<(), String> {
        let deadline = self.now + within;
        loop {
            let last = self.committed.keys().next_back().copied().unwrap_or(0);
            let lagging: Vec<NodeId> = (0..self.nodes.len())
                .filter(|&i| self.is_up(i) && self.group[i] == 0 && self.applied_upto[i] < last)
                .collect();
            if lagging.is_empty() {
                return Ok(());
            }
            if self.now >= deadline {
                return Err(format!(
                    "nodes {lagging:?} have not applied index {last} within {within} ms"
                ));
            }
            self.run_for(20)?;
        }
    }
}
