//! One test, start to finish: hosts, setup, phases, teardown, analysis, store.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use maelstrom_check::history::Op;
use maelstrom_check::stats::{availability, stats};
use maelstrom_check::Validity;
use maelstrom_proto::Body;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::client::{Client, ClientIds};
use crate::clock::Clock;
use crate::config::{NodeProgram, TestConfig};
use crate::error::HarnessError;
use crate::faults::{self, Hosts, NodeFaults};
use crate::history::History;
use crate::host::{self, HostEnv};
use crate::net::{Journal, Latency, MessageFaults, Net};
use crate::protocol::ProtocolLog;
use crate::store::TestDir;
use crate::workers::{final_phase, main_phase, Worker, WorkerEnv};
use crate::workload::{self, Workload};
use crate::{nemesis, progress, rng, services};

/// The result of a test that ran to its analysis.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// The merged verdict.
    pub valid: Validity,
    /// results.json's content.
    pub results: Value,
    /// The test's store directory, if it kept one.
    pub store_dir: Option<PathBuf>,
    /// What the terminal says of the test in words
    /// ([`crate::explain::verdict_words`]), found while the history was in
    /// memory; `None` where it was not (a stored test checked again).
    #[serde(default)]
    pub words: Option<Vec<String>>,
}

/// Runs a test on a fresh single-threaded runtime. Every node is stopped
/// before this returns, whatever happened: on SIGINT (Ctrl-C), SIGTERM or
/// SIGHUP the test is dropped, which kills every node's process group, and
/// [`HarnessError::Interrupted`] is returned. Nodes run in process groups of
/// their own, so a Ctrl-C at the terminal reaches only the harness: whoever runs
/// process tests must go through here (or watch the signals the same way).
pub fn run_blocking(cfg: TestConfig) -> Result<Outcome, HarnessError> {
    let rt = runtime(false, true)?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        // Registered before the first node starts, so no signal slips past.
        let interrupted = interrupted();
        tokio::select! {
            biased;
            r = run(cfg) => r,
            signal = interrupted => Err(HarnessError::Interrupted { signal }),
        }
    })
}

/// Resolves with the number of the first SIGINT, SIGTERM or SIGHUP. Listening
/// starts when this is called, not when it is first polled.
fn interrupted() -> impl std::future::Future<Output = i32> {
    use tokio::signal::unix::{signal, SignalKind};
    let kinds = [
        SignalKind::interrupt(),
        SignalKind::terminate(),
        SignalKind::hangup(),
    ];
    // A signal that cannot be listened to (no driver) never fires.
    let mut streams: Vec<_> = kinds
        .into_iter()
        .filter_map(|k| signal(k).ok().map(|s| (k.as_raw_value(), s)))
        .collect();
    async move {
        std::future::poll_fn(|cx| {
            for (raw, s) in &mut streams {
                if s.poll_recv(cx).is_ready() {
                    return std::task::Poll::Ready(*raw);
                }
            }
            std::task::Poll::Pending
        })
        .await
    }
}

/// Runs a test on a fresh single-threaded runtime whose clock is paused: virtual
/// time jumps ahead whenever every task waits, so a 60 s test takes well under a
/// second, and the same config (seed included) gives the same run. What only
/// makes sense on a real clock is turned off here, once for every caller: the
/// progress line (virtual seconds fly) and precise delivery (yielding would not
/// advance a paused clock).
pub fn run_simulated(mut cfg: TestConfig) -> Result<Outcome, HarnessError> {
    cfg.progress = false;
    cfg.precise_delivery = false;
    run_on_fresh_runtime(cfg, true)
}

fn run_on_fresh_runtime(cfg: TestConfig, paused: bool) -> Result<Outcome, HarnessError> {
    // In-process nodes need no I/O driver. Without one, every step of virtual
    // time is a plain park instead of an epoll_wait, and waking the runtime
    // from a node's LocalSet is an atomic store instead of an eventfd write:
    // a broadcast test made ~6,500 of the first and ~4,900 of the second.
    let io = matches!(cfg.program, NodeProgram::Process { .. });
    let rt = runtime(paused, io)?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run(cfg))
}

/// A current-thread runtime, its clock paused or not; `io` turns on the I/O
/// driver (processes, pipes, signals) besides the timer.
fn runtime(paused: bool, io: bool) -> Result<tokio::runtime::Runtime, HarnessError> {
    let mut b = tokio::runtime::Builder::new_current_thread();
    b.enable_time().start_paused(paused);
    if io {
        b.enable_io();
    }
    b.build()
        .map_err(|e| HarnessError::Config(format!("cannot start the runtime: {e}")))
}

/// Runs a test. Must be called inside a `LocalSet` on a current-thread runtime.
pub async fn run(cfg: TestConfig) -> Result<Outcome, HarnessError> {
    if cfg.nodes.is_empty() {
        return Err(HarnessError::Config(
            "a test needs at least one node".into(),
        ));
    }
    if cfg.concurrency == 0 {
        return Err(HarnessError::Config(
            "--concurrency must be at least 1".into(),
        ));
    }
    let workload: Rc<dyn Workload> = workload::by_name(&cfg.workload, &cfg)
        .map_err(HarnessError::Config)?
        .into();
    let dir = match &cfg.store_root {
        Some(root) => Some(TestDir::create(root, &cfg.workload)?),
        None => None,
    };
    // What `maelstrom analyze` needs to check the history again later.
    if let Some(d) = &dir {
        crate::analysis::write_test_file(&d.path, &cfg)?;
    }
    // Node processes keep their durable storage (`MAELSTROM_STORAGE_DIR`) in
    // the store, or without one in a scratch folder of this test's own (unique
    // even for equal seeds in one process). The scratch folder is removed when
    // the test ends, however it ends: it is dropped with this future, after the
    // hosts declared below it have killed their nodes.
    let (scratch, storage_dir) = match (&dir, &cfg.program) {
        (Some(d), _) => (None, Some(d.path.join("node-storage"))),
        (None, NodeProgram::Process { .. }) => {
            let t = tempfile::Builder::new()
                .prefix("maelstrom-node-storage-")
                .tempdir()
                .map_err(|source| HarnessError::Store {
                    path: std::env::temp_dir().display().to_string(),
                    source,
                })?;
            let path = t.path().to_path_buf();
            (Some(t), Some(path))
        }
        // In-process nodes keep their storage in memory.
        (None, NodeProgram::InProcess(_)) => (None, None),
    };
    let clock = Clock::start();
    let journal = match &dir {
        Some(d) => {
            let p = d.path.join("messages.jsonl");
            // The diagram is built as the journal is written, so
            // messages.html need not read it back.
            let journal = if crate::report::enabled() {
                Journal::to_file_with_diagram(&p)
            } else {
                Journal::to_file(&p)
            };
            journal.map_err(|source| HarnessError::Store {
                path: p.display().to_string(),
                source,
            })?
        }
        None => Journal::disabled(),
    };
    let latency = Latency::new(
        cfg.latency,
        cfg.latency_dist,
        rng::stream(cfg.seed, "latency"),
    );
    let net = Net::new(clock, latency, journal);
    net.set_precise_delivery(cfg.precise_delivery);
    net.set_logging(cfg.log_net_send, cfg.log_net_recv);
    // history.jsonl is written as the test goes, on a thread of its own,
    // which also feeds the workload's checker if it can read as it goes.
    let history = match &dir {
        Some(d) => {
            let p = d.path.join("history.jsonl");
            let checker = workload.checker_as_it_goes();
            History::written_to(clock, &p, checker).map_err(|source| HarnessError::Store {
                path: p.display().to_string(),
                source,
            })?
        }
        None => History::new(clock),
    };
    let (faults_tx, mut faults_rx) = mpsc::unbounded_channel();
    let protocol = ProtocolLog::new(clock, cfg.nodes.iter().cloned());
    let host_env = HostEnv {
        net: net.clone(),
        faults: faults_tx,
        protocol: protocol.clone(),
        log_dir: dir.as_ref().map(TestDir::node_logs),
        log_stderr: cfg.log_stderr,
        clock,
        seed: cfg.seed,
        storage: Default::default(),
        storage_dir,
    };
    net.set_message_faults(MessageFaults {
        loss: cfg.loss_rate,
        duplication: cfg.duplication_rate,
        nodes: cfg.nodes.iter().cloned().collect(),
        rng: rng::stream(cfg.seed, "message-faults"),
    });
    // Register every node before starting any, so early sends find their peers.
    for id in &cfg.nodes {
        net.register(id);
    }
    let service_tasks = services::start_all(&net, cfg.seed);
    let hosts = Hosts::default();
    let ids = ClientIds::default();
    let node_faults = Rc::new(NodeFaults::new(
        hosts.clone(),
        &cfg,
        host_env.clone(),
        ids.clone(),
        history.clone(),
    ));
    let body = async {
        for id in &cfg.nodes {
            let h = host::start(&cfg.program, id, &host_env).await?;
            hosts.borrow_mut().insert(id.clone(), h);
        }
        drive(&cfg, &net, &history, workload.clone(), &ids, &node_faults).await
    };
    let result = tokio::select! {
        // Biased: tokio's unbiased select draws from an rng we cannot seed.
        biased;
        r = body => r,
        Some(fault) = faults_rx.recv() => Err(fault),
    };
    let remaining: Vec<_> = std::mem::take(&mut *hosts.borrow_mut())
        .into_values()
        .collect();
    for mut h in remaining {
        h.kill().await;
    }
    drop(scratch);
    for t in service_tasks {
        t.abort();
    }
    // Every host is gone: what is still queued will never be delivered.
    net.finish();
    let diagram = net.take_diagram();
    // Nothing records any more: move the operations out rather than copy them.
    let exceptions = history.exceptions_json();
    let ops = history.take_ops();
    let checked_as_it_went = history.take_checked();
    if let (Some(d), Some(source)) = (&dir, history.take_write_error()) {
        return Err(HarnessError::Store {
            path: d.path.join("history.jsonl").display().to_string(),
            source,
        });
    }
    // The analysis, results.json and index.html's figures on this thread
    // while the other pages are drawn on theirs.
    let analysed = store_while(dir.as_ref(), &cfg.workload, &ops, diagram, || {
        if result.is_err() {
            return Ok(None);
        }
        let checked = checked_as_it_went.unwrap_or_else(|| workload.check(&ops));
        let (st, av) = (stats(&ops), availability(&ops, cfg.availability));
        let invocations = ops
            .iter()
            .filter(|o| o.is_client() && o.kind == maelstrom_check::OpType::Invoke)
            .count() as u64;
        // A node that broke the protocol fails the test whatever its history says.
        let valid = Validity::merge_all([checked.valid, st.valid, av.valid, protocol.validity()]);
        let results = ResultsJson {
            valid,
            seed: cfg.seed,
            workload: checked.details,
            stats: st,
            availability: av,
            net: net.stats().to_json(invocations),
            exceptions,
            protocol: protocol.to_json(),
        }
        .to_value();
        let mut index_body = None;
        if let Some(d) = &dir {
            d.write(
                "results.json",
                &serde_json::to_string_pretty(&results).unwrap_or_default(),
            )?;
            // What `maelstrom serve` lists; a convenience like the pages.
            let summary = crate::report::summary(&cfg, &results);
            if let Err(e) = d.write("summary.json", &summary.to_string()) {
                tracing::warn!("could not write summary.json: {e}");
            }
            index_body =
                crate::report::enabled().then(|| crate::report::html::render_body(&results, &ops));
        }
        Ok(Some((valid, results, index_body)))
    })?;
    // Only a run that failed goes without analysis.
    let Some((valid, results, index_body)) = analysed else {
        let e = result
            .err()
            .unwrap_or_else(|| HarnessError::Config("the analysis did not run".into()));
        if let Some(d) = &dir {
            d.write("crash.txt", &format!("{e}\n"))?;
        }
        return Err(e);
    };
    // results.edn and index.html, which lists the folder's files, now all
    // written: conveniences; failing to write them must not fail the test.
    if let (Some(d), Some(body)) = (&dir, index_body) {
        let command = crate::report::command_line(&cfg);
        if let Err(e) = crate::report::write_page(&d.path, &cfg.workload, &command, &results, &body)
        {
            tracing::warn!("could not write results.edn or index.html: {e}");
        }
    }
    let words = crate::explain::verdict_words(&results, &ops, valid);
    if EXIT_AFTER_TEST.load(Ordering::Relaxed) {
        std::mem::forget(ops);
    }
    Ok(Outcome {
        valid,
        results,
        store_dir: dir.map(|d| d.path),
        words: Some(words),
    })
}

/// Set by a process that exits as soon as its one test is over.
static EXIT_AFTER_TEST: AtomicBool = AtomicBool::new(false);

/// Tells the harness that this process exits as soon as its one test is
/// over (a node binary handed a single simulated test), so the test's
/// history is left for the exit to reclaim instead of freed value by value:
/// 2.5 ms of the broadcast benchmark's wall time, its reads' million values.
/// Only memory is left: every file is still written and closed.
pub fn exit_after_test() {
    EXIT_AFTER_TEST.store(true, Ordering::Relaxed);
}

/// results.json's sections: what `maelstrom test` writes and `maelstrom
/// analyze` rewrites, built in one place so both write the same keys.
#[derive(serde::Serialize)]
pub(crate) struct ResultsJson {
    /// The merged verdict.
    pub valid: Validity,
    /// The test's seed.
    pub seed: u64,
    /// The workload checker's details.
    pub workload: Value,
    /// Operation counts.
    pub stats: maelstrom_check::stats::StatsResult,
    /// The availability check.
    pub availability: maelstrom_check::stats::AvailabilityResult,
    /// Network statistics.
    pub net: Value,
    /// Node crashes and other exceptions.
    pub exceptions: Value,
    /// Protocol violations.
    pub protocol: Value,
}

impl ResultsJson {
    /// As a JSON object (keys sorted, as `json!` builds them).
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Writes `messages.html` and `timeline.html` (when the test keeps a store)
/// on threads of their own while `analyse` runs on this one, then points the
/// store's `latest` links at the test. None needs another. messages.html is
/// drawn from `diagram`, which the journal built as it wrote (without one,
/// from messages.jsonl read back); history.jsonl was written as the test ran.
fn store_while<T>(
    dir: Option<&TestDir>,
    workload: &str,
    ops: &[Op],
    diagram: Option<crate::lamport::Diagram>,
    analyse: impl FnOnce() -> T,
) -> T {
    let Some(d) = dir else {
        return analyse();
    };
    std::thread::scope(|scope| {
        let pages = crate::report::enabled().then(|| {
            (
                // The diagram moves to its page's thread, which frees it too:
                // one allocation per message, not freed on this thread.
                scope.spawn(move || match diagram {
                    Some(diagram) => {
                        crate::lamport::write_html_from(&d.path, workload, ops, &diagram)
                    }
                    None => crate::lamport::write_html(&d.path, workload, ops),
                }),
                scope.spawn(|| crate::report::write_timeline(&d.path, workload, ops)),
            )
        });
        let analysed = analyse();
        // Conveniences; failing to draw them must not fail the test.
        if let Some((messages, timeline)) = pages {
            if let Err(e) = join(messages) {
                tracing::warn!("could not write messages.html: {e}");
            }
            if let Err(e) = join(timeline) {
                tracing::warn!("could not write timeline.html: {e}");
            }
        }
        d.link_latest();
        analysed
    })
}

/// A scoped thread's result, its panic passed on.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Setup, main phase (with the nemesis), heal, recovery wait and final phase.
async fn drive(
    cfg: &TestConfig,
    net: &Net,
    history: &History,
    workload: Rc<dyn Workload>,
    ids: &ClientIds,
    node_faults: &Rc<NodeFaults>,
) -> Result<(), HarnessError> {
    init_nodes(cfg, net, ids).await?;
    setup_nodes(cfg, net, ids, workload.as_ref()).await?;

    let env = WorkerEnv {
        net: net.clone(),
        ids: ids.clone(),
        history: history.clone(),
        workload: workload.clone(),
        concurrency: cfg.concurrency,
        timeout: cfg.rpc_timeout,
    };
    let workers: Vec<Worker> = (0..cfg.concurrency)
        .map(|t| Worker::new(&env, t, &cfg.nodes))
        .collect();
    let until = Instant::now() + cfg.time_limit;
    let progress = cfg
        .progress
        .then(|| tokio::task::spawn_local(progress::report(history.clone(), cfg.time_limit)));
    let nemesis = cfg.nemesis_partition.then(|| {
        tokio::task::spawn_local(nemesis::run(
            net.clone(),
            history.clone(),
            cfg.nodes.clone(),
            cfg.nemesis_interval,
            until,
            rng::stream(cfg.seed, "nemesis"),
        ))
    });
    let fault_tasks = faults::spawn_nemeses(node_faults, cfg, until);
    let mut gen = workload.generator();
    let mut gen_rng = rng::stream(cfg.seed, "generator");
    let workers = main_phase(&env, workers, gen.as_mut(), cfg.rate, until, &mut gen_rng).await;
    if let Some(n) = nemesis {
        n.abort();
    }
    for t in fault_tasks {
        t.abort();
    }
    // Crashed nodes restart and paused ones resume before the final phase, as
    // partitions heal.
    node_faults.recover().await?;
    if let Some(p) = progress {
        p.abort();
        progress::finish();
    }
    if let Some(phase) = workload.final_phase(cfg.concurrency) {
        if cfg.nemesis_partition {
            nemesis::heal(net, history);
        }
        if cfg.progress {
            eprintln!("Waiting for recovery...");
        }
        tokio::time::sleep(cfg.recovery_wait).await;
        final_phase(&env, workers, phase).await;
    } else if cfg.nemesis_partition {
        nemesis::heal(net, history);
    }
    Ok(())
}

/// Sends `init` (msg_id 1, from a fresh client) to every node, in parallel.
async fn init_nodes(cfg: &TestConfig, net: &Net, ids: &ClientIds) -> Result<(), HarnessError> {
    let calls: Vec<_> = cfg
        .nodes
        .iter()
        .map(|node| {
            let (net, ids, node, nodes) =
                (net.clone(), ids.clone(), node.clone(), cfg.nodes.clone());
            let timeout = cfg.init_timeout;
            tokio::task::spawn_local(
                async move { init_node(&net, &ids, &node, &nodes, timeout).await },
            )
        })
        .collect();
    for c in calls {
        c.await
            .map_err(|e| HarnessError::Config(format!("init task failed: {e}")))??;
    }
    Ok(())
}

/// Sends `init` to one node from a fresh client and checks the `init_ok`.
pub(crate) async fn init_node(
    net: &Net,
    ids: &ClientIds,
    node: &str,
    nodes: &[String],
    timeout: Duration,
) -> Result<(), HarnessError> {
    let mut client = Client::open(net, ids);
    let body = Body::new("init")
        .with("node_id", node)
        .with("node_ids", json!(nodes));
    let r = client.rpc(node, body, timeout).await;
    client.close();
    let node = node.to_string();
    match r {
        Ok(reply) if reply.kind == "init_ok" => Ok(()),
        Ok(reply) => Err(HarnessError::SetupFailed {
            message: format!(
                "Expected an init_ok message, but node {node} responded with {}",
                serde_json::to_string(&reply.to_map()).unwrap_or_default()
            ),
            node,
        }),
        Err(_) => Err(HarnessError::SetupFailed {
            message: format!(
                "Expected node {node} to respond to an init message, but node did not respond \
                 within {} s.",
                timeout.as_secs_f64()
            ),
            node,
        }),
    }
}

/// Opens one client per node and sends the workload's setup request, if any.
async fn setup_nodes(
    cfg: &TestConfig,
    net: &Net,
    ids: &ClientIds,
    workload: &dyn Workload,
) -> Result<(), HarnessError> {
    for node in &cfg.nodes {
        let mut client = Client::open(net, ids);
        if let Some(body) = workload.setup_request(node, &cfg.nodes) {
            let kind = body.kind.clone();
            let r = client.rpc(node, body, cfg.setup_timeout).await;
            match r {
                Ok(reply) if reply.kind == format!("{kind}_ok") => {}
                other => {
                    let got = match other {
                        Ok(reply) => format!(
                            "responded with {}",
                            serde_json::to_string(&reply.to_map()).unwrap_or_default()
                        ),
                        Err(_) => format!(
                            "did not respond within {} s",
                            cfg.setup_timeout.as_secs_f64()
                        ),
                    };
                    return Err(HarnessError::SetupFailed {
                        message: format!(
                            "Expected node {node} to answer {kind} with {kind}_ok, but it {got}."
                        ),
                        node: node.clone(),
                    });
                }
            }
        }
        client.close();
    }
    Ok(())
}

/// How long a test of `cfg` takes at least, for callers budgeting time.
pub fn minimum_duration(cfg: &TestConfig) -> Duration {
    cfg.time_limit + cfg.recovery_wait
}
