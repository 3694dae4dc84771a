//! A test's configuration: everything `maelstrom test` takes from its flags.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::host::NodeFactory;
pub use maelstrom_check::stats::Availability;

/// How inter-node latency is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LatencyDist {
    /// Always the mean.
    #[default]
    Constant,
    /// Integer uniform on `[0, 2 × mean)`.
    Uniform,
    /// Exponential with the given mean, truncated to whole milliseconds.
    Exponential,
}

impl std::str::FromStr for LatencyDist {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "constant" => Ok(LatencyDist::Constant),
            "uniform" => Ok(LatencyDist::Uniform),
            "exponential" => Ok(LatencyDist::Exponential),
            _ => Err(format!(
                "unknown latency distribution {s:?}: expected constant, uniform or exponential"
            )),
        }
    }
}

/// The broadcast workload's topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Topology {
    /// A square grid, neighbours below, above, right, left.
    #[default]
    Grid,
    /// A line.
    Line,
    /// A heap-shaped tree with this branching factor (`tree` is 2).
    Tree(usize),
    /// Every node to every other.
    Total,
}

impl std::str::FromStr for Topology {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "grid" => Ok(Topology::Grid),
            "line" => Ok(Topology::Line),
            "tree" | "tree2" => Ok(Topology::Tree(2)),
            "tree3" => Ok(Topology::Tree(3)),
            "tree4" => Ok(Topology::Tree(4)),
            "total" => Ok(Topology::Total),
            _ => Err(format!(
                "unknown topology {s:?}: expected grid, line, tree, tree2, tree3, tree4 or total"
            )),
        }
    }
}

/// Parses `--availability`: `total` or a fraction between 0 and 1.
pub fn parse_availability(s: &str) -> Result<Availability, String> {
    if s == "total" {
        return Ok(Availability::Total);
    }
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(Availability::Fraction(f)),
        _ => Err(format!(
            "invalid availability {s:?}: expected `total` or a number between 0 and 1"
        )),
    }
}

/// What runs as each node.
#[derive(Clone)]
pub enum NodeProgram {
    /// A child process speaking JSON lines on stdin/stdout.
    Process {
        /// The executable.
        bin: PathBuf,
        /// Arguments given to every node.
        args: Vec<String>,
    },
    /// An in-process node exchanging envelopes over channels.
    InProcess(Rc<dyn NodeFactory>),
}

impl Default for NodeProgram {
    /// No program yet: a configuration handed to a node binary gets its
    /// nodes there.
    fn default() -> Self {
        NodeProgram::Process {
            bin: PathBuf::new(),
            args: Vec::new(),
        }
    }
}

impl std::fmt::Debug for NodeProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeProgram::Process { bin, args } => write!(f, "Process({bin:?}, {args:?})"),
            NodeProgram::InProcess(_) => write!(f, "InProcess"),
        }
    }
}

/// Everything a test needs. [`TestConfig::new`] gives upstream's defaults.
///
/// It serialises (all but `program`, which cannot cross a process boundary)
/// so the CLI can hand a parsed test to a node binary for simulation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestConfig {
    /// The workload name, e.g. `"echo"`.
    pub workload: String,
    /// What runs as each node.
    #[serde(skip)]
    pub program: NodeProgram,
    /// Node ids, in order.
    pub nodes: Vec<String>,
    /// How long the main phase generates operations.
    pub time_limit: Duration,
    /// Client operations per second, over all clients (0: none).
    pub rate: f64,
    /// Number of client workers.
    pub concurrency: usize,
    /// Mean inter-node latency.
    pub latency: Duration,
    /// How latency is drawn.
    pub latency_dist: LatencyDist,
    /// Whether to run the partition nemesis.
    pub nemesis_partition: bool,
    /// Whether to crash and restart nodes (beyond upstream): a crashed node loses
    /// everything but its durable storage and is sent `init` again on restart.
    pub nemesis_kill: bool,
    /// Whether to pause and resume nodes (beyond upstream).
    pub nemesis_pause: bool,
    /// Probability that a node-to-node message is lost (beyond upstream).
    pub loss_rate: f64,
    /// Probability that a node-to-node message is delivered twice (beyond upstream).
    pub duplication_rate: f64,
    /// Mean time between nemesis operations.
    pub nemesis_interval: Duration,
    /// Broadcast topology.
    pub topology: Topology,
    /// The availability expectation.
    pub availability: Availability,
    /// Mirror node stderr to the harness's stderr.
    pub log_stderr: bool,
    /// Log every network send to stderr.
    pub log_net_send: bool,
    /// Log every network delivery to stderr.
    pub log_net_recv: bool,
    /// Keys in flight for transactional workloads.
    pub key_count: Option<usize>,
    /// Minimum micro-operations per transaction.
    pub min_txn_length: usize,
    /// Maximum micro-operations per transaction.
    pub max_txn_length: usize,
    /// Maximum writes per key.
    pub max_writes_per_key: usize,
    /// Consistency models for transactional checkers.
    pub consistency_models: Vec<String>,
    /// The seed of every random choice.
    pub seed: u64,
    /// Where `store/` lives; `None` writes nothing.
    pub store_root: Option<PathBuf>,
    /// How long nodes get to answer `init` (upstream: 10 s).
    pub init_timeout: Duration,
    /// How long nodes get to answer `topology` (upstream: 5 s).
    pub setup_timeout: Duration,
    /// Pause between healing and the final reads (upstream: 10 s).
    pub recovery_wait: Duration,
    /// Default client RPC timeout (upstream: 5 s).
    pub rpc_timeout: Duration,
    /// Print a progress line to stderr every second.
    pub progress: bool,
    /// Deliver delayed messages to the microsecond on the real clock (see
    /// [`crate::net::Net::set_precise_delivery`]); must be off on a paused clock.
    pub precise_delivery: bool,
}

impl TestConfig {
    /// Upstream's defaults for `workload`, with nodes n1..n5 running `program`.
    pub fn new(workload: impl Into<String>, program: NodeProgram) -> Self {
        TestConfig {
            workload: workload.into(),
            program,
            nodes: (1..=5).map(|i| format!("n{i}")).collect(),
            time_limit: Duration::from_secs(60),
            rate: 5.0,
            concurrency: 5,
            latency: Duration::ZERO,
            latency_dist: LatencyDist::Constant,
            nemesis_partition: false,
            nemesis_kill: false,
            nemesis_pause: false,
            loss_rate: 0.0,
            duplication_rate: 0.0,
            nemesis_interval: Duration::from_secs(10),
            topology: Topology::Grid,
            availability: Availability::None,
            log_stderr: false,
            log_net_send: false,
            log_net_recv: false,
            key_count: None,
            min_txn_length: 1,
            max_txn_length: 4,
            max_writes_per_key: 16,
            consistency_models: vec!["strict-serializable".into()],
            seed: 0,
            store_root: None,
            init_timeout: Duration::from_secs(10),
            setup_timeout: Duration::from_secs(5),
            recovery_wait: Duration::from_secs(10),
            rpc_timeout: Duration::from_secs(5),
            progress: false,
            precise_delivery: true,
        }
    }

    /// Node ids `n0..n(count-1)`, as `--node-count` gives.
    pub fn node_ids(count: usize) -> Vec<String> {
        (0..count).map(|i| format!("n{i}")).collect()
    }
}
