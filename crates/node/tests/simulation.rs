//! The simulation: library nodes in-process on virtual time. The same seed gives
//! the same history and message journal, byte for byte, for every workload; faults
//! beyond upstream (crash/restart, pause, loss, duplication) are replayed too.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::sim::{self, TestConfig, Validity};
use maelstrom_node::{Context, Node, Request};
use serde::Deserialize;
use serde_json::{json, Value};

/// Answers every request of type `t` with `t_ok` and the given fields.
fn ok(ctx: &Context, req: &Request<impl Sized>, fields: Value) -> anyhow::Result<()> {
    let mut body = fields;
    body["type"] = json!(format!("{}_ok", req.raw.body.kind));
    ctx.reply(req, &body)
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum EchoMsg {
    Echo { echo: Value },
}

struct Echo;
impl Node for Echo {
    type Msg = EchoMsg;
    fn from_init(_: &Context) -> anyhow::Result<Self> {
        Ok(Echo)
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<EchoMsg>) -> anyhow::Result<()> {
        let EchoMsg::Echo { echo } = &req.body;
        ok(&ctx, &req, json!({ "echo": echo }))
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum IdMsg {
    Generate {},
}

/// Unique ids that survive restarts only if `DURABLE`.
struct Ids<const DURABLE: bool> {
    prefix: String,
    next: Cell<u64>,
}
impl<const DURABLE: bool> Node for Ids<DURABLE> {
    type Msg = IdMsg;
    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        let mut generation = 0;
        if DURABLE {
            generation = ctx.storage().get::<u64>("gen").unwrap_or(0) + 1;
            ctx.storage().put("gen", &generation)?;
        }
        Ok(Ids {
            prefix: format!("{}-{generation}", ctx.node_id()),
            next: Cell::new(0),
        })
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<IdMsg>) -> anyhow::Result<()> {
        let n = self.next.replace(self.next.get() + 1);
        ok(&ctx, &req, json!({ "id": format!("{}-{n}", self.prefix) }))
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum SetMsg {
    Topology {},
    Broadcast { message: Value },
    Add { element: Value },
    Read {},
    Sync { values: Vec<Value> },
}

/// Broadcast and g-set: gossip the whole set to a random peer every 100 ms
/// (so values survive partitions), answering reads under the right field.
struct GossipSet {
    field: &'static str,
    values: RefCell<BTreeSet<String>>,
}
impl GossipSet {
    fn insert(&self, v: &Value) {
        self.values.borrow_mut().insert(v.to_string());
    }
    fn all(&self) -> Vec<Value> {
        let values = self.values.borrow();
        values
            .iter()
            .filter_map(|s| serde_json::from_str(s).ok())
            .collect()
    }
}
impl Node for GossipSet {
    type Msg = SetMsg;
    fn from_init(_: &Context) -> anyhow::Result<Self> {
        Ok(GossipSet {
            field: "messages",
            values: RefCell::default(),
        })
    }
    fn start(self: &Rc<Self>, ctx: &Context) {
        let (node, ctx2) = (self.clone(), ctx.clone());
        ctx.every(Duration::from_millis(100), move || {
            let (node, ctx) = (node.clone(), ctx2.clone());
            async move {
                let peers: Vec<String> = ctx.peers().map(String::from).collect();
                if peers.is_empty() {
                    return Ok(());
                }
                let peer = peers[rand::Rng::random_range(&mut *ctx.rng(), 0..peers.len())].clone();
                ctx.send(&peer, &json!({"type": "sync", "values": node.all()}))
            }
        });
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<SetMsg>) -> anyhow::Result<()> {
        match &req.body {
            SetMsg::Topology {} => ok(&ctx, &req, json!({})),
            SetMsg::Broadcast { message: v } | SetMsg::Add { element: v } => {
                self.insert(v);
                ok(&ctx, &req, json!({}))
            }
            SetMsg::Read {} => {
                let field = if req.src.starts_with('c') && ctx.node_ids().len() == 3 {
                    "value" // the g-set tests below run on 3 nodes
                } else {
                    self.field
                };
                ok(&ctx, &req, json!({ field: self.all() }))
            }
            SetMsg::Sync { values } => {
                values.iter().for_each(|v| self.insert(v));
                Ok(())
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum CounterMsg {
    Add {
        delta: i64,
    },
    Read {},
    Merge {
        p: BTreeMap<String, i64>,
        n: BTreeMap<String, i64>,
    },
}

/// A PN-counter CRDT, gossiped every 200 ms.
#[derive(Default)]
struct Counter {
    p: RefCell<BTreeMap<String, i64>>,
    n: RefCell<BTreeMap<String, i64>>,
}
impl Node for Counter {
    type Msg = CounterMsg;
    fn from_init(_: &Context) -> anyhow::Result<Self> {
        Ok(Counter::default())
    }
    fn start(self: &Rc<Self>, ctx: &Context) {
        let (node, ctx2) = (self.clone(), ctx.clone());
        ctx.every(Duration::from_millis(200), move || {
            let (node, ctx) = (node.clone(), ctx2.clone());
            async move {
                let msg = json!({"type": "merge", "p": *node.p.borrow(), "n": *node.n.borrow()});
                for peer in ctx.peers() {
                    ctx.send(peer, &msg)?;
                }
                Ok(())
            }
        });
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<CounterMsg>) -> anyhow::Result<()> {
        match &req.body {
            CounterMsg::Add { delta } => {
                let side = if *delta >= 0 { &self.p } else { &self.n };
                *side.borrow_mut().entry(ctx.node_id().into()).or_default() += delta.abs();
                ok(&ctx, &req, json!({}))
            }
            CounterMsg::Read {} => {
                let value: i64 =
                    self.p.borrow().values().sum::<i64>() - self.n.borrow().values().sum::<i64>();
                ok(&ctx, &req, json!({ "value": value }))
            }
            CounterMsg::Merge { p, n } => {
                for (mine, theirs) in [(&self.p, p), (&self.n, n)] {
                    let mut mine = mine.borrow_mut();
                    for (k, v) in theirs {
                        let e = mine.entry(k.clone()).or_default();
                        *e = (*e).max(*v);
                    }
                }
                Ok(())
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum KvMsg {
    Read { key: Value },
    Write { key: Value, value: Value },
    Cas { key: Value, from: Value, to: Value },
}

/// Forwards lin-kv requests to the lin-kv service: linearizable.
struct LinKvProxy;
impl Node for LinKvProxy {
    type Msg = KvMsg;
    fn from_init(_: &Context) -> anyhow::Result<Self> {
        Ok(LinKvProxy)
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<KvMsg>) -> anyhow::Result<()> {
        let kv = ctx.lin_kv().with_timeout(Duration::from_millis(500));
        match &req.body {
            KvMsg::Read { key } => {
                let value: Value = kv.read(key).await?;
                ok(&ctx, &req, json!({ "value": value }))
            }
            KvMsg::Write { key, value } => {
                kv.write(key, value).await?;
                ok(&ctx, &req, json!({}))
            }
            KvMsg::Cas { key, from, to } => {
                kv.cas(key, from, to, false).await?;
                ok(&ctx, &req, json!({}))
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum KafkaMsg {
    Send { key: String, msg: Value },
    Poll { offsets: BTreeMap<String, usize> },
    CommitOffsets { offsets: BTreeMap<String, usize> },
    ListCommittedOffsets { keys: Vec<String> },
}

/// A single-node in-memory log.
#[derive(Default)]
struct Kafka {
    logs: RefCell<BTreeMap<String, Vec<Value>>>,
    committed: RefCell<BTreeMap<String, usize>>,
}
impl Node for Kafka {
    type Msg = KafkaMsg;
    fn from_init(_: &Context) -> anyhow::Result<Self> {
        Ok(Kafka::default())
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<KafkaMsg>) -> anyhow::Result<()> {
        match &req.body {
            KafkaMsg::Send { key, msg } => {
                let mut logs = self.logs.borrow_mut();
                let log = logs.entry(key.clone()).or_default();
                log.push(msg.clone());
                let offset = log.len() - 1;
                drop(logs);
                ok(&ctx, &req, json!({ "offset": offset }))
            }
            KafkaMsg::Poll { offsets } => {
                let logs = self.logs.borrow();
                let mut msgs = BTreeMap::new();
                for (k, from) in offsets {
                    if let Some(log) = logs.get(k) {
                        let pairs: Vec<Value> = log
                            .iter()
                            .enumerate()
                            .skip(*from)
                            .take(10)
                            .map(|(o, m)| json!([o, m]))
                            .collect();
                        msgs.insert(k.clone(), pairs);
                    }
                }
                drop(logs);
                ok(&ctx, &req, json!({ "msgs": msgs }))
            }
            KafkaMsg::CommitOffsets { offsets } => {
                self.committed.borrow_mut().extend(offsets.clone());
                ok(&ctx, &req, json!({}))
            }
            KafkaMsg::ListCommittedOffsets { keys } => {
                let committed = self.committed.borrow();
                let offsets: BTreeMap<_, _> = keys
                    .iter()
                    .filter_map(|k| committed.get(k).map(|o| (k.clone(), *o)))
                    .collect();
                drop(committed);
                ok(&ctx, &req, json!({ "offsets": offsets }))
            }
        }
    }
}

/// A scratch folder for one test, removed when dropped (a failed test's too).
fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("maelstrom-sim-{name}-"))
        .tempdir()
        .expect("a temp dir")
}

/// Runs `cfg` with a store and returns (verdict, history, journal).
fn run_stored(mut cfg: TestConfig, dir: &Path) -> (Validity, String, String) {
    cfg.store_root = Some(dir.to_path_buf());
    let outcome = sim::run(cfg).expect("the test ran");
    let store = outcome.store_dir.expect("a store");
    let read = |f: &str| std::fs::read_to_string(store.join(f)).unwrap();
    (outcome.valid, read("history.jsonl"), read("messages.jsonl"))
}

/// Two runs with one seed are identical; a third with another seed is not.
fn assert_replays(name: &str, make: impl Fn(u64) -> TestConfig) {
    assert_replays_with(name, Validity::Valid, make)
}

/// [`assert_replays`], expecting verdict `expected`.
fn assert_replays_with(name: &str, expected: Validity, make: impl Fn(u64) -> TestConfig) {
    let dir = scratch(name);
    let a = run_stored(make(7), &dir.path().join("a"));
    let b = run_stored(make(7), &dir.path().join("b"));
    let c = run_stored(make(8), &dir.path().join("c"));
    assert_eq!(
        a.0,
        expected,
        "{name}: {}",
        a.1.lines().last().unwrap_or_default()
    );
    assert!(a.1 == b.1, "{name}: same seed, different history");
    assert!(a.2 == b.2, "{name}: same seed, different message journal");
    assert!(a.2 != c.2, "{name}: another seed should change the journal");
}

fn base<N: Node>(workload: &str, seed: u64, nodes: usize) -> TestConfig {
    let mut cfg = sim::config::<N>(workload);
    cfg.seed = seed;
    cfg.nodes = TestConfig::node_ids(nodes);
    cfg.concurrency = nodes;
    cfg.time_limit = Duration::from_secs(10);
    cfg.rate = 20.0;
    cfg.latency = Duration::from_millis(10);
    cfg.latency_dist = maelstrom_node::sim::LatencyDist::Exponential;
    cfg
}

#[test]
fn echo_replays_exactly() {
    assert_replays("echo", |s| base::<Echo>("echo", s, 2));
}

#[test]
fn unique_ids_replays_exactly_under_every_fault() {
    assert_replays("ids", |s| {
        let mut cfg = base::<Ids<true>>("unique-ids", s, 3);
        cfg.nemesis_partition = true;
        cfg.nemesis_kill = true;
        cfg.nemesis_pause = true;
        cfg.nemesis_interval = Duration::from_secs(2);
        cfg.loss_rate = 0.1;
        cfg.duplication_rate = 0.1;
        cfg
    });
}

#[test]
fn broadcast_and_g_set_replay_exactly_with_partitions() {
    assert_replays("broadcast", |s| {
        let mut cfg = base::<GossipSet>("broadcast", s, 5);
        cfg.nemesis_partition = true;
        cfg.recovery_wait = Duration::from_secs(3);
        cfg
    });
    assert_replays("g-set", |s| {
        let mut cfg = base::<GossipSet>("g-set", s, 3);
        cfg.recovery_wait = Duration::from_secs(3);
        cfg
    });
}

#[test]
fn counters_replay_exactly_with_loss_and_duplicates() {
    for workload in ["g-counter", "pn-counter"] {
        assert_replays(workload, |s| {
            let mut cfg = base::<Counter>(workload, s, 3);
            cfg.loss_rate = 0.2;
            cfg.duplication_rate = 0.2;
            cfg.recovery_wait = Duration::from_secs(3);
            cfg
        });
    }
}

#[test]
fn lin_kv_and_kafka_replay_exactly() {
    assert_replays("lin-kv", |s| {
        let mut cfg = base::<LinKvProxy>("lin-kv", s, 2);
        cfg.concurrency = 4;
        cfg.nemesis_partition = true;
        cfg
    });
    assert_replays("kafka", |s| {
        let mut cfg = base::<Kafka>("kafka", s, 1);
        cfg.concurrency = 2;
        cfg.recovery_wait = Duration::from_secs(1);
        cfg
    });
}

#[test]
fn a_crash_loses_what_was_not_durable() {
    for seed in 0..5 {
        let make = |durable: bool| {
            let mut cfg = if durable {
                base::<Ids<true>>("unique-ids", seed, 3)
            } else {
                base::<Ids<false>>("unique-ids", seed, 3)
            };
            cfg.nemesis_kill = true;
            cfg.nemesis_interval = Duration::from_secs(1);
            cfg.rate = 50.0;
            cfg
        };
        let durable = sim::run(make(true)).unwrap();
        assert_eq!(durable.valid, Validity::Valid, "seed {seed}");
        let forgetful = sim::run(make(false)).unwrap();
        assert_eq!(
            forgetful.valid,
            Validity::Invalid,
            "seed {seed}: restarts reuse ids"
        );
        assert!(forgetful.results["workload"]["duplicated-count"].as_u64() > Some(0));
    }
}
