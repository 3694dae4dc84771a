//! Test support shared by the exercises' reference crates.
//!
//! [`simulate`] runs a level exactly as its README writes it (the same
//! `maelstrom test` flags, parsed by the harness's own command line) but with the
//! nodes in-process on a paused clock ([`maelstrom_node::sim`]): a 20-second test
//! takes well under a second and the same seed replays the same run.
//!
//! [`Levels`] is the one source of truth for what a level is: it reads the
//! exercise's `grade.toml` with the parser `maelstrom grade` uses, runs each
//! level's flags over its seeds and judges its criteria with grade's own
//! criteria code, so a level test cannot drift from what grading asks.
//! [`number`] reads a result by the same dotted paths.

use std::path::{Path, PathBuf};

use clap::Parser;
use maelstrom::cli::grade::config::{load_grade_config, GradeConfig, Level};
use maelstrom::cli::grade::criteria;
use maelstrom::cli::{Cli, Command};
use maelstrom_node::{sim, Node};

pub use maelstrom_harness::{Outcome, Validity};
pub use serde_json::Value;

/// Runs `maelstrom test -w WORKLOAD ARGS...` in simulation with nodes of type `N`
/// and the given seed. Panics if the flags are wrong or the harness itself fails
/// (a node crashed or broke the protocol): tests want to hear about both.
pub fn simulate<N: Node>(workload: &str, args: &[&str], seed: u64) -> Outcome {
    // The flags need some existing --bin; the nodes run in-process regardless.
    let exe = std::env::current_exe().expect("the test's own path");
    let exe = exe.to_string_lossy();
    let argv = ["maelstrom", "test", "-w", workload, "--bin", &exe]
        .into_iter()
        .chain(args.iter().copied());
    let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("bad flags {args:?}: {e}"));
    // `test` may not be the only subcommand the harness knows.
    #[allow(unreachable_patterns)]
    let test = match cli.command {
        Command::Test(test) => test,
        _ => panic!("not a `maelstrom test` command line"),
    };
    let mut cfg = test
        .to_config(seed)
        .unwrap_or_else(|e| panic!("bad flags {args:?}: {e}"));
    // The library's nodes and defaults (no store on disk); `sim::run` sets up
    // the paused clock.
    let base = sim::config::<N>(workload);
    cfg.program = base.program;
    cfg.store_root = base.store_root;
    sim::run(cfg).unwrap_or_else(|e| panic!("the harness failed with {args:?}, seed {seed}: {e}"))
}

/// Like [`simulate`], and panics with the results unless the verdict is valid.
pub fn assert_valid<N: Node>(workload: &str, args: &[&str], seed: u64) -> Value {
    let outcome = simulate::<N>(workload, args, seed);
    assert_eq!(
        outcome.valid,
        Validity::Valid,
        "not valid: maelstrom test -w {workload} {} --seed {seed}\n{:#}",
        args.join(" "),
        outcome.results
    );
    outcome.results
}

/// The value at a dotted path of a results map, e.g. `net.servers.msgs-per-op` or
/// `workload.stable-latencies.0.5`, found as `maelstrom grade` finds it (keys
/// may contain dots: the longest key that matches wins, so `0.5` is found
/// before `0`).
pub fn lookup<'a>(results: &'a Value, path: &str) -> Option<&'a Value> {
    criteria::lookup(results, path).ok()
}

/// The number at `path`; panics with the results if there is none.
pub fn number(results: &Value, path: &str) -> f64 {
    lookup(results, path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {path} in {results:#}"))
}

/// An exercise's levels, as its `grade.toml` defines them.
pub struct Levels {
    config: GradeConfig,
    origin: PathBuf,
}

impl Levels {
    /// Reads the grade.toml of the exercise whose reference crate is at
    /// `crate_dir` (its parent folder holds grade.toml); pass
    /// `env!("CARGO_MANIFEST_DIR")`. Panics if it is missing or invalid.
    pub fn load(crate_dir: &str) -> Levels {
        let origin = Path::new(crate_dir).join("../grade.toml");
        let config = load_grade_config(&origin).unwrap_or_else(|e| panic!("{e}"));
        Levels { config, origin }
    }

    /// Levels from a grade.toml's text (for tests of the testkit itself and
    /// of criteria that must fail); panics if it does not parse.
    pub fn parse(text: &str) -> Levels {
        let origin = PathBuf::from("grade.toml");
        let config = GradeConfig::parse(text, &origin).unwrap_or_else(|e| panic!("{e}"));
        Levels { config, origin }
    }

    /// The level names, in grade.toml's order.
    pub fn names(&self) -> Vec<&str> {
        self.config.levels.iter().map(|l| l.name.as_str()).collect()
    }

    /// The level called `name`; panics naming the ones there are.
    pub fn level(&self, name: &str) -> &Level {
        self.config
            .levels
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "{} has no level {name:?}; it has {:?}",
                    self.origin.display(),
                    self.names()
                )
            })
    }

    /// Panics unless `tested` names every level of grade.toml (so a level
    /// added there without a test is noticed).
    pub fn assert_tested(&self, tested: &[&str]) {
        let missing: Vec<&str> = self
            .names()
            .into_iter()
            .filter(|n| !tested.contains(n))
            .collect();
        assert!(
            missing.is_empty(),
            "levels of {} without a test: {missing:?}",
            self.origin.display()
        );
    }

    /// Runs the levels `names` with nodes of type `N` for each of their
    /// configured seeds, and panics unless every run is valid and meets every
    /// criterion of its level (judged as `maelstrom grade` judges them;
    /// criteria without a condition are only printed). Levels with the same
    /// workload, flags and seeds share their runs, so a level that only adds
    /// thresholds to another costs nothing. Returns every run's results.
    pub fn pass<N: Node>(&self, names: &[&str]) -> Vec<Value> {
        type Run<'a> = ((&'a str, &'a [String], &'a [u64]), Vec<&'a Level>);
        let mut runs: Vec<Run<'_>> = Vec::new();
        for name in names {
            let level = self.level(name);
            assert!(
                level.stage.is_none(),
                "level {name:?} is a stage of the exercise's own tests, not a maelstrom test run"
            );
            let shape = (
                self.config.workload_of(level),
                level.args.as_slice(),
                self.config.seeds_of(level),
            );
            match runs.iter_mut().find(|(s, _)| *s == shape) {
                Some((_, levels)) => levels.push(level),
                None => runs.push((shape, vec![level])),
            }
        }
        let mut all = Vec::new();
        let mut failures = Vec::new();
        for ((workload, args, seeds), levels) in runs {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            for &seed in seeds {
                let results = assert_valid::<N>(workload, &args, seed);
                let replay = format!(
                    "maelstrom test -w {workload} --bin {} {} --seed {seed}",
                    self.config.reference_bin,
                    args.join(" ")
                );
                for level in &levels {
                    for c in &level.criteria {
                        let j = criteria::judge(c, &results);
                        let line = format!(
                            "level {} seed {seed}: {} = {} {}",
                            level.name,
                            c.path,
                            criteria::fmt_value(j.measured.as_ref()),
                            criteria::fmt_threshold(c)
                        );
                        eprintln!("{line}");
                        if !j.pass {
                            let why = j.problem.map(|p| format!(" ({p})")).unwrap_or_default();
                            failures.push(format!("{line}{why}\n  replay: {replay}"));
                        }
                    }
                }
                all.push(results);
            }
        }
        assert!(
            failures.is_empty(),
            "criteria not met:\n{}",
            failures.join("\n")
        );
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CONFIG: &str = r#"
exercise = "x"
workload = "echo"
starter_package = "x-starter"
starter_bin = "x"
reference_package = "x-reference"
reference_bin = "x-reference"
seeds = [4, 5]
[[level]]
name = "a"
args = ["--node-count", "1"]
criteria = [ { path = "valid", equals = true } ]
[[level]]
name = "b"
args = ["--node-count", "2"]
seeds = [9]
criteria = [ { path = "valid", equals = true } ]
"#;

    #[test]
    fn levels_come_from_the_grade_toml_next_to_the_crate() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("grade.toml"), CONFIG).unwrap();
        std::fs::create_dir(dir.path().join("reference")).unwrap();
        let levels = Levels::load(dir.path().join("reference").to_str().unwrap());
        assert_eq!(levels.names(), vec!["a", "b"]);
        assert_eq!(levels.level("b").args, vec!["--node-count", "2"]);
        assert_eq!(levels.config.seeds_of(levels.level("a")), &[4, 5]);
        assert_eq!(levels.config.seeds_of(levels.level("b")), &[9]);
        levels.assert_tested(&["a", "b"]);
    }

    #[test]
    #[should_panic(expected = "without a test: [\"b\"]")]
    fn an_untested_level_is_noticed() {
        Levels::parse(CONFIG).assert_tested(&["a"]);
    }

    #[test]
    fn lookup_prefers_the_longest_key() {
        let r = json!({"workload": {"stable-latencies": {"0": 1, "0.5": 2, "1": 3}}});
        assert_eq!(number(&r, "workload.stable-latencies.0.5"), 2.0);
        assert_eq!(number(&r, "workload.stable-latencies.0"), 1.0);
        assert_eq!(lookup(&r, "workload.nope"), None);
    }
}
