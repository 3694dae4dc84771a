//! The KV and TSO clients against a scripted service: request shapes, typed values,
//! and typed errors.

use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::{serve, Body, Context, Envelope, ErrorCode, Host, Inbound, Node, Request};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::task::LocalSet;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    Incr {},
    Stamp {},
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    Result { outcome: String },
}

struct KvNode;

impl Node for KvNode {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(KvNode)
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let outcome = match req.body {
            Msg::Incr {} => {
                let kv = ctx.seq_kv().with_timeout(Duration::from_millis(200));
                let current: i64 = kv.read_or(&"counter", 0).await?;
                match kv.cas(&"counter", &current, &(current + 1), true).await {
                    Ok(()) => format!("set {}", current + 1),
                    Err(e) if e.code == ErrorCode::PreconditionFailed => "conflict".into(),
                    Err(e) => return Err(e.into()),
                }
            }
            Msg::Stamp {} => format!("ts {}", ctx.lin_tso().ts().await?),
        };
        ctx.reply(&req, &Reply::Result { outcome })
    }
}

/// Answers the node's next request to `service` with `reply`, checking the request.
async fn serve_one(
    input: &tokio::sync::mpsc::Sender<Inbound>,
    output: &mut tokio::sync::mpsc::UnboundedReceiver<Envelope>,
    expect: Value,
    reply: Value,
) {
    let req = output.recv().await.unwrap();
    let mut seen = serde_json::to_value(&req.body).unwrap();
    seen.as_object_mut().unwrap().remove("msg_id");
    assert_eq!(seen, expect);
    let mut body = Body::from_value(reply).unwrap();
    body.in_reply_to = req.body.msg_id;
    input
        .try_send(Inbound::Message(Envelope::new(req.dest, req.src, body)))
        .unwrap();
}

fn run(test: impl std::future::Future<Output = ()>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    LocalSet::new().block_on(&rt, test);
}

async fn start() -> (
    tokio::sync::mpsc::Sender<Inbound>,
    tokio::sync::mpsc::UnboundedReceiver<Envelope>,
) {
    let (host, input, mut output) = Host::channels(9);
    tokio::task::spawn_local(serve::<KvNode>(host));
    let init = json!({"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]});
    input
        .try_send(Inbound::Message(Envelope::new(
            "c0",
            "n1",
            Body::from_value(init).unwrap(),
        )))
        .unwrap();
    assert_eq!(output.recv().await.unwrap().body.kind, "init_ok");
    (input, output)
}

fn request(kind: &str, msg_id: u64) -> Inbound {
    let body = Body::new(kind);
    let mut body = body;
    body.msg_id = Some(msg_id);
    Inbound::Message(Envelope::new("c1", "n1", body))
}

#[test]
fn missing_key_reads_as_default_and_cas_creates_it() {
    run(async {
        let (input, mut output) = start().await;
        input.try_send(request("incr", 2)).unwrap();
        serve_one(
            &input,
            &mut output,
            json!({"type":"read","key":"counter"}),
            json!({"type":"error","code":20,"text":"key does not exist"}),
        )
        .await;
        serve_one(
            &input,
            &mut output,
            json!({"type":"cas","key":"counter","from":0,"to":1,"create_if_not_exists":true}),
            json!({"type":"cas_ok"}),
        )
        .await;
        let reply = output.recv().await.unwrap();
        assert_eq!(reply.dest, "c1");
        assert_eq!(reply.body.fields["outcome"], "set 1");
    });
}

#[test]
fn precondition_failures_are_typed() {
    run(async {
        let (input, mut output) = start().await;
        input.try_send(request("incr", 2)).unwrap();
        serve_one(
            &input,
            &mut output,
            json!({"type":"read","key":"counter"}),
            json!({"type":"read_ok","value":4}),
        )
        .await;
        serve_one(
            &input,
            &mut output,
            json!({"type":"cas","key":"counter","from":4,"to":5,"create_if_not_exists":true}),
            json!({"type":"error","code":22,"text":"current value 6 is not 4"}),
        )
        .await;
        assert_eq!(
            output.recv().await.unwrap().body.fields["outcome"],
            "conflict"
        );
    });
}

#[test]
fn service_timeouts_become_indefinite_errors() {
    run(async {
        let (input, mut output) = start().await;
        input.try_send(request("incr", 2)).unwrap();
        let read = output.recv().await.unwrap();
        assert_eq!(read.dest, "seq-kv");
        // Never answered: the client times out after 200 ms (virtual).
        let reply = output.recv().await.unwrap();
        assert_eq!(reply.body.kind, "error");
        assert_eq!(reply.body.fields["code"], 0);
    });
}

#[test]
fn tso_hands_out_timestamps() {
    run(async {
        let (input, mut output) = start().await;
        input.try_send(request("stamp", 2)).unwrap();
        serve_one(
            &input,
            &mut output,
            json!({"type":"ts"}),
            json!({"type":"ts_ok","ts":41}),
        )
        .await;
        assert_eq!(output.recv().await.unwrap().body.fields["outcome"], "ts 41");
    });
}
