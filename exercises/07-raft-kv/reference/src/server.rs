//! The reference lin-kv node: the Raft core of this crate, wired to the node
//! library, replicating a key-value [`Store`]. The binary runs [`RaftKv`].
//!
//! - A timer ticks the core every 10 ms; peer messages (`type: "raft"`) are stepped
//!   into it. After each call, what the core produced is flushed: its messages are
//!   sent, its committed entries applied to the store.
//! - A client's `read`, `write` or `cas` becomes a log entry on the leader (reads
//!   too: a read served from the leader's memory could be stale if it was deposed
//!   without knowing). The request is answered when its entry is applied.
//! - Every request gets a [`RequestId`] from the node that took it, unique over the
//!   whole run (it includes the node's boot counter), which the store uses to
//!   apply each request at most once (see [`crate::kv`]).
//! - A follower forwards requests to the leader it knows of (once; a forwarded
//!   request is not forwarded again) and answers 11 (temporarily unavailable) when
//!   it knows of none: the request certainly never entered the log. The leader's
//!   answer names the request by its id, not by `in_reply_to`: message ids start
//!   again at 1 when a node restarts, so a late answer to a request of its previous
//!   start would otherwise be taken for the answer to a new one.
//! - A request whose entry is replaced by another leader's gets 11 too (its index
//!   was committed with something else, so it never will be); one that is not
//!   applied in time gets 0 (timeout), which is indefinite: it may still commit.
//! - Every [`SNAPSHOT_EVERY`] applied entries the store is handed to the core as
//!   a snapshot, so the log (and what is persisted) stays small over a long run.
//!   A snapshot the core installs replaces the store; requests waiting on entries
//!   it covers get 0, since whether their entry made it is unknown here.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use crate::kv::{Command, Op, Outcome, RequestId, Store};
use crate::raft::{Message, Raft};
use crate::{NodeId, NotLeader, Persister, Proposed, RaftCore, Setup, Timing};
use maelstrom_node::{Context, Node, Request, RpcError, Storage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;

/// How often the core's clock advances.
const TICK: Duration = Duration::from_millis(10);
/// How long a client request waits for its entry to be applied. Upstream's client
/// gives up after 1 s; past that nobody listens, so free the slot.
const APPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a follower waits for the leader's answer to a forwarded request.
const FORWARD_TIMEOUT: Duration = Duration::from_millis(1500);
/// How long a request waits for some leader to be known (during an election)
/// before it is refused with 11: a bit more than one election timeout.
const LEADER_WAIT: Duration = Duration::from_millis(500);
/// How many applied entries between two snapshots of the store.
pub const SNAPSHOT_EVERY: u64 = 100;
/// The key of the core's state in the node's durable storage.
const STORAGE_KEY: &str = "raft";
/// The key of the boot counter (see [`RequestId::boot`]) in durable storage.
const BOOT_KEY: &str = "boot";

/// What the node handles: client requests and peer messages.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    Read {
        key: Value,
    },
    Write {
        key: Value,
        value: Value,
    },
    Cas {
        key: Value,
        from: Value,
        to: Value,
    },
    /// A client request another node took, for the leader to put in the log.
    Forward {
        command: Command,
    },
    /// The leader's answer to a `Forward`.
    Forwarded {
        id: RequestId,
        outcome: Outcome,
    },
    /// A message between Raft cores.
    Raft {
        rpc: Message,
    },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out<'a> {
    ReadOk { value: &'a Value },
    WriteOk,
    CasOk,
    Forward { command: &'a Command },
    Forwarded { id: RequestId, outcome: &'a Outcome },
    Raft { rpc: &'a Message },
}

/// Keeps the core's durable state in the node library's storage, which survives a
/// restart of the node.
struct StoragePersister {
    storage: Storage,
}

impl Persister for StoragePersister {
    fn save(&mut self, state: Value) {
        if let Err(e) = self.storage.put(STORAGE_KEY, &state) {
            // Raft must not send a vote or an acknowledgement it could forget:
            // without durable storage the only safe move is to stop.
            eprintln!("raft-kv: cannot save durable state: {e:#}");
            std::process::exit(1);
        }
    }

    fn load(&self) -> Option<Value> {
        self.storage.get(STORAGE_KEY)
    }

    fn update(&mut self, edit: &mut dyn FnMut(&mut Value)) {
        if let Err(e) = self.storage.update(STORAGE_KEY, edit) {
            eprintln!("raft-kv: cannot save durable state: {e:#}");
            std::process::exit(1);
        }
    }
}

/// A client request waiting for its entry to be applied.
struct Pending {
    term: u64,
    done: oneshot::Sender<Result<Value, RpcError>>,
}

struct Server {
    core: Raft,
    store: Store,
    /// The last log index applied to `store`.
    applied: u64,
    /// The index of the last snapshot handed to the core.
    snapshot_at: u64,
    /// By log index.
    pending: BTreeMap<u64, Pending>,
    /// The number of the next client request this node takes.
    next_seq: u64,
    /// The numbers of the client requests this node has taken and not yet
    /// answered; the smallest one is every command's `done_below`.
    unfinished: BTreeSet<u64>,
    /// Requests forwarded to the leader, by number, waiting for its answer.
    forwarded: BTreeMap<u64, oneshot::Sender<Outcome>>,
}

/// The lin-kv node.
pub struct RaftKv {
    ids: Vec<String>,
    /// Our index in `ids`.
    me: NodeId,
    /// Which start of this node this is (see [`RequestId::boot`]).
    boot: u64,
    server: RefCell<Server>,
}

/// A client request this node has taken: finished when dropped, however its
/// handler ends.
struct Taken<'a> {
    node: &'a RaftKv,
    seq: u64,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        let mut s = self.node.server.borrow_mut();
        s.unfinished.remove(&self.seq);
        s.forwarded.remove(&self.seq);
    }
}

impl RaftKv {
    fn index_of(&self, id: &str) -> Option<NodeId> {
        self.ids.iter().position(|i| i == id)
    }

    /// Sends what the core produced and applies what it committed. Called after
    /// every call into the core.
    fn flush(&self, ctx: &Context) -> anyhow::Result<()> {
        let (outbox, snapshot, applied) = {
            let mut s = self.server.borrow_mut();
            // The snapshot first: the entries that follow come after it.
            let snapshot = s.core.take_snapshot();
            (s.core.take_outbox(), snapshot, s.core.take_applied())
        };
        for out in outbox {
            ctx.send(&self.ids[out.to], &Out::Raft { rpc: &out.msg })?;
        }
        let mut s = self.server.borrow_mut();
        if let Some(snapshot) = snapshot {
            s.store = serde_json::from_value(snapshot.data)
                .map_err(|e| anyhow::anyhow!("a snapshot that is not a store: {e}"))?;
            s.applied = snapshot.index;
            s.snapshot_at = snapshot.index;
            // Dropping their senders answers them with an (indefinite) timeout.
            let later = s.pending.split_off(&(snapshot.index + 1));
            s.pending = later;
        }
        for entry in applied {
            s.applied = entry.index;
            let Some(command) = entry.command else {
                continue; // a leader's no-op
            };
            let result = match serde_json::from_value::<Command>(command) {
                Ok(cmd) => s.store.apply(&cmd),
                Err(e) => Err(RpcError::crash(format!("bad command in the log: {e}"))),
            };
            if let Some(p) = s.pending.remove(&entry.index) {
                let outcome = if p.term == entry.term {
                    result
                } else {
                    Err(RpcError::temporarily_unavailable(
                        "another leader's entry took this request's place in the log",
                    ))
                };
                // The requester may have timed out and gone: nothing to do then.
                let _ = p.done.send(outcome);
            }
        }
        if s.applied >= s.snapshot_at + SNAPSHOT_EVERY {
            let (index, data) = (s.applied, serde_json::to_value(&s.store)?);
            s.snapshot_at = index;
            s.core.compact(index, data);
        }
        Ok(())
    }

    /// Takes a client's operation: numbers it and makes it a command.
    fn take(&self, op: Op) -> (Command, Taken<'_>) {
        let mut s = self.server.borrow_mut();
        let seq = s.next_seq;
        s.next_seq += 1;
        s.unfinished.insert(seq);
        // Everything below the oldest unfinished request is finished, this one
        // included in the set.
        let done_below = s.unfinished.first().copied().unwrap_or(seq);
        let id = RequestId {
            node: self.me,
            boot: self.boot,
            seq,
        };
        let command = Command { id, done_below, op };
        (command, Taken { node: self, seq })
    }

    /// Answers a client's `read`, `write` or `cas`.
    async fn client_request(
        &self,
        ctx: &Context,
        req: &Request<Msg>,
        op: Op,
    ) -> anyhow::Result<()> {
        let (command, _taken) = self.take(op);
        let value = self.execute(ctx, &command, true).await?;
        let out = match command.op {
            Op::Read { .. } => Out::ReadOk { value: &value },
            Op::Write { .. } => Out::WriteOk,
            Op::Cas { .. } => Out::CasOk,
        };
        ctx.reply(req, &out)
    }

    /// Puts `command` through the log: here if we lead, else (if `may_forward`)
    /// through the leader we know of.
    async fn execute(
        &self,
        ctx: &Context,
        command: &Command,
        may_forward: bool,
    ) -> Result<Value, RpcError> {
        match self.propose(ctx, command).await {
            Ok(p) => self.await_applied(ctx, p).await,
            Err(NotLeader {
                leader: Some(leader),
            }) if may_forward => self.forward(ctx, leader, command).await,
            Err(_) => Err(RpcError::temporarily_unavailable(
                "not the leader, and no leader known",
            )),
        }
    }

    /// Appends `command` to the log if we lead. While an election is under way
    /// (no leader known), waits a little for its outcome rather than turn the
    /// client away.
    async fn propose(&self, ctx: &Context, command: &Command) -> Result<Proposed, NotLeader> {
        // Serialising plain data cannot fail.
        let value = serde_json::to_value(command).unwrap_or(Value::Null);
        let give_up = ctx.now() + LEADER_WAIT;
        loop {
            let proposal = self.server.borrow_mut().core.propose(value.clone());
            match proposal {
                Err(NotLeader { leader: None }) if ctx.now() < give_up => ctx.sleep(TICK).await,
                other => return other,
            }
        }
    }

    /// Waits for the entry we proposed to be applied, and its result.
    async fn await_applied(&self, ctx: &Context, p: Proposed) -> Result<Value, RpcError> {
        let (done, rx) = oneshot::channel();
        let pending = Pending { term: p.term, done };
        self.server.borrow_mut().pending.insert(p.index, pending);
        // Only now send the entry out (and, in a cluster of one, apply it): its
        // result must find the request waiting.
        self.flush(ctx)
            .map_err(|e| RpcError::crash(format!("{e:#}")))?;
        match tokio::time::timeout(APPLY_TIMEOUT, rx).await {
            Ok(Ok(result)) => result,
            _ => {
                self.server.borrow_mut().pending.remove(&p.index);
                Err(RpcError::timeout(format!(
                    "entry {} of term {} not applied within {APPLY_TIMEOUT:?}; \
                     it may still commit",
                    p.index, p.term
                )))
            }
        }
    }

    /// Hands `command` to `leader` and waits for its answer.
    async fn forward(
        &self,
        ctx: &Context,
        leader: NodeId,
        command: &Command,
    ) -> Result<Value, RpcError> {
        let (tx, rx) = oneshot::channel();
        let seq = command.id.seq;
        self.server.borrow_mut().forwarded.insert(seq, tx);
        ctx.send(&self.ids[leader], &Out::Forward { command })
            .map_err(|e| RpcError::crash(e.to_string()))?;
        match tokio::time::timeout(FORWARD_TIMEOUT, rx).await {
            Ok(Ok(outcome)) => outcome.map_err(RpcError::from),
            _ => Err(RpcError::timeout(format!(
                "no answer from the leader {} within {FORWARD_TIMEOUT:?}; \
                 the request may still commit",
                self.ids[leader]
            ))),
        }
    }
}

impl Node for RaftKv {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        let ids = ctx.node_ids().to_vec();
        let me = ids
            .iter()
            .position(|i| i == ctx.node_id())
            .ok_or_else(|| anyhow::anyhow!("{} is not among node_ids", ctx.node_id()))?;
        let storage = ctx.storage();
        let boot = storage.get::<u64>(BOOT_KEY).unwrap_or(0) + 1;
        storage.put(BOOT_KEY, &boot)?;
        let seed: u64 = ctx.rng().random();
        let core = Raft::new(Setup {
            id: me,
            cluster_size: ids.len(),
            timing: Timing::default(),
            rng: StdRng::seed_from_u64(seed),
            persister: Box::new(StoragePersister {
                storage: storage.clone(),
            }),
        });
        Ok(RaftKv {
            ids,
            me,
            boot,
            server: RefCell::new(Server {
                core,
                store: Store::default(),
                applied: 0,
                snapshot_at: 0,
                pending: BTreeMap::new(),
                next_seq: 1,
                unfinished: BTreeSet::new(),
                forwarded: BTreeMap::new(),
            }),
        })
    }

    fn start(self: &Rc<Self>, ctx: &Context) {
        let node = self.clone();
        let tick_ctx = ctx.clone();
        ctx.every(TICK, move || {
            let node = node.clone();
            let ctx = tick_ctx.clone();
            async move {
                let now = ctx.now().as_millis() as u64;
                node.server.borrow_mut().core.tick(now);
                node.flush(&ctx)
            }
        });
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let op = match &req.body {
            Msg::Raft { rpc } => {
                if let Some(from) = self.index_of(&req.src) {
                    self.server.borrow_mut().core.step(from, rpc.clone());
                    self.flush(&ctx)?;
                }
                return Ok(());
            }
            Msg::Forward { command } => {
                // We were the leader when it was sent; if we no longer are, the
                // sender hears 11 rather than a second forward.
                let result = self.execute(&ctx, command, false).await;
                let outcome = result.map_err(Into::into);
                let (id, outcome) = (command.id, &outcome);
                return ctx.send(&req.src, &Out::Forwarded { id, outcome });
            }
            Msg::Forwarded { id, outcome } => {
                if id.node == self.me && id.boot == self.boot {
                    if let Some(tx) = self.server.borrow_mut().forwarded.remove(&id.seq) {
                        let _ = tx.send(outcome.clone());
                    }
                }
                return Ok(());
            }
            Msg::Read { key } => Op::Read { key: key.clone() },
            Msg::Write { key, value } => Op::Write {
                key: key.clone(),
                value: value.clone(),
            },
            Msg::Cas { key, from, to } => Op::Cas {
                key: key.clone(),
                from: from.clone(),
                to: to.clone(),
            },
        };
        self.client_request(&ctx, &req, op).await
    }
}
