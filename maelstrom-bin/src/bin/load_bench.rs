//! Load benchmark of the whole harness: `maelstrom test` run as a process, with
//! node processes, at a high request rate, measured from outside.
//!
//! Default: the broadcast workload with 25 `broadcast-reference` processes at
//! rate 1000 for 60 s. For each run it reports
//!
//! - the harness's peak memory: `VmHWM` of the `maelstrom` process, polled from
//!   `/proc` every 50 ms, and `ru_maxrss` from `wait4` on it, which is exact but
//!   is the larger of the harness and the nodes it reaped (so it is the
//!   harness's own peak whenever it is above every node's polled peak);
//! - the harness's CPU time, and the node processes' combined peak (sum of
//!   each node's `VmHWM`, and the largest sum of their `VmRSS` seen at once);
//! - messages per second through the harness's network (sends and deliveries
//!   in messages.jsonl over the journal's time span), and the operation rate
//!   the clients achieved (invocations in the main phase of history.jsonl);
//! - the journal's totals per class (client traffic, node-to-node/service
//!   traffic): sends + duplicates must equal deliveries + drops by reason, and
//!   match results.json's `net` section;
//! - the 1-minute load average before, during (mean, max) and after the run.
//!
//! Run (release; builds nothing itself, so build first):
//!
//! ```text
//! cargo build --release -p maelstrom -p broadcast-reference
//! ./target/release/maelstrom-load-bench            # 25 nodes, rate 1000, 60 s
//! ./target/release/maelstrom-load-bench --runs 3   # medians of 3
//! ```
//!
//! The store of each run goes to a temporary folder, removed afterwards unless
//! `--keep`. `--max-rss-mb` stops a run (SIGTERM to the harness, which kills its
//! nodes) whose harness grows past it, so a runaway cannot exhaust a shared
//! machine; such a run is reported as stopped.

use std::collections::BTreeMap;
use std::fs;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde::Deserialize;
use serde_json::Value;

#[derive(Parser, Debug)]
#[command(about = "Load benchmark: `maelstrom test` with node processes, measured from outside")]
struct Args {
    /// Node count.
    #[arg(long, default_value_t = 25)]
    nodes: usize,
    /// Requests per second (`--rate`).
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    /// Seconds of main phase (`--time-limit`).
    #[arg(long, default_value_t = 60)]
    time_limit: u64,
    /// Runs; figures are reported per run and as medians.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// Workload.
    #[arg(long, default_value = "broadcast")]
    workload: String,
    /// Node binary; defaults to `broadcast-reference` beside this binary.
    #[arg(long)]
    bin: Option<PathBuf>,
    /// The harness; defaults to `maelstrom` beside this binary.
    #[arg(long)]
    maelstrom: Option<PathBuf>,
    /// Stop a run whose harness's resident memory passes this many MiB.
    #[arg(long, default_value_t = 8192)]
    max_rss_mb: u64,
    /// Keep each run's store folder and print where it is.
    #[arg(long)]
    keep: bool,
    /// More `maelstrom test` flags, after `--`.
    #[arg(last = true)]
    extra: Vec<String>,
}

/// What one run measured.
#[derive(Debug, Default, Clone)]
struct RunFigures {
    exit_code: i32,
    stopped_for_memory: bool,
    valid: String,
    wall_s: f64,
    harness_hwm_kib: u64,
    wait4_maxrss_kib: u64,
    harness_cpu_s: f64,
    nodes_seen: usize,
    nodes_hwm_sum_kib: u64,
    nodes_max_node_hwm_kib: u64,
    nodes_rss_sum_peak_kib: u64,
    nodes_cpu_s: f64,
    load_before: f64,
    load_mean: f64,
    load_max: f64,
    load_after: f64,
    journal: JournalTotals,
    journal_span_s: f64,
    journal_bytes: u64,
    ops_main: u64,
    ops_span_s: f64,
    /// Sends and deliveries journaled during the main phase.
    main_sends: u64,
    main_recvs: u64,
    /// The harness every 5 s, to tell the main phase from the analysis after it.
    timeline: Vec<Sample>,
    results_net: Value,
    net_agrees: bool,
}

impl RunFigures {
    /// Over the whole journal (setup, main phase, recovery, final reads).
    fn sends_per_s(&self) -> f64 {
        self.journal.all().send as f64 / self.journal_span_s.max(1e-9)
    }
    /// Over the main phase only, the figure that matches `--rate`.
    fn main_sends_per_s(&self) -> f64 {
        self.main_sends as f64 / self.ops_span_s.max(1e-9)
    }
    fn main_recvs_per_s(&self) -> f64 {
        self.main_recvs as f64 / self.ops_span_s.max(1e-9)
    }
    fn ops_per_s(&self) -> f64 {
        self.ops_main as f64 / self.ops_span_s.max(1e-9)
    }
}

/// The harness at one moment.
#[derive(Debug, Default, Clone, Copy)]
struct Sample {
    /// Seconds since it started.
    t: f64,
    /// Resident memory, KiB.
    rss_kib: u64,
    /// CPU seconds so far.
    cpu_s: f64,
    /// Seconds its threads have spent runnable but waiting for a CPU, so far
    /// (`/proc/<pid>/task/*/schedstat`): high means a starved harness, not a
    /// slow one.
    wait_s: f64,
}

/// Journal event counts for one class of traffic.
#[derive(Debug, Default, Clone, PartialEq)]
struct ClassTotals {
    send: u64,
    recv: u64,
    dup: u64,
    drops: BTreeMap<String, u64>,
}

impl ClassTotals {
    fn drops_total(&self) -> u64 {
        self.drops.values().sum()
    }
    /// Every copy sent was delivered or dropped for a recorded reason.
    fn balanced(&self) -> bool {
        self.send + self.dup == self.recv + self.drops_total()
    }
    fn add(&mut self, o: &ClassTotals) {
        self.send += o.send;
        self.recv += o.recv;
        self.dup += o.dup;
        for (r, n) in &o.drops {
            *self.drops.entry(r.clone()).or_insert(0) += n;
        }
    }
}

/// Journal totals: client traffic and the rest (upstream's `servers`).
#[derive(Debug, Default, Clone)]
struct JournalTotals {
    clients: ClassTotals,
    servers: ClassTotals,
    /// Lines that were not a known event.
    unknown: u64,
}

impl JournalTotals {
    fn all(&self) -> ClassTotals {
        let mut a = self.clients.clone();
        a.add(&self.servers);
        a
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let here = std::env::current_exe()?
        .parent()
        .context("this binary has no folder")?
        .to_path_buf();
    let maelstrom = args
        .maelstrom
        .clone()
        .unwrap_or_else(|| here.join("maelstrom"));
    let bin = args
        .bin
        .clone()
        .unwrap_or_else(|| here.join("broadcast-reference"));
    for p in [&maelstrom, &bin] {
        if !p.exists() {
            bail!(
                "{} not found: cargo build --release -p maelstrom -p broadcast-reference",
                p.display()
            );
        }
    }
    let mut all = Vec::new();
    for run in 1..=args.runs {
        eprintln!("run {run}/{}...", args.runs);
        let f = run_once(&args, &maelstrom, &bin)?;
        print_run(run, &f);
        all.push(f);
    }
    if all.len() > 1 {
        print_medians(&all);
    }
    if all
        .iter()
        .any(|f| !f.journal.clients.balanced() || !f.journal.servers.balanced())
    {
        bail!("the journal's totals do not balance: some message is unaccounted for");
    }
    Ok(())
}

/// The command line of one run, as it is printed.
fn test_args(args: &Args, bin: &Path) -> Vec<String> {
    let mut v: Vec<String> = [
        "test",
        "-w",
        &args.workload,
        "--bin",
        &bin.display().to_string(),
        "--node-count",
        &args.nodes.to_string(),
        "--rate",
        &args.rate.to_string(),
        "--time-limit",
        &args.time_limit.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(args.extra.iter().cloned());
    v
}

fn run_once(args: &Args, maelstrom: &Path, bin: &Path) -> Result<RunFigures> {
    let dir = tempfile::Builder::new()
        .prefix("maelstrom-load-bench-")
        .tempdir()?;
    let targs = test_args(args, bin);
    eprintln!("  {} {}", maelstrom.display(), targs.join(" "));
    let mut f = RunFigures {
        load_before: load_1min(),
        ..Default::default()
    };
    let start = Instant::now();
    let child = Command::new(maelstrom)
        .args(&targs)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(fs::File::create(dir.path().join("stdout.txt"))?)
        .stderr(fs::File::create(dir.path().join("stderr.txt"))?)
        .spawn()
        .context("starting maelstrom")?;
    let pid = child.id() as i32;
    // Reaped below with wait4, for its rusage; std's Child is not waited on.
    std::mem::forget(child);

    let mut node_hwm: BTreeMap<i32, u64> = BTreeMap::new();
    let mut node_cpu: BTreeMap<i32, f64> = BTreeMap::new();
    let (mut load_sum, mut load_n) = (0.0, 0u32);
    let mut last_load = Instant::now() - Duration::from_secs(1);
    let tick = clock_ticks();
    let mut next_timeline = 0.0;
    let (status, rusage) = loop {
        // Harness.
        if let Some(st) = proc_status(pid) {
            f.harness_hwm_kib = f.harness_hwm_kib.max(st.hwm);
            let t = start.elapsed().as_secs_f64();
            if t >= next_timeline {
                f.timeline.push(Sample {
                    t,
                    rss_kib: st.rss,
                    cpu_s: proc_cpu_s(pid, tick).unwrap_or(f.harness_cpu_s),
                    wait_s: run_queue_wait_s(pid),
                });
                next_timeline += 5.0;
            }
            if st.rss / 1024 > args.max_rss_mb && !f.stopped_for_memory {
                eprintln!("  harness passed {} MiB: stopping it", args.max_rss_mb);
                f.stopped_for_memory = true;
                // SAFETY: kill(2) on our own child, which is not yet reaped.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
        }
        if let Some(cpu) = proc_cpu_s(pid, tick) {
            f.harness_cpu_s = cpu;
        }
        // Its children: the node processes.
        let mut rss_sum = 0;
        for c in children_of(pid) {
            if let Some(st) = proc_status(c) {
                let e = node_hwm.entry(c).or_insert(0);
                *e = (*e).max(st.hwm);
                rss_sum += st.rss;
            }
            if let Some(cpu) = proc_cpu_s(c, tick) {
                node_cpu.insert(c, cpu);
            }
        }
        f.nodes_rss_sum_peak_kib = f.nodes_rss_sum_peak_kib.max(rss_sum);
        if last_load.elapsed() >= Duration::from_secs(1) {
            let l = load_1min();
            load_sum += l;
            load_n += 1;
            f.load_max = f.load_max.max(l);
            last_load = Instant::now();
        }
        let mut status = 0;
        // SAFETY: rusage is plain data, zeroed, and filled by the kernel.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 on our own child, with valid pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        if r == pid {
            break (status, ru);
        }
        if r < 0 {
            bail!("wait4: {}", std::io::Error::last_os_error());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    f.wall_s = start.elapsed().as_secs_f64();
    f.load_after = load_1min();
    f.load_mean = if load_n > 0 {
        load_sum / f64::from(load_n)
    } else {
        f.load_after
    };
    f.exit_code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    // Linux reports ru_maxrss in KiB.
    f.wait4_maxrss_kib = rusage.ru_maxrss as u64;
    f.nodes_seen = node_hwm.len();
    f.nodes_hwm_sum_kib = node_hwm.values().sum();
    f.nodes_max_node_hwm_kib = node_hwm.values().copied().max().unwrap_or(0);
    f.nodes_cpu_s = node_cpu.values().sum();

    let store = dir.path().join("store/latest");
    let results: Value = serde_json::from_str(
        &fs::read_to_string(store.join("results.json")).with_context(|| {
            let err = fs::read_to_string(dir.path().join("stderr.txt")).unwrap_or_default();
            format!("no results.json (exit {}); stderr:\n{err}", f.exit_code)
        })?,
    )?;
    f.valid = verdict(&results);
    f.results_net = results["net"].clone();
    // History and journal share the test's clock, so the main phase found in
    // the history is a window of the journal.
    let (ops, t0, ops_span) = main_phase_ops(&store.join("history.jsonl"), args.time_limit)?;
    f.ops_main = ops;
    f.ops_span_s = ops_span;
    let window = (t0, t0 + (ops_span * 1e9) as u64);
    let journal = store.join("messages.jsonl");
    f.journal_bytes = fs::metadata(&journal).map(|m| m.len()).unwrap_or(0);
    let j = read_journal(&journal, window)?;
    f.journal = j.totals;
    f.journal_span_s = j.span_s;
    (f.main_sends, f.main_recvs) = (j.window_sends, j.window_recvs);
    f.net_agrees = agrees(&f.results_net, &f.journal);
    if args.keep {
        eprintln!("  store kept in {}", dir.keep().display());
    }
    Ok(f)
}

/// results.json's verdict and, unless valid, each section that was not, with
/// the workload checker's reason (a budget that ran out, say).
fn verdict(results: &Value) -> String {
    let mut v = results["valid"].to_string();
    if results["valid"] != Value::Bool(true) {
        if let Some(map) = results.as_object() {
            for (name, section) in map {
                if section
                    .get("valid")
                    .is_some_and(|s| *s != Value::Bool(true))
                {
                    v.push_str(&format!(" [{name}: {}", section["valid"]));
                    if let Some(r) = section.get("reason").and_then(Value::as_str) {
                        v.push_str(&format!(", {r}"));
                    }
                    v.push(']');
                }
            }
        }
    }
    v
}

/// `VmHWM` and `VmRSS` of a process, KiB.
struct Status {
    hwm: u64,
    rss: u64,
}

fn proc_status(pid: i32) -> Option<Status> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    // A zombie has no memory fields.
    Some(Status {
        hwm: field("VmHWM:")?,
        rss: field("VmRSS:")?,
    })
}

/// User + system CPU seconds of a process, from `/proc/<pid>/stat`.
fn proc_cpu_s(pid: i32, tick: f64) -> Option<f64> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces, closed by ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5), 12 and 13 after ')'.
    let ut: f64 = fields.get(11)?.parse().ok()?;
    let st: f64 = fields.get(12)?.parse().ok()?;
    Some((ut + st) / tick)
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// Seconds `pid`'s threads have waited on a run queue (schedstat's second field).
fn run_queue_wait_s(pid: i32) -> f64 {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1e9
}

/// Processes whose parent is `pid`, from every thread's `children` list.
fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        if let Ok(s) = fs::read_to_string(t.path().join("children")) {
            out.extend(s.split_whitespace().filter_map(|c| c.parse::<i32>().ok()));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn load_1min() -> f64 {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// One journal line; a message's body is skipped, not built.
#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    time: u64,
    reason: Option<String>,
    src: Option<String>,
    dest: Option<String>,
    message: Option<Head>,
}

#[derive(Deserialize)]
struct Head {
    src: String,
    dest: String,
}

/// What [`read_journal`] found.
struct JournalRead {
    totals: JournalTotals,
    /// Seconds between the first and last event.
    span_s: f64,
    /// Sends and deliveries inside the window.
    window_sends: u64,
    window_recvs: u64,
}

/// Totals of messages.jsonl per class, and the sends and deliveries whose
/// time (ns since the test started) is in `window`.
fn read_journal(path: &Path, window: (u64, u64)) -> Result<JournalRead> {
    let file = fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut t = JournalTotals::default();
    let (mut window_sends, mut window_recvs) = (0, 0);
    let (mut first, mut last) = (u64::MAX, 0u64);
    for line in std::io::BufReader::with_capacity(1 << 20, file).lines() {
        let line = line?;
        let Ok(e) = serde_json::from_str::<Event>(&line) else {
            t.unknown += 1;
            continue;
        };
        let (src, dest) = match (&e.message, &e.src, &e.dest) {
            (Some(h), _, _) => (h.src.as_str(), h.dest.as_str()),
            (None, Some(s), Some(d)) => (s.as_str(), d.as_str()),
            _ => {
                t.unknown += 1;
                continue;
            }
        };
        first = first.min(e.time);
        last = last.max(e.time);
        if (window.0..=window.1).contains(&e.time) {
            match e.kind.as_str() {
                "send" => window_sends += 1,
                "recv" => window_recvs += 1,
                _ => {}
            }
        }
        // Upstream's rule: a client's id starts with `c`.
        let class = if src.starts_with('c') || dest.starts_with('c') {
            &mut t.clients
        } else {
            &mut t.servers
        };
        match (e.kind.as_str(), e.reason) {
            ("send", _) => class.send += 1,
            ("recv", _) => class.recv += 1,
            ("duplicate", _) => class.dup += 1,
            ("drop", Some(r)) => *class.drops.entry(r).or_insert(0) += 1,
            _ => t.unknown += 1,
        }
    }
    Ok(JournalRead {
        totals: t,
        span_s: last.saturating_sub(first.min(last)) as f64 / 1e9,
        window_sends,
        window_recvs,
    })
}

/// Whether results.json's `net` counts equal the journal's.
fn agrees(net: &Value, j: &JournalTotals) -> bool {
    let class = |v: &Value, c: &ClassTotals| {
        let drops_ok = c
            .drops
            .iter()
            .all(|(r, n)| v["drop-counts"][r].as_u64() == Some(*n));
        let drops_sum: u64 = v["drop-counts"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        v["send-count"].as_u64() == Some(c.send)
            && v["recv-count"].as_u64() == Some(c.recv)
            && v["dup-count"].as_u64() == Some(c.dup)
            && drops_ok
            && drops_sum == c.drops_total()
    };
    class(&net["clients"], &j.clients)
        && class(&net["servers"], &j.servers)
        && class(&net["all"], &j.all())
}

/// One history line; the value is skipped.
#[derive(Deserialize)]
struct HistOp {
    #[serde(rename = "type")]
    kind: String,
    time: u64,
}

/// Client invocations in the main phase (the first `time_limit` seconds after
/// the first invocation), the time of the first (ns since the test started)
/// and the seconds from the first to the last of them.
fn main_phase_ops(path: &Path, time_limit: u64) -> Result<(u64, u64, f64)> {
    let file = fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let (mut n, mut first, mut last) = (0u64, None, 0u64);
    for line in std::io::BufReader::with_capacity(1 << 20, file).lines() {
        let Ok(op) = serde_json::from_str::<HistOp>(&line?) else {
            continue;
        };
        if op.kind != "invoke" {
            continue;
        }
        let t0 = *first.get_or_insert(op.time);
        if op.time.saturating_sub(t0) <= time_limit * 1_000_000_000 {
            n += 1;
            last = op.time;
        }
    }
    let t0 = first.unwrap_or(0);
    Ok((n, t0, last.saturating_sub(t0) as f64 / 1e9))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn print_class(name: &str, c: &ClassTotals) {
    let drops: Vec<String> = c.drops.iter().map(|(r, n)| format!("{r} {n}")).collect();
    println!(
        "    {name:<8} sent {:>9}  dup {:>5}  delivered {:>9}  dropped {:>7} ({})  balanced: {}",
        c.send,
        c.dup,
        c.recv,
        c.drops_total(),
        if drops.is_empty() {
            "none".to_string()
        } else {
            drops.join(", ")
        },
        c.balanced()
    );
}

fn print_run(run: usize, f: &RunFigures) {
    println!("run {run}:");
    println!(
        "  exit {} valid {}{}  wall {:.1} s",
        f.exit_code,
        f.valid,
        if f.stopped_for_memory {
            "  (STOPPED: memory cap)"
        } else {
            ""
        },
        f.wall_s
    );
    println!(
        "  harness: peak RSS {:.1} MiB (VmHWM polled), wait4 maxrss {:.1} MiB, CPU {:.1} s ({:.0}% of one core over the run)",
        mib(f.harness_hwm_kib),
        mib(f.wait4_maxrss_kib),
        f.harness_cpu_s,
        100.0 * f.harness_cpu_s / f.wall_s
    );
    println!(
        "  nodes ({}): sum of peaks {:.1} MiB (largest {:.1} MiB), largest simultaneous sum {:.1} MiB, CPU {:.1} s",
        f.nodes_seen,
        mib(f.nodes_hwm_sum_kib),
        mib(f.nodes_max_node_hwm_kib),
        mib(f.nodes_rss_sum_peak_kib),
        f.nodes_cpu_s
    );
    println!(
        "  ops: {} invoked in the main phase over {:.1} s = {:.0} ops/s",
        f.ops_main,
        f.ops_span_s,
        f.ops_per_s()
    );
    println!(
        "  network, main phase: {:.0} sends/s, {:.0} deliveries/s ({} sends)",
        f.main_sends_per_s(),
        f.main_recvs_per_s(),
        f.main_sends
    );
    println!(
        "  network, whole journal: {:.0} sends/s over {:.1} s ({:.1} MiB)",
        f.sends_per_s(),
        f.journal_span_s,
        f.journal_bytes as f64 / 1048576.0
    );
    // CPU and run-queue wait as shares of the 5 s step: running near 100%
    // means the single-threaded harness was the bottleneck in that step;
    // running + waiting near 100% means it would have been, given the CPU.
    let mut prev = Sample::default();
    let timeline: Vec<String> = f
        .timeline
        .iter()
        .map(|s| {
            let dt = (s.t - prev.t).max(1e-9);
            let run = 100.0 * (s.cpu_s - prev.cpu_s) / dt;
            let wait = 100.0 * (s.wait_s - prev.wait_s) / dt;
            prev = *s;
            format!("{:.0}s {:.0} MiB {run:.0}%+{wait:.0}%", s.t, mib(s.rss_kib))
        })
        .collect();
    println!(
        "  harness every 5 s (RSS, running+waiting for a CPU): {}",
        timeline.join(", ")
    );
    println!("  journal totals (sent + dup = delivered + dropped):");
    print_class("clients", &f.journal.clients);
    print_class("servers", &f.journal.servers);
    print_class("all", &f.journal.all());
    if f.journal.unknown > 0 {
        println!("    {} lines not understood", f.journal.unknown);
    }
    println!(
        "  results.json net section agrees with the journal: {}",
        f.net_agrees
    );
    println!(
        "  load average (1 min): before {:.2}, during mean {:.2} max {:.2}, after {:.2}",
        f.load_before, f.load_mean, f.load_max, f.load_after
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn print_medians(all: &[RunFigures]) {
    let m = |g: &dyn Fn(&RunFigures) -> f64| median(all.iter().map(g).collect());
    println!("medians of {} runs:", all.len());
    println!(
        "  harness peak RSS {:.1} MiB (wait4 {:.1} MiB), CPU {:.1} s",
        m(&|f| mib(f.harness_hwm_kib)),
        m(&|f| mib(f.wait4_maxrss_kib)),
        m(&|f| f.harness_cpu_s)
    );
    println!(
        "  nodes: sum of peaks {:.1} MiB, largest simultaneous sum {:.1} MiB",
        m(&|f| mib(f.nodes_hwm_sum_kib)),
        m(&|f| mib(f.nodes_rss_sum_peak_kib))
    );
    println!(
        "  {:.0} ops/s; main phase {:.0} sends/s, {:.0} deliveries/s",
        m(&|f| f.ops_per_s()),
        m(&|f| f.main_sends_per_s()),
        m(&|f| f.main_recvs_per_s())
    );
    println!(
        "  load average during: mean {:.2}, max {:.2}",
        m(&|f| f.load_mean),
        m(&|f| f.load_max)
    );
}
