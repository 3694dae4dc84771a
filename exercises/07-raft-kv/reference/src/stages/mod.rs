//! The graded scenarios, stage by stage, generic over the Raft core.
//!
//! Each scenario builds [`Cluster`]s from a factory of cores, runs a story (elect,
//! cut the leader off, propose, crash, ...) on virtual time and returns `Err` with
//! a description of the first thing that went wrong. A stage passes when every one
//! of its scenarios passes for every seed.
//!
//! ```
//! # #[cfg(feature = "solution")] {
//! use raft_kv_reference::raft::Raft;
//! use raft_kv_reference::stages::{run_scenario, scenario};
//!
//! let s = scenario("initial_election_3").unwrap();
//! run_scenario(&s, &|setup| Raft::new(setup), 0..3).unwrap();
//! # }
//! ```

mod election;
mod persistence;
mod replication;
mod snapshots;

use std::fmt;
use std::ops::Range;

use crate::api::{RaftCore, Setup};
use crate::sim::Cluster;

pub use crate::sim::Factory;

/// The stages of the exercise, in the order they are meant to be done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// One leader per term, elected quickly, re-elected when cut off.
    Election = 1,
    /// Agreement on a log, commit only with a majority, catching up followers.
    Replication = 2,
    /// Crash and restart with durable state; unreliable networks; Figure 8.
    Persistence = 3,
    /// Log compaction: snapshots, followers caught up from one, bounded state.
    Snapshots = 4,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 4] = [
        Stage::Election,
        Stage::Replication,
        Stage::Persistence,
        Stage::Snapshots,
    ];

    /// The stage with this number (1 to 4).
    pub fn from_number(n: u32) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| *s as u32 == n)
    }

    /// The stage's name, as grade.toml's `stage` key spells it: `election`,
    /// `replication`, `persistence`, `snapshots`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Election => "election",
            Stage::Replication => "replication",
            Stage::Persistence => "persistence",
            Stage::Snapshots => "snapshots",
        }
    }

    /// The stage with this number or name (`"4"` or `"snapshots"`).
    pub fn parse(s: &str) -> Option<Stage> {
        match s.parse() {
            Ok(n) => Stage::from_number(n),
            Err(_) => Stage::ALL.into_iter().find(|st| st.name() == s),
        }
    }
}

/// One graded scenario: a story told on a fresh cluster of `nodes` cores.
pub struct Scenario {
    /// A short name, e.g. `initial_election_3`.
    pub name: &'static str,
    /// The stage it belongs to.
    pub stage: Stage,
    /// Cluster size.
    pub nodes: usize,
    /// What it checks, for the failure message.
    pub checks: &'static str,
    /// The story: drives the cluster and fails with a description.
    pub story: fn(&mut dyn Sim) -> Result<(), String>,
}

/// What a story can do with a cluster: [`Cluster`]'s operations, object-safe.
pub trait Sim {
    /// See [`Cluster::run_for`].
    fn run_for(&mut self, ms: u64) -> Result<(), String>;
    /// See [`Cluster::check_one_leader`].
    fn check_one_leader(&mut self) -> Result<usize, String>;
    /// See [`Cluster::check_no_leader`].
    fn check_no_leader(&self) -> Result<(), String>;
    /// See [`Cluster::check_terms`].
    fn check_terms(&self) -> Result<u64, String>;
    /// See [`Cluster::one`].
    fn one(
        &mut self,
        command: serde_json::Value,
        expected: usize,
        retry: bool,
    ) -> Result<u64, String>;
    /// See [`Cluster::propose`].
    fn propose(&mut self, i: usize, command: serde_json::Value) -> Option<u64>;
    /// See [`Cluster::n_committed`].
    fn n_committed(&self, index: u64) -> (usize, Option<serde_json::Value>);
    /// See [`Cluster::wait_applied_everywhere`].
    fn wait_applied_everywhere(&mut self, within: u64) -> Result<(), String>;
    /// See [`Cluster::crash`].
    fn crash(&mut self, i: usize);
    /// See [`Cluster::restart`].
    fn restart(&mut self, i: usize);
    /// See [`Cluster::disconnect`].
    fn disconnect(&mut self, i: usize);
    /// See [`Cluster::connect`].
    fn connect(&mut self, i: usize);
    /// See [`Cluster::is_connected`].
    fn is_connected(&self, i: usize) -> bool;
    /// See [`Cluster::partition`].
    fn partition(&mut self, groups: &[usize]);
    /// See [`Cluster::heal`].
    fn heal(&mut self);
    /// Switches the network to [`crate::sim::NetConfig::unreliable`] or back.
    fn set_unreliable(&mut self, unreliable: bool);
    /// Node count.
    fn node_count(&self) -> usize;
    /// Whether node `i` is up.
    fn is_up(&self, i: usize) -> bool;
    /// Node `i`'s term and leadership, if it is up.
    fn state(&self, i: usize) -> Option<(u64, bool)>;
    /// Messages sent so far (total).
    fn messages_sent(&self) -> u64;
    /// Messages sent to node `i` so far.
    fn messages_sent_to(&self, i: usize) -> u64;
    /// The last index node `i`'s current incarnation has applied.
    fn applied_upto(&self, i: usize) -> u64;
    /// The highest committed index seen.
    fn last_committed(&self) -> u64;
    /// Virtual time in ms.
    fn now(&self) -> u64;
    /// A random number below `n` from the scenario's rng.
    fn random(&mut self, n: u64) -> u64;
    /// The largest election timeout, in ms.
    fn election_timeout(&self) -> u64;
    /// See [`Cluster::set_snapshot_every`].
    fn set_snapshot_every(&mut self, every: Option<u64>);
    /// See [`Cluster::persisted_bytes`].
    fn persisted_bytes(&self, i: usize) -> usize;
}

impl<C: RaftCore> Sim for Cluster<'_, C> {
    fn run_for(&mut self, ms: u64) -> Result<(), String> {
        Cluster::run_for(self, ms)
    }
    fn check_one_leader(&mut self) -> Result<usize, String> {
        Cluster::check_one_leader(self)
    }
    fn check_no_leader(&self) -> Result<(), String> {
        Cluster::check_no_leader(self)
    }
    fn check_terms(&self) -> Result<u64, String> {
        Cluster::check_terms(self)
    }
    fn one(
        &mut self,
        command: serde_json::Value,
        expected: usize,
        retry: bool,
    ) -> Result<u64, String> {
        Cluster::one(self, command, expected, retry)
    }
    fn propose(&mut self, i: usize, command: serde_json::Value) -> Option<u64> {
        Cluster::propose(self, i, command)
    }
    fn n_committed(&self, index: u64) -> (usize, Option<serde_json::Value>) {
        Cluster::n_committed(self, index)
    }
    fn wait_applied_everywhere(&mut self, within: u64) -> Result<(), String> {
        Cluster::wait_applied_everywhere(self, within)
    }
    fn crash(&mut self, i: usize) {
        Cluster::crash(self, i)
    }
    fn restart(&mut self, i: usize) {
        Cluster::restart(self, i)
    }
    fn disconnect(&mut self, i: usize) {
        Cluster::disconnect(self, i)
    }
    fn connect(&mut self, i: usize) {
        Cluster::connect(self, i)
    }
    fn is_connected(&self, i: usize) -> bool {
        Cluster::is_connected(self, i)
    }
    fn partition(&mut self, groups: &[usize]) {
        Cluster::partition(self, groups)
    }
    fn heal(&mut self) {
        Cluster::heal(self)
    }
    fn set_unreliable(&mut self, unreliable: bool) {
        self.net = if unreliable {
            crate::sim::NetConfig::unreliable()
        } else {
            crate::sim::NetConfig::reliable()
        };
    }
    fn node_count(&self) -> usize {
        Cluster::len(self)
    }
    fn is_up(&self, i: usize) -> bool {
        Cluster::is_up(self, i)
    }
    fn state(&self, i: usize) -> Option<(u64, bool)> {
        self.node(i).map(|c| (c.term(), c.is_leader()))
    }
    fn messages_sent(&self) -> u64 {
        Cluster::messages_sent(self)
    }
    fn messages_sent_to(&self, i: usize) -> u64 {
        Cluster::messages_sent_to(self, i)
    }
    fn applied_upto(&self, i: usize) -> u64 {
        Cluster::applied_upto(self, i)
    }
    fn last_committed(&self) -> u64 {
        self.committed().keys().next_back().copied().unwrap_or(0)
    }
    fn now(&self) -> u64 {
        Cluster::now(self)
    }
    fn random(&mut self, n: u64) -> u64 {
        use rand::Rng;
        self.rng().random_range(0..n.max(1))
    }
    fn election_timeout(&self) -> u64 {
        self.timing().election_timeout.1
    }
    fn set_snapshot_every(&mut self, every: Option<u64>) {
        Cluster::set_snapshot_every(self, every)
    }
    fn persisted_bytes(&self, i: usize) -> usize {
        Cluster::persisted_bytes(self, i)
    }
}

/// A scenario that failed, with the seed that replays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The scenario's name.
    pub scenario: &'static str,
    /// Its stage.
    pub stage: Stage,
    /// The seed it failed with.
    pub seed: u64,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stage {} ({:?}), scenario {} failed with seed {}: {}",
            self.stage as u32, self.stage, self.scenario, self.seed, self.message
        )
    }
}

impl std::error::Error for Failure {}

/// Every scenario, stage by stage.
pub fn scenarios() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(election::scenarios());
    all.extend(replication::scenarios());
    all.extend(persistence::scenarios());
    all.extend(snapshots::scenarios());
    all
}

/// The scenario called `name`.
pub fn scenario(name: &str) -> Option<Scenario> {
    scenarios().into_iter().find(|s| s.name == name)
}

/// Runs one scenario for each seed; the first failure stops it.
pub fn run_scenario<C: RaftCore>(
    scenario: &Scenario,
    factory: &dyn Fn(Setup) -> C,
    seeds: Range<u64>,
) -> Result<(), Failure> {
    for seed in seeds {
        let mut cluster = Cluster::new(scenario.nodes, seed, factory);
        // Whatever the story did, nothing unsafe may have happened along the way.
        let result = (scenario.story)(&mut cluster).and_then(|()| cluster.check());
        result.map_err(|message| Failure {
            scenario: scenario.name,
            stage: scenario.stage,
            seed,
            message: format!("{message} (checks: {})", scenario.checks),
        })?;
    }
    Ok(())
}

/// Runs every scenario of `stage` for each seed: what the grader calls with the
/// learner's core.
/// The `stages` examples' command line: `stages <stage> [seeds]` runs one stage
/// against the core `factory` builds, prints the outcome and exits 0 if it
/// passed, 1 if not, 2 on bad arguments. `maelstrom grade` runs it.
pub fn example_main<C: RaftCore>(factory: &dyn Fn(Setup) -> C) -> ! {
    let mut args = std::env::args().skip(1);
    let Some(stage) = args.next().and_then(|s| Stage::parse(&s)) else {
        eprintln!(
            "usage: stages <stage: 1-4 or election, replication, persistence, snapshots> [seeds]"
        );
        std::process::exit(2)
    };
    let seeds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    match run_stage(stage, factory, 0..seeds) {
        Ok(()) => {
            println!(
                "stage {} ({}) passed with {seeds} seeds",
                stage as u32,
                stage.name()
            );
            std::process::exit(0)
        }
        Err(failure) => {
            eprintln!("{failure}");
            std::process::exit(1)
        }
    }
}

pub fn run_stage<C: RaftCore>(
    stage: Stage,
    factory: &dyn Fn(Setup) -> C,
    seeds: Range<u64>,
) -> Result<(), Failure> {
    for s in scenarios().iter().filter(|s| s.stage == stage) {
        run_scenario(s, factory, seeds.clone())?;
    }
    Ok(())
}

/// The number of seeds per scenario: `RAFT_SEEDS` if set, else `default`.
pub fn seed_count(default: u64) -> u64 {
    std::env::var("RAFT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}
