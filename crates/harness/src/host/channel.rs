//! An in-process node reached over `mpsc` channels of envelopes.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use maelstrom_proto::Envelope;
use tokio::task::{JoinHandle, LocalSet};

use super::{
    HostEnv, HostFuture, Inbox, NodeChannels, NodeFactory, NodeHost, NodeLog, Outbox, Stopped,
};
use crate::error::HarnessError;
use crate::protocol::Kind;

/// A node running as a task on the harness's own runtime.
pub struct ChannelHost {
    id: String,
    stopping: Rc<Cell<bool>>,
    paused: Rc<Pause>,
    tasks: Vec<JoinHandle<()>>,
}

impl ChannelHost {
    /// Starts node `id` from `factory` and pumps its channels to the network.
    pub fn start(id: &str, factory: &dyn NodeFactory, env: HostEnv) -> Self {
        let log = NodeLog::new(
            id,
            env.clock.started_at(),
            env.log_dir
                .as_ref()
                .map(|d| d.join(format!("{id}.log")))
                .as_deref(),
            env.log_stderr,
        );
        let dispatch = factory.log_dispatch(&log);
        let paused = Rc::new(Pause::default());
        let stopping = Rc::new(Cell::new(false));
        let outbox = outbox(id, &env, &stopping, dispatch.is_some());
        let inbox = Inbox::new(id, &env.net, dispatch.is_some());
        // The node runs on a LocalSet of its own, driven by one task of ours
        // that stops polling it while the node is paused: every task the node
        // spawned (handlers, timers) lives there, so a pause freezes them all,
        // as SIGSTOP freezes a process. Timers that expire meanwhile fire on
        // resume, and the node's clock shows the time that went by.
        let node_set = LocalSet::new();
        let node = {
            let _inside = node_set.enter();
            let channels = NodeChannels {
                id: id.to_string(),
                inbox,
                outbox,
                seed: crate::rng::node_seed(env.seed, id),
                storage: env.durable_store(id),
                log: log.clone(),
            };
            in_node_log(dispatch.as_ref(), || factory.start(channels))
        };
        log.echo_queued();
        let driver = tokio::task::spawn_local(Frozen {
            inner: node_set,
            pause: paused.clone(),
            dispatch,
            log,
        });
        ChannelHost {
            id: id.to_string(),
            stopping,
            paused,
            // Aborting the driver drops the node's LocalSet and every task on it.
            tasks: vec![node, driver],
        }
    }
}

/// Node `id`'s outbox: the same rules as for a process's stdout (a message
/// that breaks them is the node's fault, recorded and dropped), then the
/// network. The node sends from inside its own LocalSet, with its own log as
/// the default `tracing` dispatcher (`node_logs`): the network's events (its
/// `--log-net-send` lines) go to the harness's, captured here. When the
/// node's last handle on it is dropped, the node has stopped: unless the
/// harness stopped it, that is a crash.
fn outbox(id: &str, env: &HostEnv, stopping: &Rc<Cell<bool>>, node_logs: bool) -> Outbox {
    let harness_log = node_logs.then(|| tracing::dispatcher::get_default(|d| d.clone()));
    let send = {
        let (id, env, stopping) = (id.to_string(), env.clone(), stopping.clone());
        move |msg: Envelope| {
            if stopping.get() {
                return Err(Stopped);
            }
            let relay = msg.src != id
                && maelstrom_proto::is_client_id(&msg.src)
                && env.protocol.is_node(&msg.dest);
            let (msg, (kind, problem)) = if msg.src != id && !relay {
                let found = serde_json::to_string(&msg.src).unwrap_or_default();
                let why = format!("its src is {found}, but node {id} may only send as {id:?}");
                (msg, (Kind::WrongSrc, why))
            } else {
                // A dispatcher switch on every send costs, so only when the
                // network has something to log.
                let sent = match &harness_log {
                    Some(d) if env.net.logs_send() => {
                        tracing::dispatcher::with_default(d, || env.net.send_or_refuse(msg))
                    }
                    _ => env.net.send_or_refuse(msg),
                };
                match sent {
                    Ok(()) => return Ok(()),
                    Err(refused) => {
                        let (e, msg) = *refused;
                        (msg, crate::protocol::refused(e))
                    }
                }
            };
            let line = msg.to_line();
            let len = line.len() as u64;
            env.protocol
                .record(&id, kind, &problem, line.as_bytes(), len);
            Ok(())
        }
    };
    let on_close = {
        let (id, faults, stopping) = (id.to_string(), env.faults.clone(), stopping.clone());
        move || {
            if !stopping.get() {
                let _ = faults.send(HarnessError::NodeCrashed {
                    node: id,
                    status: "(in-process node stopped)".into(),
                    context: String::new(),
                });
            }
        }
    };
    Outbox::new(send, on_close)
}

impl NodeHost for ChannelHost {
    fn id(&self) -> &str {
        &self.id
    }

    fn kill(&mut self) -> HostFuture<'_> {
        Box::pin(async move {
            self.stopping.set(true);
            for t in self.tasks.drain(..) {
                t.abort();
            }
        })
    }

    fn pause(&mut self) {
        self.paused.set(true);
    }

    fn resume(&mut self) {
        self.paused.set(false);
    }
}

/// Whether an in-process node is paused; the driver of its LocalSet parks
/// while it is, and is woken when it resumes.
#[derive(Default)]
struct Pause {
    paused: Cell<bool>,
    /// The driver of the node's LocalSet, parked while the node is paused.
    frozen: RefCell<Option<Waker>>,
}

impl Pause {
    fn set(&self, paused: bool) {
        self.paused.set(paused);
        if !paused {
            if let Some(waker) = self.frozen.borrow_mut().take() {
                waker.wake();
            }
        }
    }
}

/// A node's LocalSet, run only while the node is not paused, with the node's
/// `tracing` dispatcher as the default. It ends when every task of the node
/// has.
struct Frozen {
    inner: LocalSet,
    pause: Rc<Pause>,
    dispatch: Option<tracing::Dispatch>,
    log: NodeLog,
}

impl Future for Frozen {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.pause.paused.get() {
            // Wakes from the node's timers and channels still reach this task
            // while it is paused; they find it paused again and change nothing.
            *self.pause.frozen.borrow_mut() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let this = &mut *self;
        let polled = in_node_log(this.dispatch.as_ref(), || {
            Pin::new(&mut this.inner).poll(cx)
        });
        this.log.echo_queued();
        polled
    }
}

/// Runs `f` with the node's dispatcher, if it has one, as the default: every
/// event the node's code emits meanwhile goes to the node's own log.
fn in_node_log<T>(dispatch: Option<&tracing::Dispatch>, f: impl FnOnce() -> T) -> T {
    match dispatch {
        Some(d) => tracing::dispatcher::with_default(d, f),
        None => f(),
    }
}

impl Drop for ChannelHost {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
