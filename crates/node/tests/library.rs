//! Library behaviour through an in-memory host: init, dispatch, RPC matching,
//! timeouts, error replies, malformed input and unknown types.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::{serve, Body, Context, Envelope, Host, Inbound, Node, Request, RpcError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc::{Sender, UnboundedReceiver};
use tokio::task::LocalSet;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    Echo {
        echo: Value,
    },
    /// Asks n2 for a value by RPC and answers with it.
    Forward {
        timeout_ms: u64,
    },
    /// Sleeps, then answers; other messages must not wait for it.
    Slow {
        ms: u64,
    },
    /// Fails with a protocol error, which keeps its code.
    Cas {},
    /// Fails with a plain error, which becomes 13 (crash).
    Boom {},
    /// Panics before awaiting anything.
    Panic {},
    /// Stores a value durably.
    Save {
        value: Value,
    },
    Load {},
}

// Reply types are named after the request they answer, hence the shared suffix.
#[allow(clippy::enum_variant_names)]
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    EchoOk { echo: Value },
    ForwardOk { value: Value },
    SlowOk {},
    SaveOk {},
    LoadOk { value: Option<Value> },
}

struct TestNode {
    ticks: RefCell<u32>,
}

impl Node for TestNode {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        assert_eq!(ctx.node_id(), "n1");
        assert_eq!(ctx.peers().collect::<Vec<_>>(), vec!["n2"]);
        Ok(TestNode {
            ticks: RefCell::new(0),
        })
    }

    fn start(self: &Rc<Self>, ctx: &Context) {
        let node = self.clone();
        let ctx2 = ctx.clone();
        ctx.every(Duration::from_secs(1), move || {
            let node = node.clone();
            let ctx = ctx2.clone();
            async move {
                *node.ticks.borrow_mut() += 1;
                ctx.send("n2", &json!({"type": "tick", "n": *node.ticks.borrow()}))
            }
        });
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        match &req.body {
            Msg::Echo { echo } => ctx.reply(&req, &Reply::EchoOk { echo: echo.clone() }),
            Msg::Forward { timeout_ms } => {
                let reply = ctx
                    .rpc_with_timeout(
                        "n2",
                        &json!({"type": "get"}),
                        Duration::from_millis(*timeout_ms),
                    )
                    .await?;
                let value = reply.body.get("value").cloned().unwrap_or(Value::Null);
                ctx.reply(&req, &Reply::ForwardOk { value })
            }
            Msg::Slow { ms } => {
                ctx.sleep(Duration::from_millis(*ms)).await;
                ctx.reply(&req, &Reply::SlowOk {})
            }
            Msg::Cas {} => Err(RpcError::precondition_failed("expected 1, found 2").into()),
            Msg::Boom {} => anyhow::bail!("something broke"),
            Msg::Panic {} => panic!("a handler panicked (on purpose, in a test)"),
            Msg::Save { value } => {
                ctx.storage().put("v", value)?;
                ctx.reply(&req, &Reply::SaveOk {})
            }
            Msg::Load {} => {
                let value = ctx.storage().get("v");
                ctx.reply(&req, &Reply::LoadOk { value })
            }
        }
    }
}

struct Harness {
    input: Sender<Inbound>,
    output: UnboundedReceiver<Envelope>,
}

impl Harness {
    fn send(&self, src: &str, body: Value) {
        let body = Body::from_value(body).unwrap();
        self.input
            .try_send(Inbound::Message(Envelope::new(src, "n1", body)))
            .unwrap();
    }

    async fn recv(&mut self) -> Envelope {
        tokio::time::timeout(Duration::from_secs(60), self.output.recv())
            .await
            .expect("node answered")
            .expect("node running")
    }

    /// The next message that is not a periodic tick.
    async fn recv_reply(&mut self) -> Envelope {
        loop {
            let env = self.recv().await;
            if env.body.kind != "tick" {
                return env;
            }
        }
    }
}

async fn start_node() -> Harness {
    let (host, input, output) = Host::channels(42);
    tokio::task::spawn_local(serve::<TestNode>(host));
    let mut h = Harness { input, output };
    h.send(
        "c0",
        json!({"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}),
    );
    let init_ok = h.recv().await;
    assert_eq!(init_ok.dest, "c0");
    assert_eq!(init_ok.body.kind, "init_ok");
    assert_eq!(init_ok.body.in_reply_to, Some(1));
    h
}

fn run(test: impl std::future::Future<Output = ()>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    LocalSet::new().block_on(&rt, test);
}

#[test]
fn answers_init_and_dispatches_typed_messages() {
    run(async {
        let mut h = start_node().await;
        h.send("c1", json!({"type":"echo","msg_id":0,"echo":{"a":[1,2]}}));
        let reply = h.recv_reply().await;
        assert_eq!(reply.src, "n1");
        assert_eq!(reply.dest, "c1");
        assert_eq!(reply.body.kind, "echo_ok");
        // msg_id 0 is a real id: the reply must carry in_reply_to 0.
        assert_eq!(reply.body.in_reply_to, Some(0));
        assert_eq!(reply.body.fields["echo"], json!({"a":[1,2]}));
    });
}

#[test]
fn messages_before_init_are_handled_after_it() {
    run(async {
        let (host, input, output) = Host::channels(1);
        tokio::task::spawn_local(serve::<TestNode>(host));
        let mut h = Harness { input, output };
        h.send("c1", json!({"type":"echo","msg_id":5,"echo":"early"}));
        h.send(
            "c0",
            json!({"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}),
        );
        assert_eq!(h.recv().await.body.kind, "init_ok");
        let reply = h.recv_reply().await;
        assert_eq!(reply.body.in_reply_to, Some(5));
    });
}

#[test]
fn rpc_replies_are_matched_by_in_reply_to() {
    run(async {
        let mut h = start_node().await;
        h.send("c1", json!({"type":"forward","msg_id":7,"timeout_ms":1000}));
        h.send("c1", json!({"type":"forward","msg_id":8,"timeout_ms":1000}));
        let first = h.recv_reply().await;
        let second = h.recv_reply().await;
        assert_eq!(
            (first.dest.as_str(), first.body.kind.as_str()),
            ("n2", "get")
        );
        assert_eq!(second.body.kind, "get");
        // Answer in the opposite order: each reply must reach its own caller.
        for (req, value) in [(&second, "for-8"), (&first, "for-7")] {
            h.send(
                "n2",
                json!({"type":"get_ok","in_reply_to":req.body.msg_id,"value":value}),
            );
        }
        let mut answers = [h.recv_reply().await, h.recv_reply().await];
        answers.sort_by_key(|e| e.body.in_reply_to);
        assert_eq!(answers[0].body.in_reply_to, Some(7));
        assert_eq!(answers[0].body.fields["value"], "for-7");
        assert_eq!(answers[1].body.in_reply_to, Some(8));
        assert_eq!(answers[1].body.fields["value"], "for-8");
    });
}

#[test]
fn rpc_times_out_and_late_replies_are_dropped() {
    run(async {
        let mut h = start_node().await;
        h.send("c1", json!({"type":"forward","msg_id":3,"timeout_ms":500}));
        let get = h.recv_reply().await;
        let reply = h.recv_reply().await;
        assert_eq!(reply.body.kind, "error");
        assert_eq!(reply.body.in_reply_to, Some(3));
        assert_eq!(reply.body.fields["code"], 0, "timeout is code 0");
        // The late reply finds no waiter; the node shrugs and keeps serving.
        h.send(
            "n2",
            json!({"type":"get_ok","in_reply_to":get.body.msg_id,"value":1}),
        );
        h.send("c1", json!({"type":"echo","msg_id":4,"echo":1}));
        let echo = h.recv_reply().await;
        assert_eq!(echo.body.kind, "echo_ok");
        assert_eq!(echo.body.in_reply_to, Some(4));
    });
}

#[test]
fn rpc_error_replies_keep_their_code() {
    run(async {
        let mut h = start_node().await;
        h.send("c1", json!({"type":"forward","msg_id":3,"timeout_ms":500}));
        let get = h.recv_reply().await;
        h.send(
            "n2",
            json!({"type":"error","in_reply_to":get.body.msg_id,"code":20,"text":"no key"}),
        );
        let reply = h.recv_reply().await;
        assert_eq!(reply.body.kind, "error");
        assert_eq!(reply.body.fields["code"], 20);
    });
}

#[test]
fn handler_errors_become_error_replies_and_node_keeps_running() {
    run(async {
        let mut h = start_node().await;
        h.send("c1", json!({"type":"cas","msg_id":1}));
        let reply = h.recv_reply().await;
        assert_eq!(reply.body.fields["code"], 22);
        assert_eq!(reply.body.fields["text"], "expected 1, found 2");
        h.send("c1", json!({"type":"boom","msg_id":2}));
        let reply = h.recv_reply().await;
        assert_eq!(reply.body.fields["code"], 13);
        assert!(reply.body.fields["text"]
            .as_str()
            .unwrap()
            .contains("something broke"));
        h.send("c1", json!({"type":"echo","msg_id":3,"echo":"still here"}));
        assert_eq!(h.recv_reply().await.body.kind, "echo_ok");
    });
}

/// Handlers that finish without waiting run inline, not as tasks; a panic
/// there must still cost only that handler, as it does in a task.
#[test]
fn a_panicking_handler_does_not_stop_the_node() {
    run(async {
        let mut h = start_node().await;
        h.send("c1", json!({"type":"panic","msg_id":1}));
        h.send("c1", json!({"type":"echo","msg_id":2,"echo":"still here"}));
        let reply = h.recv_reply().await;
        assert_eq!(reply.body.in_reply_to, Some(2));
        assert_eq!(reply.body.kind, "echo_ok");
    });
}

#[test]
fn unknown_types_get_not_supported_and_bad_fields_get_malformed() {
    run(async {
        let mut h = start_node().await;
        h.send("c1", json!({"type":"frobnicate","msg_id":1}));
        let reply = h.recv_reply().await;
        assert_eq!(reply.body.kind, "error");
        assert_eq!(reply.body.fields["code"], 10);
        h.send("c1", json!({"type":"echo","msg_id":2}));
        let reply = h.recv_reply().await;
        assert_eq!(reply.body.fields["code"], 12);
        assert_eq!(reply.body.in_reply_to, Some(2));
    });
}

#[test]
fn malformed_lines_are_skipped() {
    run(async {
        let mut h = start_node().await;
        h.input
            .try_send(Inbound::Malformed {
                line: "not json".into(),
                error: "expected value".into(),
            })
            .unwrap();
        h.send("c1", json!({"type":"echo","msg_id":2,"echo":2}));
        assert_eq!(h.recv_reply().await.body.in_reply_to, Some(2));
    });
}

#[test]
fn a_slow_handler_does_not_block_others() {
    run(async {
        let mut h = start_node().await;
        h.send("c1", json!({"type":"slow","msg_id":1,"ms":10_000}));
        h.send("c2", json!({"type":"echo","msg_id":1,"echo":"fast"}));
        let first = h.recv_reply().await;
        assert_eq!(first.dest, "c2");
        assert_eq!(first.body.kind, "echo_ok");
        let second = h.recv_reply().await;
        assert_eq!(second.dest, "c1");
        assert_eq!(second.body.kind, "slow_ok");
    });
}

#[test]
fn periodic_tasks_tick_on_the_host_clock() {
    run(async {
        let mut h = start_node().await;
        let start = tokio::time::Instant::now();
        let mut ticks = Vec::new();
        while ticks.len() < 3 {
            let env = h.recv().await;
            assert_eq!(env.body.kind, "tick");
            ticks.push(env.body.fields["n"].as_u64().unwrap());
        }
        assert_eq!(ticks, vec![1, 2, 3]);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    });
}

#[test]
fn storage_survives_a_restart_on_the_same_backend() {
    run(async {
        let (mut host, input, output) = Host::channels(3);
        let backend = maelstrom_node::StorageBackend::memory();
        host.storage = backend.clone();
        tokio::task::spawn_local(serve::<TestNode>(host));
        let mut h = Harness { input, output };
        let init = json!({"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]});
        h.send("c0", init.clone());
        h.recv().await;
        h.send("c1", json!({"type":"save","msg_id":2,"value":[1,2,3]}));
        assert_eq!(h.recv_reply().await.body.kind, "save_ok");
        drop(h); // the node's inbox closes: it stops

        let (mut host, input, output) = Host::channels(3);
        host.storage = backend;
        tokio::task::spawn_local(serve::<TestNode>(host));
        let mut h = Harness { input, output };
        h.send("c0", init);
        h.recv().await;
        h.send("c1", json!({"type":"load","msg_id":3}));
        let reply = h.recv_reply().await;
        assert_eq!(reply.body.fields["value"], json!([1, 2, 3]));
        // The second life numbers its messages from a range of its own, so a late
        // reply meant for the first life cannot match a new request.
        assert!(reply.body.msg_id.unwrap() > 1 << 32, "{reply:?}");
    });
}

#[test]
fn dropping_a_node_stops_its_timers_and_handlers() {
    run(async {
        let (host, input, mut output) = Host::channels(5);
        let node = tokio::task::spawn_local(serve::<TestNode>(host));
        let h = Harness {
            input,
            output: tokio::sync::mpsc::unbounded_channel().1,
        };
        h.send(
            "c0",
            json!({"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1","n2"]}),
        );
        assert_eq!(output.recv().await.unwrap().body.kind, "init_ok");
        h.send("c1", json!({"type":"slow","msg_id":2,"ms":60_000}));
        assert_eq!(output.recv().await.unwrap().body.kind, "tick");
        // A crash in the simulation: the task serving the node is aborted.
        node.abort();
        // Every task holding the outbox (the ticker, the slow handler) must stop,
        // so the channel closes instead of ticking on.
        let rest = tokio::time::timeout(Duration::from_secs(600), async {
            let mut after = Vec::new();
            while let Some(env) = output.recv().await {
                after.push(env.body.kind);
            }
            after
        })
        .await
        .expect("the crashed node's tasks keep running");
        assert!(rest.len() <= 1, "messages after the crash: {rest:?}");
    });
}
