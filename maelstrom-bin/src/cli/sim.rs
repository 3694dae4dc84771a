//! `maelstrom test --sim`: library nodes in-process, on virtual time, from one seed.
//!
//! The `maelstrom` binary cannot link the learner's node, so it hands the test to
//! the node binary through [`maelstrom_harness::handoff`]: it parses the command
//! line into a [`TestConfig`], probes the binary, runs it with the serialised
//! test (one seed, or a sweep), and prints the report from the binary's reply.
//! Inside, the harness runs on a paused tokio clock, which jumps ahead whenever
//! every task waits on a timer: simulated seconds cost microseconds.

use std::time::Instant;

use maelstrom_harness::handoff::{self, Job, Reply, RunError, SeedRange};
use maelstrom_harness::{rng, Validity};

use super::shard::{self, SweepSummary};
use super::{report, SweepArgs, SweepCommand, TestArgs, EXIT_BAD_ARGS};

/// The `maelstrom` command as the user can type it: `maelstrom` when that
/// name on `PATH` is this very binary, else its absolute path (quoted).
pub fn cli_program() -> String {
    let me = std::env::current_exe().ok();
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

/// Runs `maelstrom test --sim`: one seed, or a sweep with `--seeds`, inside the
/// node binary named by `--bin`. Returns the exit code.
pub fn test(args: &TestArgs, argv: &[String]) -> i32 {
    let Some(bin) = &args.bin else {
        eprintln!("Expected a --bin PATH_TO_BINARY to test");
        return EXIT_BAD_ARGS;
    };
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
    let cfg = match args.to_config(first) {
        Ok(cfg) => cfg,
        Err(msg) => {
            eprintln!("{msg}");
            return EXIT_BAD_ARGS;
        }
    };
    let job = match seeds {
        Some(seeds) => {
            let block = args.shard.map_or(seeds, |s| s.block(seeds));
            let share = args
                .shard
                .map(|s| format!(", shard {}/{} of {}..{}", s.k, s.n, seeds.start, seeds.end))
                .unwrap_or_default();
            eprintln!(
                "Simulating {} over {} seeds ({}..{}{share})...",
                cfg.workload,
                block.len(),
                block.start,
                block.end
            );
            Job::Sweep {
                seeds: block,
                max_failures: args.max_failures,
            }
        }
        None => {
            eprintln!(
                "Simulating {} with seed {} ({} nodes, --time-limit {}, --rate {})",
                cfg.workload,
                cfg.seed,
                cfg.nodes.len(),
                cfg.time_limit.as_secs_f64(),
                cfg.rate
            );
            Job::One
        }
    };
    let started = Instant::now();
    let reply = match handoff::run_in_binary(bin, &cfg, job) {
        Ok(reply) => reply,
        // Not a binary that can run a simulation: the arguments are wrong.
        Err(RunError::Refused(msg)) => {
            eprintln!("{msg}");
            return EXIT_BAD_ARGS;
        }
        Err(RunError::Failed(msg)) => {
            eprintln!("{msg}");
            return super::EXIT_CRASH;
        }
    };
    match (reply, job) {
        (Reply::Ran(outcome), _) => {
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
        (Reply::Crashed { message, signal }, _) => {
            if let Some(signal) = signal {
                eprintln!("Interrupted; every node has been stopped.");
                return 128 + signal;
            }
            let code = report::crash_message(&message);
            println!("Replay this run: {}", replay_command(argv, cfg.seed));
            code
        }
        (Reply::Swept(swept), Job::Sweep { seeds: block, .. }) => {
            if let Some(path) = &args.summary {
                let whole = seeds_of(args).unwrap_or(block);
                let summary = SweepSummary::new(
                    sweep_argv(argv),
                    whole,
                    args.max_failures,
                    args.shard,
                    swept.clone(),
                );
                if let Err(e) = summary.write(path) {
                    eprintln!("cannot write the summary: {e}");
                    return super::EXIT_CRASH;
                }
            }
            print_sweep(&swept, block, argv, started)
        }
        (Reply::Swept(_), Job::One) => {
            eprintln!("{} answered a sweep to a single test", bin.display());
            super::EXIT_CRASH
        }
    }
}

/// The whole sweep's seeds, as `--seeds` names them.
fn seeds_of(args: &TestArgs) -> Option<SeedRange> {
    args.seeds.as_deref().and_then(|s| parse_seeds(s).ok())
}

/// `maelstrom sweep merge`: the report one machine would have printed.
pub fn merge_command(args: &SweepArgs) -> i32 {
    let SweepCommand::Merge { files, summary } = &args.command;
    let parts: Result<Vec<_>, String> = files.iter().map(|f| SweepSummary::read(f)).collect();
    let merged = match parts.and_then(shard::merge) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_ARGS;
        }
    };
    if let Some(path) = summary {
        if let Err(e) = merged.write(path) {
            eprintln!("cannot write the summary: {e}");
            return super::EXIT_CRASH;
        }
    }
    let mut argv = vec!["maelstrom".to_string()];
    argv.extend(merged.command.iter().cloned());
    eprintln!(
        "Merged {} shard(s) of a sweep over {}..{}",
        files.len(),
        merged.seeds.start,
        merged.seeds.end
    );
    print_sweep(&merged.swept, merged.seeds, &argv, Instant::now())
}

/// A sweep's command line without the program and the sweep's own flags.
fn sweep_argv(argv: &[String]) -> Vec<String> {
    strip_sweep_flags(argv).into_iter().skip(1).collect()
}

/// `argv` without the sweep's own flags and their values.
fn strip_sweep_flags(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for (i, arg) in argv.iter().enumerate() {
        if std::mem::take(&mut skip) {
            continue;
        }
        if i > 0 && SWEEP_FLAGS.contains(&arg.as_str()) {
            skip = true;
            continue;
        }
        if i > 0
            && SWEEP_FLAGS.iter().any(|f| {
                arg.strip_prefix(f)
                    .is_some_and(|rest| rest.starts_with('='))
            })
        {
            continue;
        }
        out.push(arg.clone());
    }
    out
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
const SWEEP_FLAGS: [&str; 5] = [
    "--seed",
    "--seeds",
    "--max-failures",
    "--shard",
    "--summary",
];

/// The command that reruns exactly this test: the same arguments with `--seed`.
pub fn replay_command(argv: &[String], seed: u64) -> String {
    replay_command_with(&cli_program(), argv, seed)
}

/// [`replay_command`] with the program named `program`.
fn replay_command_with(program: &str, argv: &[String], seed: u64) -> String {
    let mut out = vec![program.to_string()];
    // The sweep's own flags go: a replay runs one seed.
    out.extend(
        strip_sweep_flags(argv)
            .iter()
            .skip(1)
            .map(|a| shell_quote(a)),
    );
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

/// Lists a sweep's failures, in seed order, with their replay commands, and
/// returns the exit code of the worst.
fn print_sweep(swept: &handoff::Swept, range: SeedRange, argv: &[String], started: Instant) -> i32 {
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
            replay_command_with("maelstrom", &a, 4),
            "maelstrom test --sim -w echo --bin ./e --seed 4"
        );
        let a = argv("maelstrom test --sim --max-failures=1 --seeds 9 -w echo --bin ./e");
        assert_eq!(
            replay_command_with("maelstrom", &a, 4),
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

    /// Echoes wrongly when its own seed (drawn from the test's) is a
    /// multiple of 3.
    struct EchoWrongOnThirds;

    /// Whether the test with `seed` fails: its one node's seed is a multiple of 3.
    fn fails(seed: u64) -> bool {
        maelstrom_harness::rng::node_seed(seed, "n0").is_multiple_of(3)
    }

    impl maelstrom_harness::host::NodeFactory for EchoWrongOnThirds {
        fn start(
            &self,
            mut ch: maelstrom_harness::host::NodeChannels,
        ) -> tokio::task::JoinHandle<()> {
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

    fn echo_wrong_on_thirds() -> std::rc::Rc<dyn maelstrom_harness::host::NodeFactory> {
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
        let cfg = args.to_config(0).unwrap();
        let swept = handoff::sweep(&cfg, range, args.max_failures, echo_wrong_on_thirds);
        let failing: Vec<u64> = swept.failures.iter().map(|(s, _)| *s).collect();
        let expected: Vec<u64> = (0..).filter(|&s| fails(s)).take(3).collect();
        assert_eq!(failing, expected);
        assert!(swept
            .failures
            .iter()
            .all(|(_, v)| *v == Ok(Validity::Invalid)));
        // Every seed up to the third failure was run, whatever the threads did.
        assert_eq!(
            swept.covered,
            SeedRange {
                start: 0,
                end: expected[2] + 1
            }
        );
    }

    #[test]
    fn a_whole_sweep_lists_every_failure_in_seed_order() {
        let args = test_args("--seeds 10..20");
        let range = parse_seeds("10..20").unwrap();
        let cfg = args.to_config(10).unwrap();
        let swept = handoff::sweep(&cfg, range, None, echo_wrong_on_thirds);
        let failing: Vec<u64> = swept.failures.iter().map(|(s, _)| *s).collect();
        let expected: Vec<u64> = range.iter().filter(|&s| fails(s)).collect();
        assert!(!expected.is_empty() && expected.len() < 10, "{expected:?}");
        assert_eq!(failing, expected);
        assert_eq!(swept.covered, range);
    }
}
