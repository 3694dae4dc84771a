//! The reference lin-kv node: the Raft core of this crate, wired to the node
//! library, replicating a key-value [`Store`]. The binary runs [`RaftKv`].
//!
//! - A timer ticks the core every 10 ms; peer messages (`type: "raft"`) are stepped
//!   into it. After each call, what the core produced is flushed: its messages are
//!   sent, its committed entries applied to the store.
//! - A client's `read`, `write` or `cas` becomes a log entry on the leader (reads
//!   too: a read served from the leader's memory could be stale if it was deposed
//!   without knowing). The request is answered when its entry is applied.
//! - A follower forwards requests to the leader it knows of (once; a forwarded
//!   request is not forwarded again) and answers 11 (temporarily unavailable) when
//!   it knows of none: the request certainly never entered the log.
//! - A request whose entry is replaced by another leader's gets 11 too (its index
//!   was committed with something else, so it never will be); one that is not
//!   applied in time gets 0 (timeout), which is indefinite: it may still commit.
//! - Every [`SNAPSHOT_EVERY`] applied entries the store is handed to the core as
//!   a snapshot, so the log (and what is persisted) stays small over a long run.
//!   A snapshot the core installs replaces the store; requests waiting on entries
//!   it covers get 0, since whether their entry made it is unknown here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use crate::kv::{Command, Store};
use crate::raft::{Message, Raft};
use crate::{NodeId, NotLeader, Persister, RaftCore, Setup, Timing};
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

/// What the node handles: client requests and peer messages.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    Read {
        key: Value,
        #[serde(default)]
        forwarded: bool,
    },
    Write {
        key: Value,
        value: Value,
        #[serde(default)]
        forwarded: bool,
    },
    Cas {
        key: Value,
        from: Value,
        to: Value,
        #[serde(default)]
        forwarded: bool,
    },
    /// A message between Raft cores.
    Raft { rpc: Message },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out<'a> {
    ReadOk { value: &'a Value },
    WriteOk,
    CasOk,
    Raft { rpc: &'a Message },
}

/// The key of the incarnation counter in the node's durable storage.
const INCARNATION_KEY: &str = "incarnation";

/// Which start of this node we are: a counter kept in durable storage, bumped by
/// every start.
///
/// A guard against a crashed incarnation that goes on running. As a process that
/// cannot happen, but in the harness's simulation a killed node's timers (tasks
/// spawned through the context) survive the kill: its core would go on starting
/// elections and saving their terms over the state of the incarnation that
/// replaced it, which then restarts from a stale term, vote and log, and Raft's
/// safety is gone. A superseded incarnation notices that storage has moved on,
/// saves nothing and does nothing.
struct Incarnation {
    number: u64,
    storage: Storage,
}

impl Incarnation {
    fn begin(storage: &Storage) -> anyhow::Result<Rc<Self>> {
        let number = storage.get::<u64>(INCARNATION_KEY).unwrap_or(0) + 1;
        storage.put(INCARNATION_KEY, &number)?;
        Ok(Rc::new(Incarnation {
            number,
            storage: storage.clone(),
        }))
    }

    /// Whether no later incarnation has started.
    fn is_current(&self) -> bool {
        self.storage.get::<u64>(INCARNATION_KEY) == Some(self.number)
    }
}

/// Keeps the core's durable state in the node library's storage, which survives a
/// restart of the node.
struct StoragePersister {
    storage: Storage,
    incarnation: Rc<Incarnation>,
}

impl Persister for StoragePersister {
    fn save(&mut self, state: Value) {
        if !self.incarnation.is_current() {
            return;
        }
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
}

/// The lin-kv node.
pub struct RaftKv {
    ids: Vec<String>,
    incarnation: Rc<Incarnation>,
    server: RefCell<Server>,
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

    async fn client_request(
        self: Rc<Self>,
        ctx: Context,
        req: Request<Msg>,
        command: Command,
        forwarded: bool,
    ) -> anyhow::Result<()> {
        let command_value = serde_json::to_value(&command)?;
        let give_up = ctx.now() + LEADER_WAIT;
        let proposal = loop {
            let proposal = self.server.borrow_mut().core.propose(command_value.clone());
            match proposal {
                // An election is under way: its outcome is worth waiting for
                // rather than turning the client away.
                Err(NotLeader { leader: None }) if ctx.now() < give_up => ctx.sleep(TICK).await,
                other => break other,
            }
        };
        let value = match proposal {
            Ok(p) => {
                let (done, rx) = oneshot::channel();
                self.server
                    .borrow_mut()
                    .pending
                    .insert(p.index, Pending { term: p.term, done });
                self.flush(&ctx)?;
                match tokio::time::timeout(APPLY_TIMEOUT, rx).await {
                    Ok(Ok(result)) => result?,
                    _ => {
                        self.server.borrow_mut().pending.remove(&p.index);
                        return Err(RpcError::timeout(format!(
                            "entry {} of term {} not applied within {APPLY_TIMEOUT:?}; \
                             it may still commit",
                            p.index, p.term
                        ))
                        .into());
                    }
                }
            }
            Err(not_leader) => match not_leader.leader {
                Some(leader) if !forwarded => {
                    let body = req.raw.body.clone().with("forwarded", true);
                    let reply = ctx
                        .rpc_body(&self.ids[leader], body, FORWARD_TIMEOUT)
                        .await?;
                    ctx.reply_body(&req, reply.body);
                    return Ok(());
                }
                _ => {
                    return Err(RpcError::temporarily_unavailable(
                        "not the leader, and no leader known",
                    )
                    .into())
                }
            },
        };
        let out = match command {
            Command::Read { .. } => Out::ReadOk { value: &value },
            Command::Write { .. } => Out::WriteOk,
            Command::Cas { .. } => Out::CasOk,
        };
        ctx.reply(&req, &out)
    }
}

impl Node for RaftKv {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        let ids = ctx.node_ids().to_vec();
        let id = ids
            .iter()
            .position(|i| i == ctx.node_id())
            .ok_or_else(|| anyhow::anyhow!("{} is not among node_ids", ctx.node_id()))?;
        let seed: u64 = ctx.rng().random();
        let incarnation = Incarnation::begin(ctx.storage())?;
        let core = Raft::new(Setup {
            id,
            cluster_size: ids.len(),
            timing: Timing::default(),
            rng: StdRng::seed_from_u64(seed),
            persister: Box::new(StoragePersister {
                storage: ctx.storage().clone(),
                incarnation: incarnation.clone(),
            }),
        });
        Ok(RaftKv {
            ids,
            incarnation,
            server: RefCell::new(Server {
                core,
                store: Store::default(),
                applied: 0,
                snapshot_at: 0,
                pending: BTreeMap::new(),
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
                if !node.incarnation.is_current() {
                    return Ok(()); // crashed and replaced: see `Incarnation`
                }
                let now = ctx.now().as_millis() as u64;
                node.server.borrow_mut().core.tick(now);
                node.flush(&ctx)
            }
        });
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        if !self.incarnation.is_current() {
            return Ok(()); // crashed and replaced: see `Incarnation`
        }
        let (command, forwarded) = match &req.body {
            Msg::Raft { rpc } => {
                if let Some(from) = self.index_of(&req.src) {
                    self.server.borrow_mut().core.step(from, rpc.clone());
                    self.flush(&ctx)?;
                }
                return Ok(());
            }
            Msg::Read { key, forwarded } => (Command::Read { key: key.clone() }, *forwarded),
            Msg::Write {
                key,
                value,
                forwarded,
            } => (
                Command::Write {
                    key: key.clone(),
                    value: value.clone(),
                },
                *forwarded,
            ),
            Msg::Cas {
                key,
                from,
                to,
                forwarded,
            } => (
                Command::Cas {
                    key: key.clone(),
                    from: from.clone(),
                    to: to.clone(),
                },
                *forwarded,
            ),
        };
        self.client_request(ctx, req, command, forwarded).await
    }
}
