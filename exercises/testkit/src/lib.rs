//! Test support shared by the exercises' reference crates.
//!
//! [`simulate`] runs a level exactly as its README writes it (the same
//! `maelstrom test` flags, parsed by the harness's own command line) but with the
//! nodes in-process on a paused clock ([`maelstrom_node::sim`]): a 20-second test
//! takes well under a second and the same seed replays the same run. [`number`]
//! reads a result by the dotted paths `grade.toml` criteria use.

use clap::Parser;
use maelstrom_harness::cli::{Cli, Command};
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
/// `workload.stable-latencies.0.5`. Keys may contain dots themselves: the longest
/// key that matches wins, so `0.5` is found before `0`.
pub fn lookup<'a>(results: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(results);
    }
    let map = results.as_object()?;
    let mut ends: Vec<usize> = path.match_indices('.').map(|(i, _)| i).collect();
    ends.push(path.len());
    ends.into_iter().rev().find_map(|end| {
        let next = map.get(&path[..end])?;
        lookup(next, path.get(end + 1..).unwrap_or(""))
    })
}

/// The number at `path`; panics with the results if there is none.
pub fn number(results: &Value, path: &str) -> f64 {
    lookup(results, path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("no number at {path} in {results:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_prefers_the_longest_key() {
        let r = json!({"workload": {"stable-latencies": {"0": 1, "0.5": 2, "1": 3}}});
        assert_eq!(number(&r, "workload.stable-latencies.0.5"), 2.0);
        assert_eq!(number(&r, "workload.stable-latencies.0"), 1.0);
        assert_eq!(lookup(&r, "workload.nope"), None);
    }
}
