//! The `maelstrom` command line: `maelstrom test`, as processes or in simulation;
//! `maelstrom grade` and `maelstrom demo` for the exercises; `maelstrom check`
//! and `maelstrom analyze` for histories recorded earlier.
//!
//! The harness library is the engine; this is the only place that parses flags.
//! For `--sim`, the parsed test crosses into the node binary as a serialised
//! [`maelstrom_harness::TestConfig`] (see [`maelstrom_harness::handoff`]).

mod args;
pub mod check;
pub mod demo;
pub mod doc;
pub mod grade;
mod report;
pub mod serve;
pub mod shard;
mod sim;

use clap::Parser;

pub use args::{
    check_unicode_dashes, parse_concurrency, Cli, Command, SweepArgs, SweepCommand, TestArgs,
};
use maelstrom_harness::{rng, HarnessError, TestConfig, Validity};
pub use sim::{cli_program, replay_command};

/// Exit code for bad arguments, as upstream.
pub const EXIT_BAD_ARGS: i32 = 254;
/// Exit code when the test itself broke, as upstream.
pub const EXIT_CRASH: i32 = 255;

/// Runs the command line `argv` (program name first) and returns the exit code.
pub fn main(argv: Vec<String>) -> i32 {
    if let Err(msg) = check_unicode_dashes(&argv) {
        eprintln!("{msg}");
        return EXIT_BAD_ARGS;
    }
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_BAD_ARGS } else { 0 };
        }
    };
    match cli.command {
        Command::Test(args) => test_command(&args, &argv),
        Command::Grade(args) => grade::command(&args),
        Command::Demo(args) => demo::command(&args),
        Command::Sweep(args) => sim::merge_command(&args),
        Command::Progress(args) => grade::progress::command(&args),
        Command::Store(args) => store_command(&args),
        Command::Check(args) => check::command(&args),
        Command::Analyze(args) => check::analyze_command(&args),
        Command::Doc(args) => doc::command(&args),
        Command::Serve(args) => serve::command(&args),
    }
}

/// `maelstrom store prune`: removes old test folders and says how much room
/// that made.
fn store_command(args: &args::StoreArgs) -> i32 {
    let args::StoreAction::Prune { keep, store } = &args.action;
    if !store.is_dir() {
        eprintln!("{}: no such store folder", store.display());
        return EXIT_BAD_ARGS;
    }
    let before = maelstrom_harness::store::size_of(store);
    match maelstrom_harness::store::prune(store, *keep) {
        Ok(p) => {
            println!(
                "Removed {} folder(s), {:.1} MB; kept the newest {keep} test(s) per workload \
                 ({} in all). {} now holds {:.1} MB.",
                p.folders,
                p.bytes as f64 / 1e6,
                p.kept,
                store.display(),
                before.saturating_sub(p.bytes) as f64 / 1e6
            );
            0
        }
        Err(e) => {
            eprintln!("{e}");
            EXIT_CRASH
        }
    }
}

fn test_command(args: &TestArgs, argv: &[String]) -> i32 {
    if args.seeds.is_some() && !args.sim {
        eprintln!(
            "--seeds runs many simulated tests: add --sim (and a --bin built with maelstrom-node)"
        );
        return EXIT_BAD_ARGS;
    }
    if args.sim {
        sim::test(args, argv)
    } else {
        process_test(args)
    }
}

/// Upstream's mode: every node a child process, on the real clock.
fn process_test(args: &TestArgs) -> i32 {
    let seed = args.seed.unwrap_or_else(rng::random_seed);
    let cfg = match args.to_config(seed) {
        Ok(cfg) => cfg,
        Err(msg) => {
            eprintln!("{msg}");
            return EXIT_BAD_ARGS;
        }
    };
    for i in 0..args.test_count.max(1) {
        // Each further test gets its own seed, derived from the first.
        let mut cfg = cfg.clone();
        cfg.seed = seed.wrapping_add(u64::from(i));
        announce(&cfg, i, args.test_count);
        match maelstrom_harness::run_blocking(cfg) {
            Ok(outcome) => {
                report::summary(&outcome, report::RunMode::Processes);
                if outcome.valid != Validity::Valid {
                    return outcome.valid.exit_code();
                }
            }
            Err(HarnessError::Interrupted { signal }) => {
                eprintln!("Interrupted; every node has been stopped.");
                return 128 + signal;
            }
            Err(e) => return report::crash(&e),
        }
    }
    0
}

fn announce(cfg: &TestConfig, i: u32, count: u32) {
    eprintln!(
        "Running {} test {}/{} with seed {} ({} nodes, --time-limit {}, --rate {})",
        cfg.workload,
        i + 1,
        count.max(1),
        cfg.seed,
        cfg.nodes.len(),
        cfg.time_limit.as_secs_f64(),
        cfg.rate
    );
}
