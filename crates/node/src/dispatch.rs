//! The node runtime: waits for `init`, then routes every inbound message to an RPC
//! waiting for it or to a handler task.

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use anyhow::Context as _;
use maelstrom_proto::workloads::init;
use maelstrom_proto::{Body, Envelope, RpcError};

use crate::context::ContextParts;
use crate::host::{Inbound, Inbox, Outside};
use crate::node::{Node, Request};
use crate::{Context, Storage};

/// Messages that arrive before `init` (a peer may start gossiping first) are kept
/// and handled after it, up to this many.
const MAX_EARLY_MESSAGES: usize = 10_000;

/// The library's own key in durable storage: how many times the node started.
const BOOT_KEY: &str = "maelstrom-node/boot";

/// After the inbox closes, handlers in flight get this long to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves node `N`: its input from `inbox`, everything else from `host`.
pub(crate) async fn serve<N: Node>(mut inbox: Inbox, host: Outside) -> anyhow::Result<()> {
    let mut early = VecDeque::new();
    let ctx = loop {
        let Some(item) = inbox.recv().await else {
            return Ok(());
        };
        let env = match item {
            Inbound::Message(env) => env,
            Inbound::Malformed { line, error } => {
                log_malformed_line(&line, &error);
                continue;
            }
        };
        if env.body.kind != "init" {
            if early.len() < MAX_EARLY_MESSAGES {
                early.push_back(env);
            } else {
                tracing::warn!(
                    "maelstrom-node: dropping message before init: {}",
                    env.to_line()
                );
            }
            continue;
        }
        match env.body.to_payload::<init::Request>() {
            Ok(init::Request::Init { node_id, node_ids }) => {
                crate::logging::learned_node_id(&node_id);
                let storage = Storage::open(&host.storage, &node_id)
                    .with_context(|| format!("opening durable storage of {node_id}"))?;
                let boot = storage.get::<u64>(BOOT_KEY).unwrap_or(0) + 1;
                storage
                    .put(BOOT_KEY, &boot)
                    .with_context(|| format!("saving the boot count of {node_id}"))?;
                let ctx = Context::new(ContextParts {
                    node_id,
                    node_ids,
                    outbox: host.outbox.clone(),
                    seed: host.seed,
                    storage,
                    boot,
                });
                ctx.reply_to(&env.src, env.body.msg_id, Body::new("init_ok"));
                break ctx;
            }
            Err(e) => {
                let err = RpcError::malformed_request(format!("bad init message: {e}"));
                tracing::warn!("maelstrom-node: {err}: {}", env.to_line());
                Context::reply_error_raw(&host, &env, &err);
            }
        }
    };

    // However `serve` ends, by returning or by being dropped (the simulation
    // crashing this node aborts the task running it), every task the node
    // spawned stops with it: a crashed node's timers must not outlive it.
    let _stop_tasks = StopTasksOnDrop(ctx.clone());
    let node = Rc::new(N::from_init(&ctx).context("building the node after init")?);
    node.start(&ctx);
    for env in early {
        dispatch(&node, &ctx, env);
    }
    while let Some(item) = inbox.recv().await {
        match item {
            Inbound::Message(env) => dispatch(&node, &ctx, env),
            Inbound::Malformed { line, error } => log_malformed_line(&line, &error),
        }
    }
    // Input is over: let the handlers in flight finish their replies, then stop
    // timers and everything else. In simulation the harness closes the input
    // only when it is done with the node, which stops at once.
    if inbox.drains_on_close() {
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, ctx.tasks().handlers_idle()).await;
    }
    ctx.shutdown();
    Ok(())
}

/// Stops every task of a node when dropped.
struct StopTasksOnDrop(Context);

impl Drop for StopTasksOnDrop {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}

fn log_malformed_line(line: &str, error: &str) {
    tracing::warn!("maelstrom-node: ignoring malformed input line ({error}): {line}");
}

/// Routes one message.
fn dispatch<N: Node>(node: &Rc<N>, ctx: &Context, env: Envelope) {
    if env.body.in_reply_to.is_some() {
        // A reply: to an RPC in flight, or late (its RPC timed out). Late replies
        // are expected and dropped without noise.
        ctx.complete_rpc(env);
        return;
    }
    if env.body.kind == "init" {
        // A harness that re-sends init (e.g. after a lost reply) gets the same answer.
        ctx.reply_to(&env.src, env.body.msg_id, Body::new("init_ok"));
        return;
    }
    let src = env.src.clone();
    let msg_id = env.body.msg_id;
    let kind = env.body.kind.clone();
    match env.body.parse_payload::<N::Msg>() {
        Ok(msg) => {
            let req = Request::new(env, msg);
            let replied = req.replied.clone();
            let fut = node.clone().handle(ctx.clone(), req);
            let ctx2 = ctx.clone();
            ctx.tasks().run_handler(async move {
                if let Err(e) = fut.await {
                    answer_error(&ctx2, &src, msg_id, &kind, replied.get(), &e);
                }
            });
        }
        Err(e) if e.to_string().starts_with("unknown variant") => {
            let fut = node.clone().handle_other(ctx.clone(), env);
            let ctx2 = ctx.clone();
            ctx.tasks().run_handler(async move {
                if let Err(e) = fut.await {
                    answer_error(&ctx2, &src, msg_id, &kind, false, &e);
                }
            });
        }
        Err(e) => {
            let err = RpcError::malformed_request(format!("cannot parse {kind} message: {e}"));
            tracing::warn!("maelstrom-node: {err}: {}", env.to_line());
            ctx.reply_to(&src, msg_id, err.to_body(None));
        }
    }
}

/// Turns a handler's error into an error reply (if the message expects one and has
/// none yet) and logs it.
fn answer_error(
    ctx: &Context,
    src: &str,
    msg_id: Option<u64>,
    kind: &str,
    replied: bool,
    error: &anyhow::Error,
) {
    let rpc_error = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<RpcError>())
        .cloned()
        .unwrap_or_else(|| RpcError::crash(format!("{error:#}")));
    // An RpcError is a deliberate answer (key does not exist, ...); anything
    // else is a crash of the handler, worth a warning.
    if rpc_error.code == maelstrom_proto::ErrorCode::Crash {
        tracing::warn!("maelstrom-node: handler for {kind} from {src} failed: {error:#}");
    } else {
        tracing::info!("maelstrom-node: handler for {kind} from {src} failed: {error:#}");
    }
    if !replied {
        ctx.reply_to(src, msg_id, rpc_error.to_body(None));
    }
}

impl Context {
    /// Answers a message with an error before the context exists (bad `init`).
    fn reply_error_raw(host: &Outside, env: &Envelope, err: &RpcError) {
        if env.body.msg_id.is_none() {
            return;
        }
        let body = err.to_body(env.body.msg_id);
        let src = env.dest.clone();
        host.outbox.send(Envelope::new(src, env.src.clone(), body));
    }
}
