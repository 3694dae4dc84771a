//! The boundary between the `maelstrom` CLI and a node binary built with
//! `maelstrom-node`, for tests in simulation.
//!
//! The CLI cannot link a learner's node, so the node binary runs the test
//! itself, in-process on virtual time. The CLI parses the command line once
//! and runs the binary with a [`SimRequest`] (a versioned, serialised
//! [`TestConfig`] and what to do with it) in [`REQUEST_ENV`]. A library
//! binary first prints [`probe_reply`] (the handoff version it speaks) alone
//! on its stdout's first line, then runs the test and answers with a
//! [`SimReply`] written to the file the request names, and the CLI prints the
//! report. A binary whose first line is anything else is stopped, and the
//! probe ([`PROBE_ENV`], which asks only for that line) says why in words.
//! Both sides check [`HANDOFF_VERSION`]: a node built against another version
//! is told to rebuild, never misread.
//!
//! A node binary does only what a request asks (one test, or a sweep of
//! seeds): no other command of the CLI is reachable from it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::host::NodeFactory;
use crate::{HarnessError, NodeProgram, Outcome, TestConfig, Validity};

/// The version of [`SimRequest`] and [`SimReply`]; bumped on any change to them
/// or to [`TestConfig`]'s serialised form.
pub const HANDOFF_VERSION: u32 = 2;
/// Set (to anything) to ask a binary whether it can run simulations.
pub const PROBE_ENV: &str = "MAELSTROM_SIM_PROBE";
/// Holds a [`SimRequest`] as JSON.
pub const REQUEST_ENV: &str = "MAELSTROM_SIM_REQUEST";
/// The start of a library binary's answer to the probe, before the version.
const PROBE_PREFIX: &str = "maelstrom-node: simulation available, handoff v";
/// How long a binary gets to answer the probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the in-process nodes of a library binary. A plain function (not a
/// closure) so a sweep can call it on every thread.
pub type LibraryNodes = fn() -> Rc<dyn NodeFactory>;

/// What a library binary prints, alone on its first stdout line, to the probe.
pub fn probe_reply() -> String {
    format!("{PROBE_PREFIX}{HANDOFF_VERSION}")
}

/// What the CLI asks of a node binary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimRequest {
    /// [`HANDOFF_VERSION`] of the CLI that wrote it.
    pub version: u32,
    /// The test, as the CLI parsed it (its `program` is the node binary's own).
    pub test: TestConfig,
    /// One test or a sweep.
    pub job: Job,
    /// Where to write the [`SimReply`].
    pub reply_to: PathBuf,
}

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Job {
    /// The test, once, with its seed and store.
    One,
    /// Every seed of a range, without stores, on every core.
    Sweep {
        /// The seeds.
        seeds: SeedRange,
        /// Stop after this many failing seeds (the lowest are reported).
        max_failures: Option<u64>,
    },
}

/// What a node binary answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimReply {
    /// [`HANDOFF_VERSION`] of the node binary.
    pub version: u32,
    /// What happened.
    pub result: Reply,
}

/// The result of a [`Job`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Reply {
    /// The test ran to its analysis.
    Ran(Outcome),
    /// The test broke (upstream's crash), or was interrupted by `signal`.
    Crashed {
        /// The error, in words.
        message: String,
        /// The signal that interrupted it, if that is what happened.
        signal: Option<i32>,
    },
    /// A sweep's findings.
    Swept(Swept),
}

/// The seeds of a sweep, `start..end` (end excluded), never materialised: a
/// sweep over every u64 costs as little memory as one over ten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedRange {
    /// The first seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

impl SeedRange {
    /// How many seeds.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
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

/// What a sweep found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Swept {
    /// The seeds the verdicts below cover, all of them run: the whole range,
    /// or up to the last reported failure when `max_failures` stopped it.
    pub covered: SeedRange,
    /// The failing seeds in order, with their verdict or why the test crashed.
    pub failures: Vec<(u64, Result<Validity, String>)>,
}

/// Runs one simulated test with nodes from `nodes` on a fresh paused runtime.
pub fn simulate(mut cfg: TestConfig, nodes: LibraryNodes) -> Result<Outcome, HarnessError> {
    cfg.program = NodeProgram::InProcess(nodes());
    crate::run_simulated(cfg)
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

/// Runs every seed of `range` on every core, without stores, each worker
/// pulling the next seed from a shared counter. Only failures are kept. With
/// `max_failures`, workers stop taking seeds once that many failed; the
/// report is then cut to the lowest `max_failures` failing seeds, which does
/// not depend on thread timing (every seed below the cut was run). A
/// progress line goes to stderr when it is a terminal.
pub fn sweep(
    test: &TestConfig,
    range: SeedRange,
    max_failures: Option<u64>,
    nodes: LibraryNodes,
) -> Swept {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(usize::try_from(range.len()).unwrap_or(usize::MAX))
        .max(1);
    let seeds = SeedCounter::new(range);
    let done = AtomicU64::new(0);
    let failures: Mutex<BTreeMap<u64, Result<Validity, String>>> = Mutex::default();
    let enough =
        |failures: &BTreeMap<_, _>| max_failures.is_some_and(|max| failures.len() as u64 >= max);
    let show_progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // A config holds its (thread-bound) nodes, so threads share its
    // serialised form and each builds its own.
    let template = serde_json::to_value(test).unwrap_or_default();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                if enough(&failures.lock().unwrap_or_else(|e| e.into_inner())) {
                    return;
                }
                let Some(seed) = seeds.take() else { return };
                // Each thread builds its own nodes: a test's nodes are not
                // shareable across threads.
                let verdict = serde_json::from_value::<TestConfig>(template.clone())
                    .map_err(|e| e.to_string())
                    .and_then(|mut cfg| {
                        cfg.seed = seed;
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

/// In a node binary: if the CLI asked (the probe, or a request), does it and
/// returns the exit code for the process; `None` when nothing was asked.
pub fn serve_if_asked(nodes: LibraryNodes) -> Option<i32> {
    if std::env::var_os(PROBE_ENV).is_some() {
        println!("{}", probe_reply());
        return Some(0);
    }
    let text = std::env::var_os(REQUEST_ENV)?;
    // The CLI waits for this line before it waits for the test.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", probe_reply());
        let _ = out.flush();
    }
    let request: SimRequest = match serde_json::from_str(&text.to_string_lossy()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "{REQUEST_ENV} does not hold a test this node binary understands ({e}). \
                 Rebuild it against the same maelstrom-node as the maelstrom binary."
            );
            return Some(EXIT_BAD_REQUEST);
        }
    };
    if request.version != HANDOFF_VERSION {
        eprintln!(
            "This node binary speaks handoff v{HANDOFF_VERSION}, the maelstrom binary v{}: \
             rebuild both from the same workspace.",
            request.version
        );
        return Some(EXIT_BAD_REQUEST);
    }
    // The harness runs in this process now: its own events go to stderr as
    // from the `maelstrom` binary (each in-process node's to its own log).
    crate::logging::init_stderr();
    let result = match request.job {
        Job::One => {
            // This process ends once the reply is written.
            crate::run::exit_after_test();
            match simulate(request.test, nodes) {
                Ok(outcome) => Reply::Ran(outcome),
                Err(e) => Reply::Crashed {
                    signal: match e {
                        HarnessError::Interrupted { signal } => Some(signal),
                        _ => None,
                    },
                    message: e.to_string(),
                },
            }
        }
        Job::Sweep {
            seeds,
            max_failures,
        } => Reply::Swept(sweep(&request.test, seeds, max_failures, nodes)),
    };
    let reply = SimReply {
        version: HANDOFF_VERSION,
        result,
    };
    let written = serde_json::to_vec(&reply)
        .map_err(|e| e.to_string())
        .and_then(|bytes| std::fs::write(&request.reply_to, bytes).map_err(|e| e.to_string()));
    Some(match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "cannot write the reply to {}: {e}",
                request.reply_to.display()
            );
            EXIT_BAD_REQUEST
        }
    })
}

/// A node binary's exit code when it cannot serve a request (upstream's "bad
/// arguments" code, as the CLI's own).
const EXIT_BAD_REQUEST: i32 = 254;

/// In the CLI: whether `bin` answers the probe with this handoff's version;
/// the error says what to do if not.
pub fn probe(bin: &Path) -> Result<(), String> {
    let mut child = Command::new(bin)
        .env(PROBE_ENV, "1")
        .env_remove(REQUEST_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run --bin {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let answer = first_line(stdout, None);
    let _ = child.kill();
    let _ = child.wait();
    match answer {
        Some(line) => match line.trim_end().strip_prefix(PROBE_PREFIX) {
            Some(v) if v == HANDOFF_VERSION.to_string() => Ok(()),
            Some(v) => Err(format!(
                "{} was built with a maelstrom-node that speaks handoff v{v}, and this \
                 maelstrom binary speaks v{HANDOFF_VERSION}: rebuild both from the same workspace.",
                bin.display()
            )),
            None if line.starts_with("maelstrom-node:") => Err(format!(
                "{} was built with an older maelstrom-node that this maelstrom binary cannot \
                 hand a test to: rebuild both from the same workspace.",
                bin.display()
            )),
            None if line.is_empty() => Err(not_library(bin, "printed nothing when asked")),
            None => Err(not_library(
                bin,
                &format!("answered {:?} when asked", line.trim_end()),
            )),
        },
        None => Err(not_library(
            bin,
            &format!("did not answer within {} s", PROBE_TIMEOUT.as_secs()),
        )),
    }
}

/// Why `bin` cannot run a simulation, and what to do instead.
fn not_library(bin: &Path, why: &str) -> String {
    format!(
        "--sim needs a node binary built with the maelstrom-node library (with its \
         default `sim` feature), and {} {why}. Run the test without --sim to test any \
         binary as processes.",
        bin.display()
    )
}

/// Reads `stdout`'s first line on a thread of its own, and waits for it at
/// most [`PROBE_TIMEOUT`] (`None` if it does not come; an empty line if
/// stdout closed first). With `rest`, the thread then copies whatever else
/// the binary prints there, so that a node's own prints still reach the user
/// and never fill the pipe; the returned handle ends when stdout closes.
fn first_line(
    stdout: std::process::ChildStdout,
    rest: Option<&mut Option<std::thread::JoinHandle<()>>>,
) -> Option<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let copy_rest = rest.is_some();
    let thread = std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut reader, &mut line);
        let _ = tx.send(line);
        if copy_rest {
            let _ = std::io::copy(&mut reader, &mut std::io::stdout());
        }
    });
    if let Some(slot) = rest {
        *slot = Some(thread);
    }
    rx.recv_timeout(PROBE_TIMEOUT).ok()
}

/// Why [`run_in_binary`] has no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// The binary cannot take a test (not built with the library, or with
    /// another handoff version): nothing ran, and the message says what to do.
    Refused(String),
    /// The binary took the test but gave no usable answer.
    Failed(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Refused(m) | RunError::Failed(m) => f.write_str(m),
        }
    }
}

/// In the CLI: runs `job` on `test` inside the library binary `bin` and
/// returns its reply. A binary that does not first announce this handoff's
/// version is stopped, and the error says why, in the words of [`probe`].
pub fn run_in_binary(bin: &Path, test: &TestConfig, job: Job) -> Result<Reply, RunError> {
    let failed = RunError::Failed;
    let dir = tempfile::tempdir().map_err(|e| failed(format!("cannot make a temp folder: {e}")))?;
    let reply_to = dir.path().join("reply.json");
    let request = SimRequest {
        version: HANDOFF_VERSION,
        test: test.clone(),
        job,
        reply_to: reply_to.clone(),
    };
    let json = serde_json::to_string(&request).map_err(|e| failed(e.to_string()))?;
    let mut child = Command::new(bin)
        .env(REQUEST_ENV, json)
        .env_remove(PROBE_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| RunError::Refused(format!("cannot run --bin {}: {e}", bin.display())))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut copier = None;
    let announced = first_line(stdout, Some(&mut copier));
    if announced.as_deref().map(str::trim_end) != Some(probe_reply().as_str()) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(RunError::Refused(match announced {
            None => not_library(
                bin,
                &format!("did not answer within {} s", PROBE_TIMEOUT.as_secs()),
            ),
            // Asked on its own, the binary says what it is.
            Some(_) => probe(bin).err().unwrap_or_else(|| {
                format!("{} did not take the test it was handed", bin.display())
            }),
        }));
    }
    let status = child
        .wait()
        .map_err(|e| failed(format!("cannot run {}: {e}", bin.display())))?;
    if let Some(copier) = copier {
        let _ = copier.join();
    }
    let bytes = std::fs::read(&reply_to).map_err(|_| {
        failed(format!(
            "{} ended ({status}) without answering the test it was handed",
            bin.display()
        ))
    })?;
    let reply: SimReply = serde_json::from_slice(&bytes).map_err(|e| {
        failed(format!(
            "{} answered something unreadable: {e}",
            bin.display()
        ))
    })?;
    if reply.version != HANDOFF_VERSION {
        return Err(failed(format!(
            "{} answered in handoff v{}, this maelstrom binary speaks v{HANDOFF_VERSION}: \
             rebuild both from the same workspace.",
            bin.display(),
            reply.version
        )));
    }
    Ok(reply.result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_round_trips_with_its_config() {
        let mut test = TestConfig::new("broadcast", NodeProgram::default());
        test.seed = 42;
        test.nemesis_partition = true;
        test.latency = Duration::from_millis(100);
        let request = SimRequest {
            version: HANDOFF_VERSION,
            test,
            job: Job::Sweep {
                seeds: SeedRange {
                    start: 0,
                    end: u64::MAX,
                },
                max_failures: Some(3),
            },
            reply_to: PathBuf::from("/tmp/x"),
        };
        let back: SimRequest =
            serde_json::from_str(&serde_json::to_string(&request).unwrap()).unwrap();
        assert_eq!(back.test.seed, 42);
        assert!(back.test.nemesis_partition);
        assert_eq!(back.test.latency, Duration::from_millis(100));
        assert_eq!(back.job, request.job);
    }

    #[test]
    fn the_seed_counter_hands_out_each_seed_once_and_stops_at_the_end() {
        let c = SeedCounter::new(SeedRange {
            start: u64::MAX - 2,
            end: u64::MAX,
        });
        assert_eq!(c.take(), Some(u64::MAX - 2));
        assert_eq!(c.take(), Some(u64::MAX - 1));
        assert_eq!(c.take(), None);
        assert_eq!(c.take(), None);
        assert_eq!(c.taken_until(), u64::MAX);
    }
}
