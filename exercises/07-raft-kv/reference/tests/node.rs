//! The lin-kv node end to end, in process: three nodes on channel hosts, a router
//! that can cut a node off, and a client, on tokio's paused (virtual) clock.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::{serve, Body, Envelope, Host, Inbound};
use raft_kv_reference::server::RaftKv;
use serde_json::{json, Value};
use tokio::sync::mpsc;

const IDS: [&str; 3] = ["n1", "n2", "n3"];

struct Net {
    inboxes: BTreeMap<String, mpsc::Sender<Inbound>>,
    cut: Rc<RefCell<BTreeSet<String>>>,
    replies: mpsc::UnboundedReceiver<Envelope>,
    next_id: u64,
}

impl Net {
    fn start() -> Net {
        let (all_tx, mut all_rx) = mpsc::unbounded_channel::<Envelope>();
        let mut inboxes = BTreeMap::new();
        for (i, id) in IDS.iter().enumerate() {
            let (host, input, mut output) = Host::channels(7 + i as u64);
            tokio::task::spawn_local(async move {
                let _ = serve::<RaftKv>(host).await;
            });
            let all_tx = all_tx.clone();
            tokio::task::spawn_local(async move {
                while let Some(env) = output.recv().await {
                    let _ = all_tx.send(env);
                }
            });
            inboxes.insert(id.to_string(), input);
        }
        let (reply_tx, replies) = mpsc::unbounded_channel();
        let cut: Rc<RefCell<BTreeSet<String>>> = Rc::default();
        let (routes, router_cut) = (inboxes.clone(), cut.clone());
        tokio::task::spawn_local(async move {
            while let Some(env) = all_rx.recv().await {
                match routes.get(&env.dest) {
                    Some(inbox) => {
                        let cut = router_cut.borrow().clone();
                        if !cut.contains(&env.src) && !cut.contains(&env.dest) {
                            let _ = inbox.send(Inbound::Message(env)).await;
                        }
                    }
                    None => {
                        let _ = reply_tx.send(env);
                    }
                }
            }
        });
        Net {
            inboxes,
            cut,
            replies,
            next_id: 0,
        }
    }

    /// Sends `body` from client `c1` to `node` and waits (5 s at most) for the reply.
    async fn request(&mut self, node: &str, mut body: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        body["msg_id"] = json!(id);
        let env = Envelope::new("c1", node, Body::from_value(body).unwrap());
        self.inboxes[node]
            .send(Inbound::Message(env))
            .await
            .unwrap();
        let wait = async {
            loop {
                let env = self.replies.recv().await.expect("router running");
                if env.dest == "c1" && env.body.in_reply_to == Some(id) {
                    return serde_json::to_value(env.body.to_map()).unwrap();
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .expect("a reply within 5 s")
    }

    async fn init(&mut self) {
        for id in IDS {
            let body = json!({"type": "init", "msg_id": 1, "node_id": id, "node_ids": IDS});
            let env = Envelope::new("c0", id, Body::from_value(body).unwrap());
            self.inboxes[id].send(Inbound::Message(env)).await.unwrap();
        }
    }
}

#[tokio::test(start_paused = true)]
async fn lin_kv_over_three_nodes_with_forwarding_and_a_partition() {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let mut net = Net::start();
            net.init().await;
            tokio::time::sleep(Duration::from_secs(1)).await;

            // Any node takes requests: followers forward them to the leader.
            let r = net
                .request("n1", json!({"type": "write", "key": 1, "value": 3}))
                .await;
            assert_eq!(r["type"], "write_ok", "{r}");
            let r = net.request("n2", json!({"type": "read", "key": 1})).await;
            assert_eq!(
                (r["type"].clone(), r["value"].clone()),
                (json!("read_ok"), json!(3))
            );
            let cas = json!({"type": "cas", "key": 1, "from": 3, "to": 4});
            let r = net.request("n3", cas.clone()).await;
            assert_eq!(r["type"], "cas_ok", "{r}");
            let r = net.request("n1", cas).await;
            assert_eq!(
                (r["type"].clone(), r["code"].clone()),
                (json!("error"), json!(22))
            );
            let r = net.request("n2", json!({"type": "read", "key": 9})).await;
            assert_eq!(
                (r["type"].clone(), r["code"].clone()),
                (json!("error"), json!(20))
            );

            // n1 cut off: the other two go on; n1 cannot answer successfully, and
            // says so with 11 (definite) or 0 (indefinite), never with stale data.
            net.cut.borrow_mut().insert("n1".into());
            tokio::time::sleep(Duration::from_secs(1)).await;
            let r = net
                .request("n2", json!({"type": "write", "key": 1, "value": 0}))
                .await;
            assert_eq!(r["type"], "write_ok", "{r}");
            let r = net.request("n1", json!({"type": "read", "key": 1})).await;
            assert_eq!(r["type"], "error", "{r}");
            assert!(r["code"] == json!(0) || r["code"] == json!(11), "{r}");

            // Healed: n1 catches up and reads the newest value.
            net.cut.borrow_mut().clear();
            tokio::time::sleep(Duration::from_secs(1)).await;
            let r = net.request("n1", json!({"type": "read", "key": 1})).await;
            assert_eq!(
                (r["type"].clone(), r["value"].clone()),
                (json!("read_ok"), json!(0))
            );
        })
        .await;
}
