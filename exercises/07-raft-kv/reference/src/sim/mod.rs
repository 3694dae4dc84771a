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
//!   order, with no gap and no repetition; a snapshot it takes moves it to the
//!   snapshot's index;
//! - **snapshot contents** (stage 4): every node runs a tiny application whose
//!   state is a digest of the commands it applied; a snapshot handed to it must
//!   hold exactly the digest of the committed commands up to its index.

mod helpers;

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

    fn update(&mut self, edit: &mut dyn FnMut(&mut Value)) {
        edit(self.state.borrow_mut().get_or_insert(Value::Null));
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
    /// Per node: the highest index a snapshot it took covers, in any
    /// incarnation (those entries count as applied there).
    covered: Vec<u64>,
    /// Per node: the application's state.
    apps: Vec<App>,
    /// If set, each application hands its core a snapshot every this many
    /// applied entries (stage 4).
    snapshot_every: Option<u64>,
    /// The leader seen in each term.
    leaders: BTreeMap<u64, NodeId>,
    violation: Option<String>,
}

/// The application each simulated node runs: a digest of the commands applied so
/// far, which is all a snapshot needs to carry to be checked.
#[derive(Clone, Copy, Debug, Default)]
struct App {
    /// The last index applied (or covered by the snapshot loaded).
    index: u64,
    /// The digest of the commands up to `index`.
    digest: u64,
    /// The index of the last snapshot handed to the core.
    snapshot_at: u64,
}

/// Folds one command into a digest (FNV-1a over its JSON).
fn digest_step(digest: u64, command: &Option<Value>) -> u64 {
    let text = serde_json::to_string(command).unwrap_or_default();
    text.bytes().fold(digest ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl<'f, C: RaftCore> Cluster<'f, C> {
    /// Starts `n` cores built by `factory` on a reliable network.
    pub fn new(n: usize, seed: u64, factory: Factory<'f, C>) -> Self {
        let mut cluster = Cluster {
            factory,
            timing: Timing::default(),
            rng: StdRng::seed_from_u64(seed),
            nodes: (0..n).map(|_| None).collect(),
            // One persister per node: `vec![..; n]` would clone one shared cell.
            storage: (0..n).map(|_| MemPersister::default()).collect(),
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
            covered: vec![0; n],
            apps: vec![App::default(); n],
            snapshot_every: None,
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
        self.apps[i] = App::default();
        self.collect(i);
    }

    /// Makes every node's application hand its core a snapshot every `every`
    /// applied entries (`None`: never, as in stages 1 to 3).
    pub fn set_snapshot_every(&mut self, every: Option<u64>) {
        self.snapshot_every = every;
    }

    /// The size of node `i`'s persisted state, in bytes of JSON: what must stay
    /// bounded once the log is compacted.
    pub fn persisted_bytes(&self, i: NodeId) -> usize {
        self.storage[i]
            .load()
            .map_or(0, |v| serde_json::to_string(&v).map_or(0, |s| s.len()))
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
        // The snapshot first: the entries that follow come after it.
        let snapshot = core.take_snapshot();
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

        if let Some(snapshot) = snapshot {
            self.load_snapshot(i, snapshot);
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
            let app = &mut self.apps[i];
            app.digest = digest_step(app.digest, &a.command);
            app.index = a.index;
            self.applied[i].insert(a.index, a.command);
        }
        self.maybe_compact(i);

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

    /// Node `i`'s application loads a snapshot its core handed over; it must
    /// be ahead of what the application has and hold the committed commands.
    fn load_snapshot(&mut self, i: NodeId, snapshot: crate::api::Snapshot) {
        if snapshot.index < self.applied_upto[i] {
            self.fail(format!(
                "node {i} handed over a snapshot at index {} after applying index {}",
                snapshot.index, self.applied_upto[i]
            ));
            return;
        }
        let mut expected = 0;
        for index in 1..=snapshot.index {
            match self.committed.get(&index) {
                Some(command) => expected = digest_step(expected, command),
                None => {
                    self.fail(format!(
                        "node {i} handed over a snapshot at index {} but index {index} \
                         was never applied anywhere",
                        snapshot.index
                    ));
                    return;
                }
            }
        }
        let digest = snapshot.data.get("digest").and_then(Value::as_u64);
        if digest != Some(expected) {
            self.fail(format!(
                "node {i} handed over a snapshot at index {} holding {}, which is not the \
                 state the committed commands up to there give (a snapshot from another \
                 node's state, or its data lost?)",
                snapshot.index, snapshot.data
            ));
            return;
        }
        self.applied_upto[i] = snapshot.index;
        self.covered[i] = self.covered[i].max(snapshot.index);
        self.apps[i] = App {
            index: snapshot.index,
            digest: expected,
            snapshot_at: snapshot.index,
        };
    }

    /// Hands node `i`'s core a snapshot if its application is due for one.
    fn maybe_compact(&mut self, i: NodeId) {
        let Some(every) = self.snapshot_every else {
            return;
        };
        let app = self.apps[i];
        if app.index < app.snapshot_at + every.max(1) {
            return;
        }
        self.apps[i].snapshot_at = app.index;
        let data = serde_json::json!({ "index": app.index, "digest": app.digest });
        if let Some(core) = self.nodes[i].as_mut() {
            // Anything this makes the core send goes out with its next outbox.
            core.compact(app.index, data);
        }
    }

    fn fail(&mut self, what: String) {
        if self.violation.is_none() {
            self.violation = Some(format!("at {} ms: {what}", self.now));
        }
    }
}
