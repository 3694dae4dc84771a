//! `maelstrom test --sim`: library nodes in-process, on virtual time, from one seed.
//!
//! The `maelstrom` binary cannot link the learner's node, so it hands the test to
//! the node binary: it first asks the binary whether it is built with
//! `maelstrom-node` ([`SIM_PROBE_ENV`]), then runs it with the whole command line
//! in [`SIM_ARGS_ENV`]. Inside, the library calls [`super::main`] with its nodes
//! and [`test`] runs the harness on a paused tokio clock, which jumps ahead
//! whenever every task waits on a timer: simulated seconds cost microseconds.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
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
    let seeds = match args.seeds.as_deref().map(parse_seeds).transpose() {
        Ok(seeds) => seeds,
        Err(msg) => {
            eprintln!("{msg}");
            return EXIT_BAD_ARGS;
        }
    };
    let first = match &seeds {
        Some(range) => range.start,
        None => args.seed.unwrap_or_else(rng::random_seed),
    };
    // Checked once here, so a sweep's workers cannot all fail the same way.
    let cfg = match args.to_config(first) {
        Ok(cfg) => cfg,
        Err(msg) => {
            eprintln!("{msg}");
            return EXIT_BAD_ARGS;
        }
    };
    if let Some(range) = seeds {
        return sweep(args, range, argv, nodes);
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
            report::summary(&outcome, report::RunMode::Simulation);
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

/// The seeds of a sweep, `start..end` (end excluded), never materialised: a
/// sweep over every u64 costs as little memory as one over ten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedRange {
    /// The first seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

impl SeedRange {
    /// How many seeds.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The seeds, in order.
    pub fn iter(&self) -> std::ops::Range<u64> {
        self.start..self.end
    }
}

/// Hands out the seeds of a range one at a time, in order, to any number of
/// threads: a counter, not a list.
struct SeedCounter {
    next: AtomicU64,
    end: u64,
}

impl SeedCounter {
    fn new(range: SeedRange) -> Self {
        SeedCounter {
            next: AtomicU64::new(range.start),
            end: range.end,
        }
    }

    /// The next seed nobody has taken, or `None` once all are taken. Never
    /// moves past `end`, so it cannot wrap around at `u64::MAX`.
    fn take(&self) -> Option<u64> {
        self.next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |i| {
                (i < self.end).then(|| i + 1)
            })
            .ok()
    }

    /// One past the last seed taken: every seed below it was handed out.
    fn taken_until(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }
}

/// `N` (seeds 0..N) or `A..B`, any u64s.
pub(super) fn parse_seeds(spec: &str) -> Result<SeedRange, String> {
    let bad =
        || format!("invalid --seeds {spec:?}: expected a count like 100 or a range like 5..50");
    let range = match spec.split_once("..") {
        Some((a, b)) => SeedRange {
            start: a.trim().parse().map_err(|_| bad())?,
            end: b.trim().parse().map_err(|_| bad())?,
        },
        None => SeedRange {
            start: 0,
            end: spec.trim().parse().map_err(|_| bad())?,
        },
    };
    if range.is_empty() {
        return Err(format!("--seeds {spec:?} names no seed"));
    }
    Ok(range)
}

/// Flags (each with a value) that a replay command leaves out.
const SWEEP_FLAGS: [&str; 3] = ["--seed", "--seeds", "--max-failures"];

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
        // The sweep's own flags go: a replay runs one seed.
        if SWEEP_FLAGS.contains(&arg.as_str()) {
            skip = true;
            continue;
        }
        if SWEEP_FLAGS.iter().any(|f| {
            arg.strip_prefix(f)
                .is_some_and(|rest| rest.starts_with('='))
        }) {
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

/// What a sweep found.
#[derive(Debug, PartialEq)]
struct Swept {
    /// The seeds the verdicts below cover, all of them run: the whole range,
    /// or up to the last reported failure when `--max-failures` stopped it.
    covered: SeedRange,
    /// The failing seeds in order, with their verdict or why the test crashed.
    failures: Vec<(u64, Result<Validity, String>)>,
}

/// Runs every seed of `range` on every core, without stores, each worker
/// pulling the next seed from a shared counter. Only failures are kept. With
/// `max_failures`, workers stop taking seeds once that many failed; the
/// report is then cut to the lowest `max_failures` failing seeds, which does
/// not depend on thread timing (every seed below the cut was run).
fn sweep_seeds(
    args: &TestArgs,
    range: SeedRange,
    max_failures: Option<u64>,
    nodes: LibraryNodes,
) -> Swept {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(usize::try_from(range.len()).unwrap_or(usize::MAX));
    let seeds = SeedCounter::new(range);
    let done = AtomicU64::new(0);
    let failures: Mutex<BTreeMap<u64, Result<Validity, String>>> = Mutex::default();
    let enough =
        |failures: &BTreeMap<_, _>| max_failures.is_some_and(|max| failures.len() as u64 >= max);
    let show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                if enough(&failures.lock().unwrap_or_else(|e| e.into_inner())) {
                    return;
                }
                let Some(seed) = seeds.take() else { return };
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
                if !matches!(verdict, Ok(Validity::Valid)) {
                    // The first line says why; a whole report per seed would
                    // make memory grow with the failures' size.
                    let verdict =
                        verdict.map_err(|e| e.lines().next().unwrap_or_default().to_string());
                    let mut failures = failures.lock().unwrap_or_else(|e| e.into_inner());
                    failures.insert(seed, verdict);
                }
                let done = done.fetch_add(1, Ordering::Relaxed) + 1;
                if show_progress {
                    eprint!("\r{done} of {} seeds done", range.len());
                }
            });
        }
    });
    if show_progress {
        eprintln!();
    }
    let mut failures: Vec<_> = failures
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .collect();
    let mut covered = SeedRange {
        start: range.start,
        end: seeds.taken_until(),
    };
    if let Some(max) = max_failures {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        if failures.len() >= max {
            failures.truncate(max);
            if let Some((last, _)) = failures.last() {
                covered.end = last + 1;
            }
        }
    }
    Swept { covered, failures }
}

/// Runs a sweep and lists the failures, in seed order, with their replay
/// commands.
fn sweep(args: &TestArgs, range: SeedRange, argv: &[String], nodes: LibraryNodes) -> i32 {
    eprintln!(
        "Simulating {} over {} seeds ({}..{})...",
        args.workload,
        range.len(),
        range.start,
        range.end
    );
    let started = Instant::now();
    let swept = sweep_seeds(args, range, args.max_failures, nodes);
    let mut worst = Validity::Valid;
    let mut crashed = false;
    for (seed, result) in &swept.failures {
        let what = match result {
            Ok(v) => {
                worst = Validity::merge_all([worst, *v]);
                report::closing_line(*v).to_string()
            }
            Err(e) => {
                crashed = true;
                format!("crashed: {e}")
            }
        };
        println!(
            "seed {seed}: {what}\n  replay: {}",
            replay_command(argv, *seed)
        );
    }
    if swept.covered != range {
        println!(
            "Stopped after {} failing seeds (--max-failures); seeds {}..{} were not all run.",
            swept.failures.len(),
            swept.covered.end,
            range.end
        );
    }
    println!(
        "{} of {} seeds passed ({:.1} s of wall time).",
        swept.covered.len() - swept.failures.len() as u64,
        swept.covered.len(),
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
        let a = argv("maelstrom test --sim --seeds=0..9 --max-failures 2 -w echo --bin ./e");
        assert_eq!(
            replay_command(&a, 4),
            "maelstrom test --sim -w echo --bin ./e --seed 4"
        );
        let a = argv("maelstrom test --sim --max-failures=1 --seeds 9 -w echo --bin ./e");
        assert_eq!(
            replay_command(&a, 4),
            "maelstrom test --sim -w echo --bin ./e --seed 4"
        );
        let a = argv("maelstrom test --sim --seed 3 -w echo --bin ./e -- x y");
        assert_eq!(
            replay_command_with("maelstrom", &a, 9),
            "maelstrom test --sim -w echo --bin ./e --seed 9 -- x y"
        );
    }

    #[test]
    fn seed_specs() {
        let r = |start, end| Ok(SeedRange { start, end });
        assert_eq!(parse_seeds("3"), r(0, 3));
        assert_eq!(parse_seeds("5..8"), r(5, 8));
        assert_eq!(
            parse_seeds("5..8").map(|s| s.iter().collect()),
            Ok(vec![5, 6, 7])
        );
        assert!(parse_seeds("x").is_err());
        assert!(parse_seeds("4..4").is_err());
        assert!(parse_seeds("0..18446744073709551616").is_err());
        // Every u64 but the last: a range, not a list.
        let all = parse_seeds("0..18446744073709551615").unwrap();
        assert_eq!(all.len(), u64::MAX);
        assert_eq!(parse_seeds("18446744073709551615"), r(0, u64::MAX));
    }

    #[test]
    fn the_seed_counter_hands_out_each_seed_once_and_stops_at_the_end() {
        let top = SeedCounter::new(SeedRange {
            start: u64::MAX - 3,
            end: u64::MAX,
        });
        let taken: Vec<_> = std::iter::from_fn(|| top.take()).collect();
        assert_eq!(taken, [u64::MAX - 3, u64::MAX - 2, u64::MAX - 1]);
        // Exhausted for good: no wrap-around to 0.
        assert_eq!(top.take(), None);
        assert_eq!(top.taken_until(), u64::MAX);

        let shared = SeedCounter::new(SeedRange {
            start: 10,
            end: 1010,
        });
        let mut all: Vec<u64> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| s.spawn(|| std::iter::from_fn(|| shared.take()).collect::<Vec<_>>()))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        all.sort_unstable();
        assert_eq!(all, (10..1010).collect::<Vec<_>>());
    }

    /// Echoes wrongly when the test's seed is a multiple of 3.
    struct EchoWrongOnThirds;

    impl crate::host::NodeFactory for EchoWrongOnThirds {
        fn start(&self, mut ch: crate::host::NodeChannels) -> tokio::task::JoinHandle<()> {
            tokio::task::spawn_local(async move {
                while let Some(msg) = ch.inbox.recv().await {
                    let mut body = if msg.body.kind == "init" {
                        maelstrom_proto::Body::new("init_ok")
                    } else {
                        let echo = if ch.seed.is_multiple_of(3) {
                            serde_json::json!("wrong")
                        } else {
                            msg.body.get("echo").cloned().unwrap_or_default()
                        };
                        maelstrom_proto::Body::new("echo_ok").with("echo", echo)
                    };
                    body.in_reply_to = msg.body.msg_id;
                    let reply = maelstrom_proto::Envelope::new(ch.id.clone(), msg.src, body);
                    if ch.outbox.send(reply).is_err() {
                        return;
                    }
                }
            })
        }
    }

    fn echo_wrong_on_thirds() -> std::rc::Rc<dyn crate::host::NodeFactory> {
        std::rc::Rc::new(EchoWrongOnThirds)
    }

    fn test_args(extra: &str) -> TestArgs {
        use clap::Parser;
        let exe = std::env::current_exe().unwrap();
        let line =
            format!("maelstrom test --sim -w echo --node-count 1 --time-limit 1 --rate 5 {extra}");
        let mut argv: Vec<String> = line.split(' ').map(String::from).collect();
        argv.extend(["--bin".into(), exe.display().to_string()]);
        match super::super::Cli::try_parse_from(argv).unwrap().command {
            super::super::Command::Test(args) => *args,
            _ => unreachable!("a test command line"),
        }
    }

    #[test]
    fn a_sweep_over_every_u64_stops_at_max_failures_with_the_lowest_ones() {
        let args = test_args("--seeds 0..18446744073709551615 --max-failures 3");
        assert_eq!(args.max_failures, Some(3));
        let range = parse_seeds(args.seeds.as_deref().unwrap()).unwrap();
        let swept = sweep_seeds(&args, range, args.max_failures, echo_wrong_on_thirds);
        let failing: Vec<u64> = swept.failures.iter().map(|(s, _)| *s).collect();
        assert_eq!(failing, [0, 3, 6]);
        assert!(swept
            .failures
            .iter()
            .all(|(_, v)| *v == Ok(Validity::Invalid)));
        // Seeds 0..=6 were all run, whatever the threads did: 4 passed.
        assert_eq!(swept.covered, SeedRange { start: 0, end: 7 });
    }

    #[test]
    fn a_whole_sweep_lists_every_failure_in_seed_order() {
        let args = test_args("--seeds 10..20");
        let range = parse_seeds("10..20").unwrap();
        let swept = sweep_seeds(&args, range, None, echo_wrong_on_thirds);
        let failing: Vec<u64> = swept.failures.iter().map(|(s, _)| *s).collect();
        assert_eq!(failing, [12, 15, 18]);
        assert_eq!(swept.covered, range);
    }
}
