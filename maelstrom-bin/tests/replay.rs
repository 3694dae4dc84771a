//! lin-kv and kafka on a paused clock with in-process nodes: the same seed
//! gives the same history, byte for byte (generators that see the worker and
//! the time, client crashes, final polls), and the verdicts are right.

use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_harness::host::{NodeChannels, NodeFactory};
use maelstrom_harness::{run_simulated, NodeProgram, TestConfig, Validity};
use maelstrom_proto::{Body, Envelope};
use serde_json::{json, Value};

/// Serves a node: answers `init`, and every other request with `handle`'s
/// body after a short virtual pause.
fn serve<S: 'static>(
    mut ch: NodeChannels,
    mut state: S,
    handle: fn(&mut S, &Body) -> Body,
) -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_local(async move {
        while let Some(msg) = ch.inbox.recv().await {
            let mut body = if msg.body.kind == "init" {
                Body::new("init_ok")
            } else {
                handle(&mut state, &msg.body)
            };
            body.in_reply_to = msg.body.msg_id;
            tokio::time::sleep(Duration::from_millis(1)).await;
            if ch
                .outbox
                .send(Envelope::new(ch.id.clone(), msg.src, body))
                .is_err()
            {
                return;
            }
        }
    })
}

fn error(code: u64) -> Body {
    Body::new("error").with("code", code)
}

/// A register map of its own per node: not linearizable across nodes.
struct MapPerNode;

fn map_request(kv: &mut BTreeMap<String, Value>, b: &Body) -> Body {
    let key = b.get("key").map(Value::to_string).unwrap_or_default();
    let field = |f: &str| b.get(f).cloned().unwrap_or(Value::Null);
    match (b.kind.as_str(), kv.get(&key)) {
        ("read", Some(v)) => Body::new("read_ok").with("value", v.clone()),
        ("write", _) => {
            kv.insert(key, field("value"));
            Body::new("write_ok")
        }
        ("cas", Some(v)) if *v == field("from") => {
            kv.insert(key, field("to"));
            Body::new("cas_ok")
        }
        ("cas", Some(_)) => error(22),
        _ => error(20),
    }
}

impl NodeFactory for MapPerNode {
    fn start(&self, ch: NodeChannels) -> tokio::task::JoinHandle<()> {
        serve(ch, BTreeMap::new(), map_request)
    }
}

/// One in-memory log per key; offsets are indices.
struct Log;

#[derive(Default)]
struct Logs {
    logs: BTreeMap<String, Vec<Value>>,
    committed: BTreeMap<String, Value>,
}

fn log_request(s: &mut Logs, b: &Body) -> Body {
    let str_key = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    match b.kind.as_str() {
        "send" => {
            let log = s.logs.entry(str_key(b.get("key"))).or_default();
            log.push(b.get("msg").cloned().unwrap_or(Value::Null));
            Body::new("send_ok").with("offset", log.len() - 1)
        }
        "poll" => {
            let mut msgs = serde_json::Map::new();
            for (k, from) in b
                .get("offsets")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let log = s.logs.get(k).map(Vec::as_slice).unwrap_or_default();
                let from = from.as_u64().unwrap_or(0) as usize;
                let pairs: Vec<Value> = (from..log.len()).map(|i| json!([i, log[i]])).collect();
                if !pairs.is_empty() {
                    msgs.insert(k.clone(), Value::Array(pairs));
                }
            }
            Body::new("poll_ok").with("msgs", Value::Object(msgs))
        }
        "commit_offsets" => {
            for (k, o) in b
                .get("offsets")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                s.committed.insert(k.clone(), o.clone());
            }
            Body::new("commit_offsets_ok")
        }
        "list_committed_offsets" => {
            Body::new("list_committed_offsets_ok").with("offsets", json!(s.committed))
        }
        _ => error(10),
    }
}

impl NodeFactory for Log {
    fn start(&self, ch: NodeChannels) -> tokio::task::JoinHandle<()> {
        serve(ch, Logs::default(), log_request)
    }
}

/// Runs `cfg` on a paused clock; the verdict and history.jsonl.
fn simulate(mut cfg: TestConfig, store: &Path) -> (Validity, String) {
    cfg.store_root = Some(store.to_path_buf());
    let out = run_simulated(cfg).unwrap();
    let history = std::fs::read_to_string(out.store_dir.unwrap().join("history.jsonl")).unwrap();
    (out.valid, history)
}

/// A store for one test, removed when dropped (on a failed assertion too).
fn store(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("maelstrom-replay-{name}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn lin_kv_replays_and_a_map_per_node_is_caught() {
    let config = || {
        let mut cfg = TestConfig::new("lin-kv", NodeProgram::InProcess(Rc::new(MapPerNode)));
        cfg.nodes = TestConfig::node_ids(3);
        cfg.concurrency = 6;
        cfg.time_limit = Duration::from_secs(20);
        cfg.rate = 30.0;
        cfg.latency = Duration::from_millis(5);
        cfg.seed = 11;
        cfg
    };
    let dir = store("lin-kv");
    let (valid, a) = simulate(config(), dir.path());
    let (_, b) = simulate(config(), dir.path());
    assert_eq!(valid, Validity::Invalid);
    assert!(a.lines().count() > 500, "{}", a.lines().count());
    assert!(a == b, "same seed, different histories");
}

#[test]
fn kafka_replays_and_an_in_memory_log_is_valid() {
    let config = || {
        let mut cfg = TestConfig::new("kafka", NodeProgram::InProcess(Rc::new(Log)));
        cfg.nodes = TestConfig::node_ids(1);
        cfg.concurrency = 3;
        cfg.time_limit = Duration::from_secs(60);
        cfg.rate = 50.0;
        cfg.seed = 12;
        cfg
    };
    let dir = store("kafka");
    let (valid, a) = simulate(config(), dir.path());
    let (_, b) = simulate(config(), dir.path());
    assert_eq!(valid, Validity::Valid);
    // Client crashes (about one per 10 s with three workers) and final polls.
    assert!(a.matches("\"crash\"").count() >= 8, "{a}");
    assert!(a.contains("\"final\":true"));
    assert!(a == b, "same seed, different histories");
}
