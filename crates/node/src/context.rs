//! The context handed to every handler: identity, messaging, RPC, timers, rng, clock.

use std::cell::{Cell, RefCell, RefMut};
use std::collections::BTreeMap;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_proto::{Body, Envelope, RpcError};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::host::Outbox;
use crate::kv::{KvClient, TsoClient};
use crate::node::Request;
use crate::tasks::Tasks;
use crate::Storage;

/// Timeout of [`Context::rpc`] when none is given: upstream's default, 5 s.
pub const DEFAULT_RPC_TIMEOUT: Duration = Duration::from_secs(5);

/// A node's handle on the world. Cheap to clone; every clone is the same node.
#[derive(Clone)]
pub struct Context {
    inner: Rc<Inner>,
}

struct Inner {
    node_id: String,
    node_ids: Vec<String>,
    next_msg_id: Cell<u64>,
    pending: RefCell<BTreeMap<u64, oneshot::Sender<Envelope>>>,
    outbox: Outbox,
    rng: RefCell<StdRng>,
    start: Instant,
    storage: Storage,
    tasks: Tasks,
}

/// What [`Context::new`] needs, gathered by the runtime after `init`.
pub(crate) struct ContextParts {
    pub node_id: String,
    pub node_ids: Vec<String>,
    pub outbox: Outbox,
    pub seed: u64,
    pub storage: Storage,
    /// How many times this node has started on its storage (1 the first time).
    pub boot: u64,
}

impl Context {
    pub(crate) fn new(parts: ContextParts) -> Self {
        let seed = rng_seed(parts.seed, &parts.node_id, parts.boot);
        Context {
            inner: Rc::new(Inner {
                node_id: parts.node_id,
                node_ids: parts.node_ids,
                // Each life of a node numbers its messages from its own range, so
                // a late reply to a request sent before a crash can never be taken
                // for the reply to a new request that reused its msg_id.
                next_msg_id: Cell::new(((parts.boot - 1) << 32) + 1),
                pending: RefCell::default(),
                outbox: parts.outbox,
                rng: RefCell::new(StdRng::seed_from_u64(seed)),
                start: Instant::now(),
                storage: parts.storage,
                tasks: Tasks::default(),
            }),
        }
    }

    /// This node's id, e.g. `"n1"`.
    pub fn node_id(&self) -> &str {
        &self.inner.node_id
    }

    /// Every node id of the test, this one included, in the harness's order.
    pub fn node_ids(&self) -> &[String] {
        &self.inner.node_ids
    }

    /// Every other node's id.
    pub fn peers(&self) -> impl Iterator<Item = &str> {
        self.inner
            .node_ids
            .iter()
            .map(String::as_str)
            .filter(move |id| *id != self.inner.node_id)
    }

    /// Time since this node started, from the host's clock (virtual in simulation).
    pub fn now(&self) -> Duration {
        Instant::now() - self.inner.start
    }

    /// The node's seeded random number generator. Don't hold it across an `.await`.
    ///
    /// Its seed is the host's (in simulation, derived from the test's `--seed`; as
    /// a process, `MAELSTROM_SEED`, which `maelstrom test` sets from `--seed`, or a
    /// fresh random seed if the variable is unset) mixed with the node id and the
    /// node's boot count: each life of a node after a crash draws a new stream,
    /// and the same test seed gives the same draws.
    pub fn rng(&self) -> RefMut<'_, StdRng> {
        self.inner.rng.borrow_mut()
    }

    /// The node's durable storage.
    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    /// Writes a line to the node's log at level info, stamped with the node id
    /// and the test's clock: a shorthand for `tracing::info!("{line}")`, which
    /// (like every `tracing` macro) handlers may call directly. See
    /// [`crate::logging`].
    pub fn log(&self, line: impl AsRef<str>) {
        tracing::info!("{}", line.as_ref());
    }

    /// Sends a message that expects no reply. `payload` must serialise to a JSON
    /// object with a `type` key.
    pub fn send(&self, dest: &str, payload: &impl Serialize) -> anyhow::Result<()> {
        let body = Body::from_payload(payload)?;
        self.send_body(dest, body);
        Ok(())
    }

    /// Sends a raw body as is.
    pub fn send_body(&self, dest: &str, body: Body) {
        let env = Envelope::new(self.inner.node_id.clone(), dest, body);
        self.inner.outbox.send(env);
    }

    /// Answers a request. Requests without a `msg_id` expect no reply, and get none.
    pub fn reply<T>(&self, req: &Request<T>, payload: &impl Serialize) -> anyhow::Result<()> {
        let body = Body::from_payload(payload)?;
        self.reply_body(req, body);
        Ok(())
    }

    /// Answers a request with a raw body.
    pub fn reply_body<T>(&self, req: &Request<T>, body: Body) {
        if req.replied.replace(true) {
            tracing::warn!(
                "maelstrom-node: second reply to {} msg_id {:?} sent anyway",
                req.src,
                req.msg_id
            );
        }
        self.reply_to(&req.src, req.msg_id, body);
    }

    /// Sends `body` as the reply to message `msg_id` from `dest`.
    pub(crate) fn reply_to(&self, dest: &str, msg_id: Option<u64>, mut body: Body) {
        if msg_id.is_none() {
            return;
        }
        body.in_reply_to = msg_id;
        body.msg_id = Some(self.next_msg_id());
        self.send_body(dest, body);
    }

    /// Sends a request and waits for its reply, for at most
    /// [`DEFAULT_RPC_TIMEOUT`]. See [`Context::rpc_with_timeout`].
    pub async fn rpc(&self, dest: &str, payload: &impl Serialize) -> Result<Envelope, RpcError> {
        self.rpc_with_timeout(dest, payload, DEFAULT_RPC_TIMEOUT)
            .await
    }

    /// Sends a request and waits for the message whose `in_reply_to` is its
    /// `msg_id`. An `error` reply becomes `Err` with its code; no reply within
    /// `timeout` is `Err` with code 0 (timeout), and a reply arriving later is
    /// dropped.
    pub async fn rpc_with_timeout(
        &self,
        dest: &str,
        payload: &impl Serialize,
        timeout: Duration,
    ) -> Result<Envelope, RpcError> {
        let body = Body::from_payload(payload)
            .map_err(|e| RpcError::crash(format!("cannot serialise request: {e}")))?;
        self.rpc_body(dest, body, timeout).await
    }

    /// [`Context::rpc_with_timeout`] for a raw body.
    pub async fn rpc_body(
        &self,
        dest: &str,
        mut body: Body,
        timeout: Duration,
    ) -> Result<Envelope, RpcError> {
        let msg_id = self.next_msg_id();
        body.msg_id = Some(msg_id);
        let (tx, rx) = oneshot::channel();
        self.inner.pending.borrow_mut().insert(msg_id, tx);
        // Unregisters the waiter however this future ends (reply, timeout, or the
        // caller dropping it), so late replies find nobody and are dropped.
        let _pending = PendingGuard { ctx: self, msg_id };
        let kind = body.kind.clone();
        self.send_body(dest, body);
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(reply)) => match reply.body.as_error() {
                Some(err) => Err(err),
                None => Ok(reply),
            },
            Ok(Err(_)) => Err(RpcError::crash("node is shutting down")),
            Err(_) => Err(RpcError::timeout(format!(
                "no reply from {dest} to {kind} (msg_id {msg_id}) within {timeout:?}"
            ))),
        }
    }

    /// An RPC whose reply is parsed into `R` (a type tagged by `type`, or a struct
    /// of the fields wanted).
    pub async fn rpc_typed<R: DeserializeOwned>(
        &self,
        dest: &str,
        payload: &impl Serialize,
        timeout: Duration,
    ) -> Result<R, RpcError> {
        let reply = self.rpc_with_timeout(dest, payload, timeout).await?;
        reply.body.to_payload().map_err(|e| {
            RpcError::crash(format!(
                "unexpected reply from {dest}: {e}: {}",
                reply.to_line()
            ))
        })
    }

    /// Hands a reply to the RPC waiting for it; false if none is (a late reply).
    pub(crate) fn complete_rpc(&self, env: Envelope) -> bool {
        let Some(id) = env.body.in_reply_to else {
            return false;
        };
        let waiter = self.inner.pending.borrow_mut().remove(&id);
        match waiter {
            Some(tx) => tx.send(env).is_ok(),
            None => false,
        }
    }

    fn next_msg_id(&self) -> u64 {
        let id = self.inner.next_msg_id.get();
        self.inner.next_msg_id.set(id + 1);
        id
    }

    /// Sleeps on the host's clock.
    pub async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    /// Runs a task alongside the handlers, stopped with the node.
    pub fn spawn(&self, fut: impl Future<Output = ()> + 'static) {
        self.inner.tasks.spawn(fut);
    }

    /// Runs `tick` every `period`, first after one period, until the node stops.
    /// A tick that fails is logged and the next one runs as usual. Ticks do not
    /// overlap: the next waits for the previous one to finish.
    pub fn every<F, Fut>(&self, period: Duration, mut tick: F)
    where
        F: FnMut() -> Fut + 'static,
        Fut: Future<Output = anyhow::Result<()>> + 'static,
    {
        self.spawn(async move {
            let mut interval = tokio::time::interval_at(Instant::now() + period, period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if let Err(e) = tick().await {
                    tracing::warn!("periodic task failed: {e:#}");
                }
            }
        });
    }

    /// A client of the linearizable KV service `lin-kv`.
    pub fn lin_kv(&self) -> KvClient {
        KvClient::new(self.clone(), maelstrom_proto::services::LIN_KV)
    }

    /// A client of the sequentially consistent KV service `seq-kv`.
    pub fn seq_kv(&self) -> KvClient {
        KvClient::new(self.clone(), maelstrom_proto::services::SEQ_KV)
    }

    /// A client of the last-write-wins KV service `lww-kv`.
    pub fn lww_kv(&self) -> KvClient {
        KvClient::new(self.clone(), maelstrom_proto::services::LWW_KV)
    }

    /// A client of the timestamp oracle `lin-tso`.
    pub fn lin_tso(&self) -> TsoClient {
        TsoClient::new(self.clone())
    }

    pub(crate) fn tasks(&self) -> &Tasks {
        &self.inner.tasks
    }

    /// Stops every task of this node (handlers, timers, spawned tasks).
    pub fn shutdown(&self) {
        self.inner.tasks.abort_all();
        self.inner.pending.borrow_mut().clear();
    }
}

struct PendingGuard<'a> {
    ctx: &'a Context,
    msg_id: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.ctx.inner.pending.borrow_mut().remove(&self.msg_id);
    }
}

/// The seed of a node's rng: the host's seed mixed with the node id, so nodes
/// handed one seed still make different choices, and with the boot count, so a
/// restarted node does not replay the draws of its previous life (as a process
/// seeded from outside would, were it not for this).
pub(crate) fn rng_seed(host_seed: u64, node_id: &str, boot: u64) -> u64 {
    let mut bytes = node_id.as_bytes().to_vec();
    bytes.extend_from_slice(&boot.to_le_bytes());
    host_seed ^ fnv1a(&bytes)
}

/// FNV-1a: a stable hash (unlike std's, which is randomised per process).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
