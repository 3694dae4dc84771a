//! `maelstrom`: a JVM-free, drop-in replacement for Jepsen's Maelstrom.
//!
//! Exit codes as upstream: 0 valid, 1 invalid, 2 unknown, 255 crash, 254 bad
//! arguments.

mod cli;

use clap::Parser;
use maelstrom_harness::{rng, HarnessError, Outcome, TestConfig, Validity};

use cli::{check_unicode_dashes, Cli, Command, TestArgs};

const EXIT_BAD_ARGS: i32 = 254;
const EXIT_CRASH: i32 = 255;

fn main() {
    let code = real_main();
    std::process::exit(code);
}

fn real_main() -> i32 {
    let argv: Vec<String> = std::env::args().collect();
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
        Command::Test(args) => test_command(&args),
    }
}

fn test_command(args: &TestArgs) -> i32 {
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
        cfg.seed = if i == 0 {
            seed
        } else {
            seed.wrapping_add(u64::from(i))
        };
        eprintln!(
            "Running {} test {}/{} with seed {} ({} nodes, --time-limit {}, --rate {})",
            cfg.workload,
            i + 1,
            args.test_count.max(1),
            cfg.seed,
            cfg.nodes.len(),
            cfg.time_limit.as_secs_f64(),
            cfg.rate
        );
        match run_interruptible(cfg) {
            Ok(Some(outcome)) => {
                report(&outcome, seed);
                if outcome.valid != Validity::Valid {
                    return outcome.valid.exit_code();
                }
            }
            Ok(None) => {
                eprintln!("Interrupted; every node has been stopped.");
                return 130;
            }
            Err(e) => {
                eprintln!("Oh jeez, I'm sorry, Maelstrom broke. Here's why:\n\n{e}");
                return EXIT_CRASH;
            }
        }
    }
    0
}

/// Runs one test; `Ok(None)` on Ctrl-C. The runtime (and with it every node
/// process, killed on drop) is gone when this returns.
fn run_interruptible(cfg: TestConfig) -> Result<Option<Outcome>, HarnessError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HarnessError::Config(format!("cannot start the runtime: {e}")))?;
    let local = tokio::task::LocalSet::new();
    let r = local.block_on(&rt, async {
        tokio::select! {
            r = maelstrom_harness::run(cfg) => r.map(Some),
            _ = tokio::signal::ctrl_c() => Ok(None),
        }
    });
    // Dropping the LocalSet drops every task, and with them the child handles
    // (kill_on_drop); the runtime's drop reaps them.
    drop(local);
    drop(rt);
    r
}

fn report(outcome: &Outcome, _seed: u64) {
    let r = &outcome.results;
    println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
    let stats = &r["stats"];
    println!();
    println!(
        "Ops: {} completed, {} ok, {} info, {} fail. Seed: {}.",
        stats["count"], stats["ok-count"], stats["info-count"], stats["fail-count"], r["seed"]
    );
    if let Some(dir) = &outcome.store_dir {
        println!(
            "Results, history, message journal and node logs: {}",
            dir.display()
        );
    }
    for (section, v) in r.as_object().into_iter().flatten() {
        if v.get("valid") == Some(&serde_json::Value::Bool(false)) {
            println!("Invalid section: {section}");
        }
    }
    println!();
    println!(
        "{}",
        match outcome.valid {
            Validity::Valid => "Everything looks good! ヽ(‘ー`)ノ",
            Validity::Invalid => "Analysis invalid! (ﾉಥ益ಥ）ﾉ ┻━┻",
            Validity::Unknown => "Errors occurred during analysis, but no anomalies found. ಠ~ಠ",
        }
    );
}
