//! `maelstrom test --sim`: library nodes in-process, on virtual time, from one seed.
//!
//! The `maelstrom` binary cannot link the learner's node, so it hands the test to
//! the node binary: it first asks the binary whether it is built with
//! `maelstrom-node` ([`SIM_PROBE_ENV`]), then runs it with the whole command line
//! in [`SIM_ARGS_ENV`]. Inside, the library calls [`super::main`] with its nodes
//! and [`test`] runs the harness on a paused tokio clock, which jumps ahead
//! whenever every task waits on a timer: simulated seconds cost microseconds.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{report, LibraryNodes, TestArgs, EXIT_BAD_ARGS};
use crate::{rng, NodeProgram, Outcome, TestConfig, Validity};

/// Set (to anything) to ask a binary whether it is built with `maelstrom-node`.
pub const SIM_PROBE_ENV: &str = "MAELSTROM_SIM_PROBE";
/// What a library binary prints, alone on its first stdout line, to the probe.
pub const SIM_PROBE_REPLY: &str = "maelstrom-node: simulation available";
/// The `maelstrom` command line (a JSON array of strings) for a library binary
/// to run in simulation.
pub const SIM_ARGS_ENV: &str = "MAELSTROM_SIM_ARGS";

/// The path of the `maelstrom` binary that handed a test to a node binary, so
/// the commands printed from inside the node (replay) name the right program.
pub const CLI_PATH_ENV: &str = "MAELSTROM_CLI_PATH";

/// The `maelstrom` command as the user can type it: `maelstrom` when that
/// name on `PATH` is this very binary, else its absolute path (quoted).
pub fn cli_program() -> String {
    let me = std::env::var_os(CLI_PATH_ENV)
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::current_exe().ok());
    let Some(me) = me.and_then(|p| p.canonicalize().ok()) else {
        return "maelstrom".into();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths)
            .filter_map(|d| d.join("maelstrom").canonicalize().ok())
            .next()
            .is_some_and(|found| found == me)
    });
    if on_path {
        "maelstrom".into()
    } else {
        shell_quote(&me.display().to_string())
    }
}

/// The current executable, for [`CLI_PATH_ENV`] (empty if unknown).
pub(crate) fn cli_path_for_child() -> std::ffi::OsString {
    std::env::var_os(CLI_PATH_ENV)
        .or_else(|| std::env::current_exe().ok().map(Into::into))
        .unwrap_or_default()
}

/// How long a binary gets to answer the probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// In the `maelstrom` binary: checks that `--bin` is a library binary and runs
/// the test inside it. Returns its exit code.
pub fn run_in_node_binary(args: &TestArgs, argv: &[String]) -> i32 {
    let Some(bin) = &args.bin else {
        eprintln!("Expected a --bin PATH_TO_BINARY to test");
        return EXIT_BAD_ARGS;
    };
    if let Err(msg) = probe(bin) {
        eprintln!("{msg}");
        return EXIT_BAD_ARGS;
    }
    let argv_json = serde_json::to_string(argv).unwrap_or_default();
    match Command::new(bin)
        .env(SIM_ARGS_ENV, argv_json)
        .env(CLI_PATH_ENV, cli_path_for_child())
        .status()
    {
        Ok(status) => status.code().unwrap_or(super::EXIT_CRASH),
        Err(e) => {
            eprintln!("cannot run {}: {e}", bin.display());
            super::EXIT_CRASH
        }
    }
}

/// Whether `bin` answers the probe; the error explains what to do if not.
pub(super) fn probe(bin: &std::path::Path) -> Result<(), String> {
    let not_library = |why: &str| {
        format!(
            "--sim needs a node binary built with the maelstrom-node library, and {} {why}. \
             Run the test without --sim to test any binary as processes.",
            bin.display()
        )
    };
    let mut child = Command::new(bin)
        .env(SIM_PROBE_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run --bin {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let answer = rx.recv_timeout(PROBE_TIMEOUT);
    let _ = child.kill();
    let _ = child.wait();
    match answer {
        Ok(line) if line.trim_end() == SIM_PROBE_REPLY => Ok(()),
        Ok(line) if line.is_empty() => Err(not_library("printed nothing when asked")),
        Ok(line) => Err(not_library(&format!(
            "answered {:?} when asked",
            line.trim_end()
        ))),
        Err(_) => Err(not_library(&format!(
            "did not answer within {} s",
            PROBE_TIMEOUT.as_secs()
        ))),
    }
}

/// In a library binary: runs the test (or the sweep) in simulation.
pub fn test(args: &TestArgs, argv: &[String], nodes: LibraryNodes) -> i32 {
    let seeds = match &args.seeds {
        Some(spec) => match parse_seeds(spec) {
            Ok(seeds) => seeds,
            Err(msg) => {
                eprintln!("{msg}");
                return EXIT_BAD_ARGS;
            }
        },
        None => vec![args.seed.unwrap_or_else(rng::random_seed)],
    };
    let cfg = match args.to_config(seeds[0]) {
        Ok(cfg) => cfg,
        Err(msg) => {
            eprintln!("{msg}");
            return EXIT_BAD_ARGS;
        }
    };
    if args.seeds.is_some() {
        return sweep(args, &seeds, argv, nodes);
    }
    eprintln!(
        "Simulating {} with seed {} ({} nodes, --time-limit {}, --rate {})",
        cfg.workload,
        cfg.seed,
        cfg.nodes.len(),
        cfg.time_limit.as_secs_f64(),
        cfg.rate
    );
    let started = Instant::now();
    match simulate(cfg.clone(), nodes) {
        Ok(outcome) => {
            report::summary(&outcome);
            eprintln!(
                "Simulated in {:.2} s of wall time.",
                started.elapsed().as_secs_f64()
            );
            if outcome.valid != Validity::Valid {
                println!("Replay this run: {}", replay_command(argv, cfg.seed));
            }
            outcome.valid.exit_code()
        }
        Err(e) => {
            let code = report::crash(&e);
            println!("Replay this run: {}", replay_command(argv, cfg.seed));
            code
        }
    }
}

/// Runs one simulated test on a fresh paused runtime.
pub fn simulate(mut cfg: TestConfig, nodes: LibraryNodes) -> Result<Outcome, crate::HarnessError> {
    cfg.program = NodeProgram::InProcess(nodes());
    crate::run_simulated(cfg)
}

/// `N` (seeds 0..N) or `A..B`.
pub(super) fn parse_seeds(spec: &str) -> Result<Vec<u64>, String> {
    let bad =
        || format!("invalid --seeds {spec:?}: expected a count like 100 or a range like 5..50");
    let seeds: Vec<u64> = match spec.split_once("..") {
        Some((a, b)) => {
            let a: u64 = a.trim().parse().map_err(|_| bad())?;
            let b: u64 = b.trim().parse().map_err(|_| bad())?;
            (a..b).collect()
        }
        None => (0..spec.trim().parse::<u64>().map_err(|_| bad())?).collect(),
    };
    if seeds.is_empty() {
        return Err(format!("--seeds {spec:?} names no seed"));
    }
    Ok(seeds)
}

/// The command that reruns exactly this test: the same arguments with `--seed`.
pub fn replay_command(argv: &[String], seed: u64) -> String {
    replay_command_with(&cli_program(), argv, seed)
}

/// [`replay_command`] with the program named `program`.
fn replay_command_with(program: &str, argv: &[String], seed: u64) -> String {
    let mut out = vec![program.to_string()];
    let mut skip = false;
    for arg in argv.iter().skip(1) {
        if std::mem::take(&mut skip) {
            continue;
        }
        if arg == "--seed" || arg == "--seeds" {
            skip = true;
            continue;
        }
        if arg.starts_with("--seed=") || arg.starts_with("--seeds=") {
            continue;
        }
        out.push(shell_quote(arg));
    }
    // Before a trailing `-- args`, if any, so the node does not get it.
    let at = out.iter().position(|a| a == "--").unwrap_or(out.len());
    out.insert(at, format!("--seed {seed}"));
    out.join(" ")
}

fn shell_quote(arg: &str) -> String {
    let plain = arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:,".contains(c));
    if plain && !arg.is_empty() {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Runs every seed, on every core, without stores (a failing seed is replayed
/// to get one), and lists the failures with their replay commands.
fn sweep(args: &TestArgs, seeds: &[u64], argv: &[String], nodes: LibraryNodes) -> i32 {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(seeds.len());
    eprintln!(
        "Simulating {} over {} seeds on {threads} threads...",
        args.workload,
        seeds.len()
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(u64, Result<Validity, String>)>> = Mutex::default();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&seed) = seeds.get(i) else { return };
                // Each thread builds its own config: a test's nodes are not
                // shareable across threads.
                let verdict =
                    args.to_config(seed)
                        .map_err(|e| e.to_string())
                        .and_then(|mut cfg| {
                            cfg.store_root = None;
                            simulate(cfg, nodes)
                                .map(|o| o.valid)
                                .map_err(|e| e.to_string())
                        });
                let mut results = results.lock().unwrap_or_else(|e| e.into_inner());
                results.push((seed, verdict));
                if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                    eprint!("\r{} of {} seeds done", results.len(), seeds.len());
                }
            });
        }
    });
    eprintln!();
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(seed, _)| *seed);
    let mut worst = Validity::Valid;
    let mut crashed = false;
    let failures: Vec<_> = results
        .iter()
        .filter(|(_, r)| !matches!(r, Ok(Validity::Valid)))
        .collect();
    for (seed, result) in &failures {
        let what = match result {
            Ok(v) => {
                worst = Validity::merge_all([worst, *v]);
                report::closing_line(*v).to_string()
            }
            Err(e) => {
                crashed = true;
                format!("crashed: {}", e.lines().next().unwrap_or_default())
            }
        };
        println!(
            "seed {seed}: {what}\n  replay: {}",
            replay_command(argv, *seed)
        );
    }
    println!(
        "{} of {} seeds passed ({:.1} s of wall time).",
        results.len() - failures.len(),
        results.len(),
        started.elapsed().as_secs_f64()
    );
    if crashed {
        super::EXIT_CRASH
    } else {
        worst.exit_code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn replay_commands_pin_the_seed() {
        let a = argv("maelstrom test --sim -w echo --bin ./e --seeds 100 --rate 5");
        assert_eq!(
            replay_command_with("maelstrom", &a, 7),
            "maelstrom test --sim -w echo --bin ./e --rate 5 --seed 7"
        );
        let a = argv("maelstrom test --sim --seed 3 -w echo --bin ./e -- x y");
        assert_eq!(
            replay_command_with("maelstrom", &a, 9),
            "maelstrom test --sim -w echo --bin ./e --seed 9 -- x y"
        );
    }

    #[test]
    fn seed_specs() {
        assert_eq!(parse_seeds("3"), Ok(vec![0, 1, 2]));
        assert_eq!(parse_seeds("5..8"), Ok(vec![5, 6, 7]));
        assert!(parse_seeds("x").is_err());
        assert!(parse_seeds("4..4").is_err());
    }
}
