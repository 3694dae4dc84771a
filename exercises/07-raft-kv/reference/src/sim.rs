//! A deterministic simulated cluster: several Raft cores over a simulated network
//! on virtual time, with Raft's safety properties checked after every event.
//!
//! Everything random (message loss and delays, the cores' election timeouts) comes
//! from one rng seeded by the test, and events are ordered by (time, sequence
//! number), so a seed replays a run exactly. Virtual time is in milliseconds and
//! jumps from event to event: a ten-second scenario costs what its messages cost.
//!
//! Checked continuously (the first violation is kept and fails the scenario):
//! - **election safety**: at most one leader per term, across restarts;
//! - **state machine safety**: no two nodes apply different commands at one index;
//! - **apply order**: each incarnation of a core applies indices 1, 2, 3, ... in
//!   order, with no gap and no repetition.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::api::{NodeId, Persister, RaftCore, Setup, Timing};

/// Builds a core; called at start and at every restart.
pub type Factory<'a, C> = &'a dyn Fn(Setup) -> C;

/// How the network treats messages.
#[derive(Clone, Copy, Debug)]
pub struct NetConfig {
    /// Probability that a message is lost.
    pub loss: f64,
    /// Delivery delay range in ms (inclusive), drawn per message; different delays
    /// reorder messages.
    pub delay: (u64, u64),
    /// Probability that a message is held back much longer.
    pub long_delay: f64,
    /// Upper bound of a long delay, in ms.
    pub long_delay_max: u64,
}

impl NetConfig {
    /// No loss, 1 to 5 ms of delay.
    pub fn reliable() -> Self {
        NetConfig {
            loss: 0.0,
            delay: (1, 5),
            long_delay: 0.0,
            long_delay_max: 0,
        }
    }

    /// 10% loss, 1 to 30 ms of delay, and 5% of messages delayed up to 1 s.
    pub fn unreliable() -> Self {
        NetConfig {
            loss: 0.1,
            delay: (1, 30),
            long_delay: 0.05,
            long_delay_max: 1000,
        }
    }
}

/// A persister kept in memory by the simulation, so it outlives a crashed core.
#[derive(Clone, Default)]
pub struct MemPersister {
    state: Rc<RefCell<Option<Value>>>,
}

impl Persister for MemPersister {
    fn save(&mut self, state: Value) {
        *self.state.borrow_mut() = Some(state);
    }

    fn load(&self) -> Option<Value> {
        self.state.borrow().clone()
    }
}

/// A message in flight.
struct InFlight<M> {
    from: NodeId,
    to: NodeId,
    msg: M,
}

/// The group a node is in when it is cut off from everyone.
const ALONE: usize = 1_000;

/// How often every live core gets a `tick`, in ms.
pub const TICK_MS: u64 = 10;

/// A simulated cluster of cores of type `C`.
pub struct Cluster<'f, C: RaftCore> {
    factory: Factory<'f, C>,
    timing: Timing,
    rng: StdRng,
    nodes: Vec<Option<C>>,
    storage: Vec<MemPersister>,
    /// Partition group per node: messages pass only within a group. Group 0 is
    /// "the connected majority" the checks look at.
    group: Vec<usize>,
    /// The network's behaviour; change it at will.
    pub net: NetConfig,
    now: u64,
    next_tick: u64,
    seq: u64,
    queue: BTreeMap<(u64, u64), InFlight<C::Message>>,
    /// Messages handed to the network so far, per receiver.
    sent_to: Vec<u64>,
    /// The command committed at each index, as first applied by any node.
    committed: BTreeMap<u64, Option<Value>>,
    /// Per node: the last index applied by its current incarnation.
    applied_upto: Vec<u64>,
    /// Per node: every (index, command) it ever applied.
    applied: Vec<BTreeMap<u64, Option<Value>>>,
    /// The leader seen in each term.
    leaders: BTreeMap<u64, NodeId>,
    violation: Option<String>,
}

impl<'f, C: RaftCore> Cluster<'f, C> {
    /// Starts `n` cores built by `factory` on a reliable network.
    pub fn new(n: usize, seed: u64, factory: Factory<'f, C>) -> Self {
        let mut cluster = Cluster {
            factory,
            timing: Timing::default(),
            rng: StdRng::seed_from_u64(seed),
            nodes: (0..n).map(|_| None).collect(),
            storage: vec![MemPersister::default(); n],
            group: vec![0; n],
            net: NetConfig::reliable(),
            now: 0,
            next_tick: 0,
            seq: 0,
            queue: BTreeMap::new(),
            sent_to: vec![0; n],
            committed: BTreeMap::new(),
            applied_upto: vec![0; n],
            applied: vec![BTreeMap::new(); n],
            leaders: BTreeMap::new(),
            violation: None,
        };
        for i in 0..n {
            cluster.restart(i);
        }
        cluster
    }

    /// The timing the cores were built with.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a cluster has at least one node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Virtual time, in ms.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The core of node `i`, unless it is crashed.
    pub fn node(&self, i: NodeId) -> Option<&C> {
        self.nodes[i].as_ref()
    }

    /// Whether node `i` is running.
    pub fn is_up(&self, i: NodeId) -> bool {
        self.nodes[i].is_some()
    }

    /// The rng of the scenario (the same stream the network draws from).
    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// The first safety violation seen, if any.
    pub fn violation(&self) -> Option<&str> {
        self.violation.as_deref()
    }

    /// Messages sent so far, in total.
    pub fn messages_sent(&self) -> u64 {
        self.sent_to.iter().sum()
    }

    /// Messages sent to node `i` so far.
    pub fn messages_sent_to(&self, i: NodeId) -> u64 {
        self.sent_to[i]
    }

    /// The commands committed so far, by index.
    pub fn committed(&self) -> &BTreeMap<u64, Option<Value>> {
        &self.committed
    }

    /// What node `i` has applied at `index` (in any incarnation).
    pub fn applied_at(&self, i: NodeId, index: u64) -> Option<&Option<Value>> {
        self.applied[i].get(&index)
    }

    /// The last index node `i`'s current incarnation has applied.
    pub fn applied_upto(&self, i: NodeId) -> u64 {
        self.applied_upto[i]
    }

    // ---- faults -----------------------------------------------------------------

    /// Crashes node `i`: its core is dropped; its persister survives. Messages
    /// already sent by it are still delivered; messages to it are lost.
    pub fn crash(&mut self, i: NodeId) {
        self.nodes[i] = None;
    }

    /// Starts node `i` again (or for the first time) from its persister.
    pub fn restart(&mut self, i: NodeId) {
        let setup = Setup {
            id: i,
            cluster_size: self.nodes.len(),
            timing: self.timing,
            rng: StdRng::seed_from_u64(self.rng.random()),
            persister: Box::new(self.storage[i].clone()),
        };
        self.nodes[i] = Some((self.factory)(setup));
        self.applied_upto[i] = 0;
        self.collect(i);
    }

    /// Cuts node `i` off from every other node.
    pub fn disconnect(&mut self, i: NodeId) {
        self.group[i] = ALONE + i;
    }

    /// Reconnects node `i` to group 0.
    pub fn connect(&mut self, i: NodeId) {
        self.group[i] = 0;
    }

    /// Whether node `i` is in group 0.
    pub fn is_connected(&self, i: NodeId) -> bool {
        self.group[i] == 0
    }

    /// Puts each node in the group of the given index: `groups[i]` for node `i`.
    /// Nodes in group 0 are the ones the leader checks look at.
    pub fn partition(&mut self, groups: &[usize]) {
        self.group.copy_from_slice(groups);
    }

    /// Heals every partition.
    pub fn heal(&mut self) {
        self.group.fill(0);
    }

    // ---- running ----------------------------------------------------------------

    /// Runs the cluster for `ms` of virtual time; fails on a safety violation.
    pub fn run_for(&mut self, ms: u64) -> Result<(), String> {
        let end = self.now + ms;
        loop {
            let next_msg = self.queue.keys().next().map(|&(t, _)| t);
            let next = next_msg.map_or(self.next_tick, |t| t.min(self.next_tick));
            if next > end {
                break;
            }
            self.now = next;
            if next_msg == Some(next) {
                let (_, m) = self.queue.pop_first().expect("queue is not empty");
                self.deliver(m);
            } else {
                self.next_tick += TICK_MS;
                for i in 0..self.nodes.len() {
                    if let Some(core) = self.nodes[i].as_mut() {
                        core.tick(self.now);
                        self.collect(i);
                    }
                }
            }
            if self.violation.is_some() {
                break;
            }
        }
        self.now = self.now.max(end);
        self.check()
    }

    /// Fails if a safety violation has been seen.
    pub fn check(&self) -> Result<(), String> {
        match &self.violation {
            Some(v) => Err(v.clone()),
            None => Ok(()),
        }
    }

    /// Proposes `command` on node `i`; `Some(index)` if it was accepted.
    pub fn propose(&mut self, i: NodeId, command: Value) -> Option<u64> {
        let core = self.nodes[i].as_mut()?;
        let result = core.propose(command);
        self.collect(i);
        result.ok().map(|p| p.index)
    }

    fn deliver(&mut self, m: InFlight<C::Message>) {
        if self.group[m.from] != self.group[m.to] {
            return;
        }
        if let Some(core) = self.nodes[m.to].as_mut() {
            core.step(m.from, m.msg);
            self.collect(m.to);
        }
    }

    /// Moves what core `i` produced into the network and the checkers.
    fn collect(&mut self, i: NodeId) {
        let Some(core) = self.nodes[i].as_mut() else {
            return;
        };
        let outbox = core.take_outbox();
        let applied = core.take_applied();
        let leader_term = core.is_leader().then(|| core.term());

        for out in outbox {
            if out.to >= self.nodes.len() {
                self.fail(format!(
                    "node {i} sent a message to unknown node {}",
                    out.to
                ));
                continue;
            }
            self.sent_to[out.to] += 1;
            if self.group[i] != self.group[out.to] || self.rng.random_bool(self.net.loss) {
                continue;
            }
            let (lo, hi) = self.net.delay;
            let mut delay = self.rng.random_range(lo..=hi);
            if self.net.long_delay > 0.0 && self.rng.random_bool(self.net.long_delay) {
                delay += self.rng.random_range(0..=self.net.long_delay_max);
            }
            self.seq += 1;
            let m = InFlight {
                from: i,
                to: out.to,
                msg: out.msg,
            };
            self.queue.insert((self.now + delay, self.seq), m);
        }

        for a in applied {
            let expected = self.applied_upto[i] + 1;
            if a.index != expected {
                self.fail(format!(
                    "node {i} applied index {} where {expected} was next (apply out of order)",
                    a.index
                ));
                continue;
            }
            self.applied_upto[i] = a.index;
            match self.committed.get(&a.index) {
                Some(c) if *c != a.command => {
                    let c = c.clone();
                    self.fail(format!(
                        "node {i} applied {:?} at index {}, another node applied {c:?} there",
                        a.command, a.index
                    ));
                }
                Some(_) => {}
                None => {
                    self.committed.insert(a.index, a.command.clone());
                }
            }
            self.applied[i].insert(a.index, a.command);
        }

        if let Some(term) = leader_term {
            match self.leaders.get(&term) {
                Some(&other) if other != i => self.fail(format!(
                    "two leaders in term {term}: node {other} and node {i}"
                )),
                Some(_) => {}
                None => {
                    self.leaders.insert(term, i);
                }
            }
        }
    }

    fn fail(&mut self, what: String) {
        if self.violation.is_none() {
            self.violation = Some(format!("at {} ms: {what}", self.now));
        }
    }

    // ---- observations and helpers for scenarios ---------------------------------

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
            .filter(|&i| self.applied[i].contains_key(&index))
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
