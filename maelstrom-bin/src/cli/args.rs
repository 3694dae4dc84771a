//! `maelstrom test`'s arguments, with upstream's flags and defaults.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use maelstrom_harness::{parse_availability, LatencyDist, NodeProgram, TestConfig, Topology};

/// A JVM-free, drop-in replacement for Jepsen's Maelstrom.
#[derive(Debug, Parser)]
#[command(name = "maelstrom", version, about)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a workload against a node binary and check the results.
    Test(Box<TestArgs>),
    /// Grade an exercise: build your node, run its levels, compare with the reference.
    Grade(Box<super::grade::GradeArgs>),
    /// Run every exercise's reference solution through its levels.
    Demo(super::demo::DemoArgs),
    /// Work with sweeps run in shards (`test --seeds A..B --shard K/N --summary FILE`).
    Sweep(SweepArgs),
    /// List every exercise and level with its last result from `maelstrom grade`.
    Progress(super::grade::progress::ProgressArgs),
    /// Look after the store folder.
    Store(StoreArgs),
    /// Check a history file (history.jsonl, Jepsen/Knossos EDN, Porcupine log) against a model.
    Check(super::check::CheckArgs),
    /// Check a stored test again with today's checkers and rewrite its results.
    Analyze(super::check::AnalyzeArgs),
    /// Print the RPCs of each workload and service, with request and reply schemas.
    Doc(super::doc::DocArgs),
    /// Serve the store's tests and reports on a local web server.
    Serve(super::serve::ServeArgs),
}

/// `maelstrom store` options.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: StoreAction,
}

/// `maelstrom store` actions.
#[derive(Debug, Subcommand)]
pub enum StoreAction {
    /// Remove old test folders: keep the newest N per workload, and drop the
    /// reference's grading runs (grading repeats them).
    Prune {
        /// How many test folders to keep per workload.
        #[arg(long = "keep", value_name = "N", default_value_t = 10)]
        keep: usize,
        /// The store folder.
        #[arg(long = "store", value_name = "DIR", default_value = "store")]
        store: PathBuf,
    },
}

/// `maelstrom sweep` commands.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SweepCommand,
}

/// `maelstrom sweep` subcommands.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// Combine the summaries of every shard of one sweep into the report one
    /// machine would have printed (failures with their replay commands).
    Merge {
        /// The shards' `--summary` files, in any order.
        #[arg(value_name = "SUMMARY", required = true)]
        files: Vec<PathBuf>,
        /// Also write the merged summary here.
        #[arg(long = "summary", value_name = "FILE")]
        summary: Option<PathBuf>,
    },
}

/// `maelstrom test` options (upstream's names and defaults).
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Workload: broadcast, echo, g-counter, g-set, kafka, lin-kv, pn-counter,
    /// txn-list-append, txn-rw-register, unique-ids.
    #[arg(short = 'w', long = "workload", default_value = "lin-kv")]
    pub workload: String,
    /// The node binary to run, once per node.
    #[arg(long = "bin", value_name = "FILE")]
    pub bin: Option<PathBuf>,
    /// Number of nodes, named n0..n(N-1); overrides --nodes and --node.
    #[arg(long = "node-count", value_name = "NUM")]
    pub node_count: Option<usize>,
    /// Comma-separated node names.
    #[arg(long = "nodes", value_name = "NODE_LIST")]
    pub nodes: Option<String>,
    /// A node name; repeatable. Default n1..n5.
    #[arg(short = 'n', long = "node", value_name = "HOST")]
    pub node: Vec<String>,
    /// Seconds of client operations.
    #[arg(long = "time-limit", value_name = "SECONDS", default_value_t = 60.0)]
    pub time_limit: f64,
    /// Client operations per second, over all clients; 0 for none.
    #[arg(long = "rate", value_name = "RATE", default_value_t = 5.0)]
    pub rate: f64,
    /// Number of clients: N, or Kn for K times the node count.
    #[arg(long = "concurrency", value_name = "NUMBER", default_value = "1n")]
    pub concurrency: String,
    /// Mean inter-node latency, in milliseconds.
    #[arg(long = "latency", value_name = "MILLIS", default_value_t = 0.0)]
    pub latency: f64,
    /// Latency distribution: constant, uniform or exponential.
    #[arg(long = "latency-dist", value_name = "TYPE", default_value = "constant")]
    pub latency_dist: LatencyDist,
    /// Faults to inject, comma-separated: partition (upstream's), and beyond
    /// upstream: kill (crash and restart nodes) and pause (freeze and resume).
    #[arg(long = "nemesis", value_name = "FAULTS")]
    pub nemesis: Option<String>,
    /// Mean seconds between nemesis operations.
    #[arg(
        long = "nemesis-interval",
        value_name = "SECONDS",
        default_value_t = 10.0
    )]
    pub nemesis_interval: f64,
    /// Broadcast topology: grid, line, tree, tree2, tree3, tree4, total.
    #[arg(long = "topology", value_name = "SPEC", default_value = "grid")]
    pub topology: Topology,
    /// Expected availability: `total` or a fraction of ops that must succeed.
    #[arg(long = "availability", value_name = "EXPECTED")]
    pub availability: Option<String>,
    /// Mirror node stderr to this terminal.
    #[arg(long = "log-stderr")]
    pub log_stderr: bool,
    /// Log every network send to stderr.
    #[arg(long = "log-net-send")]
    pub log_net_send: bool,
    /// Log every network delivery to stderr.
    #[arg(long = "log-net-recv")]
    pub log_net_recv: bool,
    /// Run this many tests, stopping at the first that is not valid.
    #[arg(long = "test-count", value_name = "NUMBER", default_value_t = 1)]
    pub test_count: u32,
    /// Number of keys active at once (transactional workloads).
    #[arg(long = "key-count", value_name = "INT")]
    pub key_count: Option<usize>,
    /// Minimum operations per transaction (Elle's default: 1).
    #[arg(long = "min-txn-length", value_name = "INT", default_value_t = 1)]
    pub min_txn_length: usize,
    /// Maximum operations per transaction.
    #[arg(long = "max-txn-length", value_name = "INT", default_value_t = 4)]
    pub max_txn_length: usize,
    /// Maximum writes to any one key.
    #[arg(long = "max-writes-per-key", value_name = "INT", default_value_t = 16)]
    pub max_writes_per_key: usize,
    /// Consistency models to check (transactional workloads).
    #[arg(
        long = "consistency-models",
        value_name = "MODELS",
        default_value = "strict-serializable"
    )]
    pub consistency_models: String,
    /// Probability that a message between nodes is lost (beyond upstream).
    #[arg(long = "loss-rate", value_name = "P", default_value_t = 0.0)]
    pub loss_rate: f64,
    /// Probability that a message between nodes is delivered twice (beyond upstream).
    #[arg(long = "duplication-rate", value_name = "P", default_value_t = 0.0)]
    pub duplication_rate: f64,
    /// Seed for every random choice of the harness (default: random).
    #[arg(long = "seed", value_name = "SEED")]
    pub seed: Option<u64>,
    /// Run the nodes in-process on virtual time (the --bin must be built with
    /// maelstrom-node): fast, and the same --seed replays the run exactly.
    #[arg(long = "sim")]
    pub sim: bool,
    /// With --sim: run many seeds on every core and list the failing ones. A
    /// count N (seeds 0..N) or a range A..B of any u64s, taken one at a time.
    #[arg(long = "seeds", value_name = "N|A..B")]
    pub seeds: Option<String>,
    /// With --seeds: stop after this many failing seeds, and list the lowest
    /// ones (every seed below the last listed was run).
    #[arg(long = "max-failures", value_name = "N", requires = "seeds", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_failures: Option<u64>,
    /// With --seeds: run only share K (from 0) of N of the seeds, for sweeps
    /// spread over machines (see `maelstrom sweep merge`).
    #[arg(long = "shard", value_name = "K/N", requires = "seeds")]
    pub shard: Option<super::shard::Shard>,
    /// With --seeds: write what the sweep found, as JSON, to FILE.
    #[arg(long = "summary", value_name = "FILE", requires = "seeds")]
    pub summary: Option<PathBuf>,
    /// Directory holding the store.
    #[arg(long = "store", value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
    /// Seconds between healing and the final reads (upstream: 10); for tests.
    #[arg(long = "recovery-wait", hide = true, default_value_t = 10.0)]
    pub recovery_wait: f64,
    /// Seconds nodes get to answer init (upstream: 10); for tests.
    #[arg(long = "init-timeout", hide = true, default_value_t = 10.0)]
    pub init_timeout: f64,
    /// Arguments passed to every node (after `--`).
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<String>,
}

/// Parses `1n`, `3n` or `7` against the node count.
pub fn parse_concurrency(s: &str, nodes: usize) -> Result<usize, String> {
    let bad = || {
        format!("invalid --concurrency {s:?}: expected a number like 10, or like 2n (twice the node count)")
    };
    let n = match s.strip_suffix('n') {
        Some(k) => k.trim().parse::<usize>().map_err(|_| bad())? * nodes,
        None => s.trim().parse::<usize>().map_err(|_| bad())?,
    };
    if n == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    Ok(n)
}

fn secs(v: f64, flag: &str) -> Result<Duration, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(format!("{flag} must be a non-negative number, not {v}"))
    }
}

impl TestArgs {
    /// The test configuration these flags describe, or why they are invalid.
    pub fn to_config(&self, seed: u64) -> Result<TestConfig, String> {
        let bin = self
            .bin
            .clone()
            .ok_or("Expected a --bin PATH_TO_BINARY to test")?;
        if !bin.exists() {
            return Err(format!("--bin {}: no such file", bin.display()));
        }
        let bin = bin
            .canonicalize()
            .map_err(|e| format!("--bin {}: {e}", bin.display()))?;
        let nodes = if let Some(n) = self.node_count {
            if n == 0 {
                return Err("--node-count must be at least 1".into());
            }
            TestConfig::node_ids(n)
        } else if let Some(list) = &self.nodes {
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        } else if !self.node.is_empty() {
            self.node.clone()
        } else {
            (1..=5).map(|i| format!("n{i}")).collect()
        };
        if nodes.is_empty() {
            return Err("--nodes must name at least one node".into());
        }
        let mut faults = std::collections::BTreeSet::new();
        for f in self.nemesis.as_deref().unwrap_or_default().split(',') {
            match f.trim() {
                "" => {}
                f @ ("partition" | "kill" | "pause") => {
                    faults.insert(f);
                }
                f => {
                    return Err(format!(
                        "unknown --nemesis fault {f:?}: the faults are partition, kill and pause"
                    ))
                }
            }
        }
        for (flag, p) in [
            ("--loss-rate", self.loss_rate),
            ("--duplication-rate", self.duplication_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "{flag} must be a probability between 0 and 1, not {p}"
                ));
            }
        }
        if !(self.rate.is_finite() && self.rate >= 0.0) {
            return Err(format!(
                "--rate must be a non-negative number, not {}",
                self.rate
            ));
        }
        if self.nemesis_interval <= 0.0 {
            return Err("--nemesis-interval must be positive".into());
        }
        let mut cfg = TestConfig::new(
            self.workload.clone(),
            NodeProgram::Process {
                bin,
                args: self.args.clone(),
            },
        );
        cfg.concurrency = parse_concurrency(&self.concurrency, nodes.len())?;
        cfg.nodes = nodes;
        cfg.time_limit = secs(self.time_limit, "--time-limit")?;
        cfg.rate = self.rate;
        cfg.latency = secs(self.latency / 1000.0, "--latency")?;
        cfg.latency_dist = self.latency_dist;
        cfg.nemesis_partition = faults.contains("partition");
        cfg.nemesis_kill = faults.contains("kill");
        cfg.nemesis_pause = faults.contains("pause");
        cfg.loss_rate = self.loss_rate;
        cfg.duplication_rate = self.duplication_rate;
        cfg.nemesis_interval = secs(self.nemesis_interval, "--nemesis-interval")?;
        cfg.topology = self.topology;
        if let Some(a) = &self.availability {
            cfg.availability = parse_availability(a)?;
        }
        cfg.log_stderr = self.log_stderr;
        cfg.log_net_send = self.log_net_send;
        cfg.log_net_recv = self.log_net_recv;
        cfg.key_count = self.key_count;
        cfg.min_txn_length = self.min_txn_length;
        cfg.max_txn_length = self.max_txn_length;
        cfg.max_writes_per_key = self.max_writes_per_key;
        // Upstream splits on commas with surrounding spaces; accept any spacing.
        cfg.consistency_models = self
            .consistency_models
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        cfg.seed = seed;
        cfg.store_root = Some(self.store.clone());
        cfg.progress = true;
        cfg.recovery_wait = secs(self.recovery_wait, "--recovery-wait")?;
        cfg.init_timeout = secs(self.init_timeout, "--init-timeout")?;
        // Unknown (or not yet supported) workloads are argument errors, before any node starts.
        maelstrom_harness::workload::by_name(&cfg.workload, &cfg)?;
        if self.workload == "lin-kv" && !cfg.concurrency.is_multiple_of(2 * cfg.nodes.len()) {
            return Err(format!(
                "The lin-kv workload runs each key with 2n threads ({}), so --concurrency ({}) must be a \
                 multiple of 2n. Consider --concurrency 2n.",
                2 * cfg.nodes.len(),
                cfg.concurrency
            ));
        }
        Ok(cfg)
    }
}

/// Unicode dashes that web pages substitute for `-`.
const DASHES: [(char, &str); 6] = [
    ('\u{2010}', "HYPHEN"),
    ('\u{2011}', "NON-BREAKING HYPHEN"),
    ('\u{2012}', "FIGURE DASH"),
    ('\u{2013}', "EN DASH"),
    ('\u{2014}', "EM DASH"),
    ('\u{2212}', "MINUS SIGN"),
];

/// An argument that starts with a look-alike dash, named with its fix.
pub fn check_unicode_dashes(args: &[String]) -> Result<(), String> {
    for arg in args.iter().skip(1) {
        if arg == "--" {
            return Ok(());
        }
        let Some(first) = arg.chars().next() else {
            continue;
        };
        if let Some((_, name)) = DASHES.iter().find(|(c, _)| *c == first) {
            let rest =
                arg.trim_start_matches(|c: char| c == '-' || DASHES.iter().any(|(d, _)| *d == c));
            let fixed = if rest.chars().count() == 1 {
                format!("-{rest}")
            } else {
                format!("--{rest}")
            };
            return Err(format!(
                "The argument `{arg}` starts with a Unicode {name} (U+{:04X}), not a plain `-`; it was \
                 probably pasted from a web page. Did you mean `{fixed}`?",
                u32::from(first)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_forms() {
        assert_eq!(parse_concurrency("1n", 5), Ok(5));
        assert_eq!(parse_concurrency("2n", 3), Ok(6));
        assert_eq!(parse_concurrency("7", 3), Ok(7));
        assert!(parse_concurrency("x", 3).is_err());
        assert!(parse_concurrency("0", 3).is_err());
    }

    #[test]
    fn unicode_dashes_are_named() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let e = check_unicode_dashes(&a(&["maelstrom", "test", "\u{2013}-nemesis"])).unwrap_err();
        assert!(e.contains("EN DASH") && e.contains("`--nemesis`"), "{e}");
        let e = check_unicode_dashes(&a(&["maelstrom", "\u{2014}nemesis"])).unwrap_err();
        assert!(e.contains("EM DASH") && e.contains("`--nemesis`"), "{e}");
        assert!(check_unicode_dashes(&a(&["maelstrom", "test", "--", "\u{2013}x"])).is_ok());
    }
}
