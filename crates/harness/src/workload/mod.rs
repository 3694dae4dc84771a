//! Workloads: for each, a generator, a client (how an operation becomes RPCs and
//! how replies become completions) and the checker wiring.
//!
//! Adding a workload is one module implementing [`Workload`] plus a line in
//! [`by_name`].

mod broadcast;
mod counter;
mod echo;
mod g_set;
mod kafka;
mod lin_kv;
pub mod topology;
mod txn;
mod unique_ids;

// The words a failed check prints, for checks run outside a test.
pub use lin_kv::summary as lin_kv_summary;
pub use txn::summary as txn_summary;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use maelstrom_check::history::Op;
use maelstrom_check::txn::TxnKind;
use maelstrom_check::Validity;
use maelstrom_proto::schema::{check_reply, reply_matches, reply_schema};
use maelstrom_proto::Body;
use rand::rngs::StdRng;
use serde_json::{json, Value};

use crate::client::{Client, RpcFailure};
use crate::config::TestConfig;
use crate::history::{Completion, Invocation};

/// A boxed, non-`Send` future: the harness runs on one thread.
pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// What a generator knows about the worker asking for an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenCtx {
    /// The worker thread, `0..concurrency`.
    pub thread: usize,
    /// The worker's current process number.
    pub process: i64,
    /// Time since the main phase started.
    pub elapsed: Duration,
}

/// Produces a workload's operations.
pub trait Generator {
    /// The next main-phase operation for the worker described by `ctx`, or
    /// `None` when the workload has no more.
    fn next(&mut self, rng: &mut StdRng, ctx: &GenCtx) -> Option<Invocation>;
}

/// One worker's final phase, decided op by op (kafka polls until it has caught
/// up, so a fixed list is not enough).
pub trait FinalGen {
    /// The pause before the next op and the op, or `None` when this worker is done.
    fn next(&mut self) -> Option<(Duration, Invocation)>;
    /// Sees how this worker's last op ended.
    fn observe(&mut self, _op: &Invocation, _completion: &Completion) {}
}

/// A workload's final phase: one [`FinalGen`] per worker thread, and a limit
/// after which no new op starts (ops in flight complete).
pub struct FinalPhase {
    /// Indexed by worker thread.
    pub workers: Vec<Box<dyn FinalGen>>,
    /// How long the phase may start new ops.
    pub time_limit: Option<Duration>,
}

/// The same fixed ops for every worker: most workloads' final reads.
struct Script(std::collections::VecDeque<Invocation>);

impl FinalGen for Script {
    fn next(&mut self) -> Option<(Duration, Invocation)> {
        self.0.pop_front().map(|op| (Duration::ZERO, op))
    }
}

/// Where and how a client operation runs.
pub struct InvokeCtx<'a> {
    /// The node this worker talks to.
    pub node: &'a str,
    /// The RPC timeout.
    pub timeout: Duration,
}

/// A checker's result: a verdict and upstream-shaped details.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutput {
    /// The verdict.
    pub valid: Validity,
    /// The `workload` section of results.json (includes `valid`).
    pub details: Value,
}

impl CheckOutput {
    /// Builds a result from any serialisable checker result with a `valid` field.
    pub fn from_result<T: serde::Serialize>(valid: Validity, result: &T) -> Self {
        CheckOutput {
            valid,
            details: serde_json::to_value(result)
                .unwrap_or_else(|e| json!({"valid": "unknown", "error": e.to_string()})),
        }
    }

    /// Adds `summary` (a few lines for the terminal) to the details of a
    /// result that is not valid; a valid one needs no words.
    pub fn with_summary(mut self, summary: impl FnOnce() -> String) -> Self {
        if self.valid != Validity::Valid {
            if let Value::Object(map) = &mut self.details {
                map.insert("summary".into(), Value::String(summary()));
            }
        }
        self
    }
}

/// One workload.
pub trait Workload {
    /// The workload's name, e.g. `"echo"`.
    fn name(&self) -> &'static str;
    /// Whether a worker keeps its client after an indeterminate op (upstream:
    /// lin-kv, txn-*, unique-ids) or opens a new one (the rest).
    fn reusable_clients(&self) -> bool;
    /// The main-phase generator.
    fn generator(&self) -> Box<dyn Generator>;
    /// Each worker's final-phase operations (empty: no final phase).
    fn final_ops(&self) -> Vec<Invocation> {
        Vec::new()
    }
    /// The final phase for `concurrency` workers, built once the main phase
    /// is over; `None` when the workload has none. By default every worker
    /// runs [`Workload::final_ops`].
    fn final_phase(&self, concurrency: usize) -> Option<FinalPhase> {
        let ops = self.final_ops();
        if ops.is_empty() {
            return None;
        }
        let workers = (0..concurrency)
            .map(|_| Box::new(Script(ops.iter().cloned().collect())) as Box<dyn FinalGen>)
            .collect();
        Some(FinalPhase {
            workers,
            time_limit: None,
        })
    }
    /// A request to send to each node during setup (broadcast's `topology`).
    fn setup_request(&self, _node: &str, _nodes: &[String]) -> Option<Body> {
        None
    }
    /// Performs one operation through `client`.
    fn invoke<'a>(
        &'a self,
        client: &'a mut Client,
        ctx: InvokeCtx<'a>,
        op: &'a Invocation,
    ) -> LocalFuture<'a, Completion>;
    /// Checks the history.
    fn check(&self, history: &[Op]) -> CheckOutput;
    /// A checker that reads the history as it is recorded (on the thread
    /// that writes history.jsonl), so its verdict is ready when the test
    /// ends; it must give what [`Workload::check`] gives. `None`, the
    /// default: `check` reads the whole history afterwards.
    fn checker_as_it_goes(&self) -> Option<Box<dyn CheckAsItGoes>> {
        None
    }
}

/// A workload's checker fed the history one operation at a time, in order.
pub trait CheckAsItGoes: Send {
    /// The next operation, whose value is `value` (the op's own, or one its
    /// recorder holds elsewhere).
    fn feed(&mut self, op: &Op, value: &Value);
    /// The verdict over a history of `ops` operations, all fed.
    fn finish(self: Box<Self>, ops: u64) -> CheckOutput;
}

/// The set-full checker ([`maelstrom_check::set_full`]) as a history is
/// recorded: broadcast's and g-set's.
pub struct SetFullAsItGoes(pub maelstrom_check::set_full::SetFullChecker);

impl CheckAsItGoes for SetFullAsItGoes {
    fn feed(&mut self, op: &Op, value: &Value) {
        self.0.feed(op, value);
    }

    fn finish(self: Box<Self>, ops: u64) -> CheckOutput {
        let r = self.0.finish(ops);
        CheckOutput::from_result(r.valid, &r)
    }
}

/// Every workload [`by_name`] knows.
pub const WORKLOAD_NAMES: [&str; 10] = [
    "broadcast",
    "echo",
    "g-counter",
    "g-set",
    "kafka",
    "lin-kv",
    "pn-counter",
    "txn-list-append",
    "txn-rw-register",
    "unique-ids",
];

/// The workload called `name`, configured from `cfg`.
pub fn by_name(name: &str, cfg: &TestConfig) -> Result<Box<dyn Workload>, String> {
    Ok(match name {
        "echo" => Box::new(echo::Echo),
        "unique-ids" => Box::new(unique_ids::UniqueIds),
        "broadcast" => Box::new(broadcast::Broadcast::new(cfg.topology)),
        "g-set" => Box::new(g_set::GSet),
        "g-counter" => Box::new(counter::Counter::grow_only()),
        "pn-counter" => Box::new(counter::Counter::pn()),
        "lin-kv" => Box::new(lin_kv::LinKv::new(cfg)?),
        "kafka" => Box::new(kafka::Kafka::new(cfg)),
        "txn-list-append" => Box::new(txn::Txn::new(TxnKind::ListAppend, cfg)?),
        "txn-rw-register" => Box::new(txn::Txn::new(TxnKind::RwRegister, cfg)?),
        other => {
            return Err(format!(
                "unknown workload {other:?}: expected one of {}",
                WORKLOAD_NAMES.join(", ")
            ))
        }
    })
}

/// How replies and failures map to completions: upstream's `with-errors`
/// (definite errors fail, others are indeterminate unless the op is idempotent),
/// or, for workloads without it, every error is an indeterminate exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorMapping {
    /// Upstream's `with-errors`; `idempotent` ops fail rather than going info.
    WithErrors {
        /// Whether this op is in the workload's idempotent set.
        idempotent: bool,
    },
    /// Errors and timeouts raise; the op becomes info with an exception.
    Raise,
}

/// Sends one request and checks the reply against the workload's closed schema.
/// `Ok` carries a reply that passed; `Err` the completion to record instead.
pub async fn call(
    client: &mut Client,
    ctx: &InvokeCtx<'_>,
    workload: &str,
    request: Body,
    mapping: ErrorMapping,
) -> Result<Body, Completion> {
    let kind = request.kind.clone();
    let shown_request = request.clone();
    let reply = match client.rpc(ctx.node, request, ctx.timeout).await {
        Ok(reply) => reply,
        Err(RpcFailure::Timeout) => {
            return Err(match mapping {
                ErrorMapping::WithErrors { idempotent: true } => {
                    Completion::Fail(json!("net-timeout"))
                }
                ErrorMapping::WithErrors { idempotent: false } => {
                    Completion::Info(json!("net-timeout"), None)
                }
                ErrorMapping::Raise => Completion::Info(
                    json!("indeterminate: timed out waiting for a reply"),
                    Some((
                        "timeout".into(),
                        format!("Client timed out waiting for {} to answer {kind}", ctx.node),
                    )),
                ),
            })
        }
        Err(RpcFailure::Unreachable(e)) => {
            return Err(Completion::Info(
                json!(e.clone()),
                Some(("unreachable".into(), e)),
            ))
        }
    };
    if let Some(err) = reply.as_error() {
        let error = json!([err.code.name(), err.text]);
        return Err(match mapping {
            ErrorMapping::WithErrors { idempotent } if idempotent || err.code.is_definite() => {
                Completion::Fail(error)
            }
            ErrorMapping::WithErrors { .. } => Completion::Info(error, None),
            ErrorMapping::Raise => Completion::Info(
                json!(format!("indeterminate: {err}")),
                Some((
                    "rpc-error".into(),
                    format!("{} answered {kind} with an error: {err}", ctx.node),
                )),
            ),
        });
    }
    // Most replies are well formed: check those without copying them.
    let schema = reply_schema(workload, &kind).filter(|s| !reply_matches(s, &reply));
    if let Some(schema) = schema {
        let map = reply.to_map();
        if let Err(problems) = check_reply(&schema, &map) {
            let message = format!(
                "Malformed RPC response. Maelstrom sent node {} the following request:\n\n    {}\n\n\
                 And expected a response of the form:\n\n    {}\n\nbut instead received\n\n    {}\n\n\
                 This is malformed because:\n\n    {}",
                ctx.node,
                serde_json::to_string(&shown_request.to_map()).unwrap_or_default(),
                schema.describe(),
                serde_json::to_string(&map).unwrap_or_default(),
                problems.join("\n    "),
            );
            return Err(Completion::Info(
                json!(format!(
                    "indeterminate: Malformed RPC response: {}",
                    problems.join("; ")
                )),
                Some(("malformed-rpc-response".into(), message)),
            ));
        }
    }
    Ok(reply)
}

/// The reply as one JSON object, reserved keys included (upstream records the
/// whole reply body as an op's value for echo).
pub fn body_value(body: &Body) -> Value {
    Value::Object(body.to_map())
}

/// Generators that pick uniformly between two kinds of op.
pub fn coin(rng: &mut StdRng) -> bool {
    use rand::Rng;
    rng.random_bool(0.5)
}
