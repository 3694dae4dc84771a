//! Building the exercise's binaries with cargo and running one test of a level,
//! in simulation (library binaries) or as processes (any other binary).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use clap::Parser;
use serde_json::Value;

use super::super::args::{Cli, Command as CliCommand};
use super::super::sim;
use maelstrom_harness::handoff::{self, Job as SimJob, Reply};

/// A node binary to test, and whether it can run in simulation.
#[derive(Clone, Debug)]
pub struct Binary {
    /// Its path.
    pub path: PathBuf,
    /// Built with `maelstrom-node`: answers the simulation probe.
    pub library: bool,
}

impl Binary {
    /// Probes `path` the way `maelstrom test --sim` does.
    pub fn probe(path: PathBuf) -> Binary {
        let library = handoff::probe(&path).is_ok();
        Binary { path, library }
    }
}

/// Builds `packages` in the release profile from the workspace at `root` and
/// returns every binary built, by name. Cargo's own messages go to the
/// terminal, so a learner sees their compile errors as usual; the binaries'
/// paths come from cargo's JSON messages, so any target dir (`CARGO_TARGET_DIR`,
/// `.cargo/config.toml`) works.
pub fn cargo_build(root: &Path, packages: &[&str]) -> Result<BTreeMap<String, PathBuf>, String> {
    // Under `cargo run`/`cargo test`, use the same cargo.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
    ])
    .current_dir(root)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for p in packages {
        cmd.args(["-p", p]);
    }
    let shown = format!("cargo build --release -p {}", packages.join(" -p "));
    eprintln!("Building: {shown}");
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run cargo ({shown}): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{shown}` failed: see the compiler's messages above"
        ));
    }
    let mut bins = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        if let (Some(name), Some(exe)) =
            (msg["target"]["name"].as_str(), msg["executable"].as_str())
        {
            bins.insert(name.to_string(), PathBuf::from(exe));
        }
    }
    Ok(bins)
}

/// One test to run: a binary, a level's flags, a seed and a store of its own.
#[derive(Clone, Debug)]
pub struct Job {
    /// The node binary.
    pub bin: Binary,
    /// The workload.
    pub workload: String,
    /// The level's `maelstrom test` flags.
    pub args: Vec<String>,
    /// The seed.
    pub seed: u64,
    /// A store root for this test alone, so its `latest` link is this test.
    pub store: PathBuf,
    /// Whose test of which level, for progress lines.
    pub label: String,
}

/// What running a [`Job`] gave.
#[derive(Clone, Debug)]
pub enum Ran {
    /// The test ran to a verdict.
    Done {
        /// results.json.
        results: Value,
        /// The test's directory in the store.
        dir: PathBuf,
    },
    /// The test broke before a verdict (a node that never answered init, a
    /// binary that does not run, bad flags): why, in a few lines.
    Crashed(String),
}

impl Job {
    /// The `maelstrom test` command line, without the store: what a learner
    /// types to replay this test.
    pub fn command(&self) -> Vec<String> {
        let mut argv: Vec<String> = vec!["maelstrom".into(), "test".into()];
        if self.bin.library {
            argv.push("--sim".into());
        }
        argv.extend(["-w".into(), self.workload.clone(), "--bin".into()]);
        argv.push(self.bin.path.display().to_string());
        argv.extend(self.args.iter().cloned());
        insert_before_node_args(&mut argv, ["--seed".into(), self.seed.to_string()]);
        argv
    }

    /// The replay command, quoted for a shell.
    pub fn replay(&self) -> String {
        let argv = self.command();
        // `replay_command` pins the seed again: harmless, and it quotes.
        sim::replay_command(&argv, self.seed)
    }

    /// Runs the test and reads its results.
    pub fn run(&self) -> Ran {
        // A fresh store root, so `latest` cannot point at an older test.
        let _ = std::fs::remove_dir_all(&self.store);
        if let Err(e) = std::fs::create_dir_all(&self.store) {
            return Ran::Crashed(format!("cannot create {}: {e}", self.store.display()));
        }
        let mut argv = self.command();
        insert_before_node_args(
            &mut argv,
            ["--store".into(), self.store.display().to_string()],
        );
        if self.bin.library {
            self.run_simulated(&argv)
        } else {
            run_processes(&argv)
        }
    }

    /// Runs the test inside the node binary, as `maelstrom test --sim` does:
    /// the flags parsed here, the test handed over serialised.
    fn run_simulated(&self, argv: &[String]) -> Ran {
        let cfg = match parse_test(argv) {
            Ok(cfg) => cfg,
            Err(e) => return Ran::Crashed(e),
        };
        match handoff::run_in_binary(&self.bin.path, &cfg, SimJob::One) {
            Ok(Reply::Ran(outcome)) => Ran::Done {
                results: outcome.results,
                dir: outcome.store_dir.unwrap_or_default(),
            },
            Ok(Reply::Crashed { message, .. }) => Ran::Crashed(message),
            Ok(Reply::Swept(_)) => Ran::Crashed("the node binary answered a sweep".into()),
            Err(e) => Ran::Crashed(e.to_string()),
        }
    }
}

/// The level's flags through the same clap parser and config as `maelstrom
/// test`; the error says they are wrong in grade.toml.
fn parse_test(argv: &[String]) -> Result<maelstrom_harness::TestConfig, String> {
    let args = match Cli::try_parse_from(argv) {
        Ok(Cli {
            command: CliCommand::Test(args),
        }) => args,
        Ok(_) => return Err("not a test command".into()),
        Err(e) => return Err(format!("bad flags in grade.toml: {e}")),
    };
    let mut cfg = args
        .to_config(args.seed.unwrap_or_default())
        .map_err(|e| format!("bad flags in grade.toml: {e}"))?;
    // The table is the report; a progress line per test would scroll it away.
    cfg.progress = false;
    Ok(cfg)
}

/// Upstream's mode, in this process: the level's flags through the same clap
/// parser and config as `maelstrom test`.
fn run_processes(argv: &[String]) -> Ran {
    let cfg = match parse_test(argv) {
        Ok(cfg) => cfg,
        Err(e) => return Ran::Crashed(e),
    };
    match maelstrom_harness::run_blocking(cfg) {
        Ok(outcome) => Ran::Done {
            results: outcome.results,
            dir: outcome.store_dir.unwrap_or_default(),
        },
        // Ctrl-C stops the grading, not just this test (its nodes are gone).
        Err(maelstrom_harness::HarnessError::Interrupted { signal }) => {
            eprintln!("\nInterrupted; every node has been stopped.");
            std::process::exit(128 + signal)
        }
        Err(e) => Ran::Crashed(e.to_string()),
    }
}

/// Flags go before a trailing `-- node args`, which belong to the node.
fn insert_before_node_args<const N: usize>(argv: &mut Vec<String>, flags: [String; N]) {
    let at = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
    for (i, f) in flags.into_iter().enumerate() {
        argv.insert(at + i, f);
    }
}

/// Runs every job and returns their results in order: simulated ones on every
/// core (each is single-threaded), process ones one at a time afterwards (they
/// run on the real clock, and sharing the cores would skew their latencies).
/// `done` hears of each finished job.
pub fn run_all(jobs: &[Job], done: &(dyn Fn(&Job, &Ran) + Sync)) -> Vec<Ran> {
    let slots: Vec<Mutex<Option<Ran>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let simulated: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].bin.library).collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(simulated.len())
        .max(1);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let Some(&i) = simulated.get(next.fetch_add(1, Ordering::Relaxed)) else {
                    return;
                };
                let ran = jobs[i].run();
                done(&jobs[i], &ran);
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(ran);
            });
        }
    });
    for (i, job) in jobs.iter().enumerate().filter(|(_, j)| !j.bin.library) {
        let ran = job.run();
        done(job, &ran);
        *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(ran);
    }
    slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Ran::Crashed("not run".into()))
        })
        .collect()
}
