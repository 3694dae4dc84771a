//! Maelstrom's built-in services, as participants of the network.
//!
//! Each service is a task that receives requests, computes a reply and sends
//! it back to the requester with `in_reply_to` set (`null` when the request had
//! no `msg_id`). Unlike upstream, malformed or unknown requests get an error
//! reply (12 or 10) rather than silence, so a node sees its mistake.

mod kv;

use std::collections::{BTreeMap, VecDeque};

use maelstrom_proto::{Body, Envelope};
use rand::rngs::StdRng;
use rand::Rng;

pub use kv::{KvRules, KvState};

use crate::net::Net;
use crate::rng;

/// The ids of every built-in service.
pub const SERVICE_IDS: [&str; 4] = ["lin-kv", "seq-kv", "lww-kv", "lin-tso"];

/// A service's request handler.
pub trait Service {
    /// The reply to `body` from `src`, without `in_reply_to`.
    fn handle(&mut self, src: &str, body: &Body) -> Body;
}

fn reply_of(r: Result<Body, maelstrom_proto::RpcError>) -> Body {
    r.unwrap_or_else(|e| e.to_body(None))
}

const RULES: KvRules = KvRules { cas_creates: true };

/// lin-kv: one atomic map, every operation on the latest state.
#[derive(Default)]
pub struct LinKv(KvState);

impl Service for LinKv {
    fn handle(&mut self, _src: &str, body: &Body) -> Body {
        reply_of(self.0.apply(body, RULES))
    }
}

/// seq-kv: upstream's sequential model. Writes are totally ordered; each
/// requester may read any of the last 32 states no older than what it saw.
pub struct SeqKv {
    states: VecDeque<KvState>,
    /// Index of `states[0]` in the total order of states.
    base: u64,
    seen: BTreeMap<String, u64>,
    rng: StdRng,
}

const SEQ_BUFFER: usize = 32;

impl SeqKv {
    /// A seq-kv drawing from `rng`.
    pub fn new(rng: StdRng) -> Self {
        SeqKv {
            states: VecDeque::from([KvState::default()]),
            base: 0,
            seen: BTreeMap::new(),
            rng,
        }
    }
}

impl Service for SeqKv {
    fn handle(&mut self, src: &str, body: &Body) -> Body {
        let last = self.base + self.states.len() as u64 - 1;
        let floor = self.seen.get(src).copied().unwrap_or(0).max(self.base);
        let picked = self.rng.random_range(floor..=last);
        let snapshot = &self.states[(picked - self.base) as usize];
        let mut trial = snapshot.clone();
        let result = trial.apply(body, RULES);
        if &trial == snapshot {
            // Nothing changed: a (possibly stale) read or a failed cas.
            self.seen.insert(src.to_string(), picked);
            return reply_of(result);
        }
        let mut next = self.states.back().cloned().unwrap_or_default();
        let result = next.apply(body, RULES);
        self.states.push_back(next);
        if self.states.len() > SEQ_BUFFER {
            self.states.pop_front();
            self.base += 1;
        }
        self.seen.insert(src.to_string(), last + 1);
        reply_of(result)
    }
}

/// lww-kv: upstream's eventually consistent store, whose two replicas (by a
/// quirk of upstream's code) never converge: each request hits one at random.
pub struct LwwKv {
    replicas: [KvState; 2],
    rng: StdRng,
}

impl LwwKv {
    /// An lww-kv drawing from `rng`.
    pub fn new(rng: StdRng) -> Self {
        LwwKv {
            replicas: Default::default(),
            rng,
        }
    }
}

impl Service for LwwKv {
    fn handle(&mut self, _src: &str, body: &Body) -> Body {
        let i = self.rng.random_range(0..self.replicas.len());
        reply_of(self.replicas[i].apply(body, KvRules { cas_creates: false }))
    }
}

/// lin-tso: a linearizable timestamp oracle, 0, 1, 2, ...
#[derive(Default)]
pub struct LinTso(u64);

impl Service for LinTso {
    fn handle(&mut self, _src: &str, body: &Body) -> Body {
        if body.kind != "ts" {
            return maelstrom_proto::RpcError::not_supported(format!(
                "lin-tso does not support {:?} requests",
                body.kind
            ))
            .to_body(None);
        }
        let ts = self.0;
        self.0 += 1;
        Body::new("ts_ok").with("ts", ts)
    }
}

/// Registers every service on `net` and starts its task on the current LocalSet.
pub fn start_all(net: &Net, seed: u64) -> Vec<tokio::task::JoinHandle<()>> {
    let services: Vec<(&str, Box<dyn Service>)> = vec![
        ("lin-kv", Box::new(LinKv::default())),
        ("seq-kv", Box::new(SeqKv::new(rng::stream(seed, "seq-kv")))),
        ("lww-kv", Box::new(LwwKv::new(rng::stream(seed, "lww-kv")))),
        ("lin-tso", Box::new(LinTso::default())),
    ];
    services
        .into_iter()
        .map(|(id, mut svc)| {
            net.register(id);
            let net = net.clone();
            tokio::task::spawn_local(async move {
                while let Some(req) = net.recv(id).await {
                    let mut reply = svc.handle(&req.src, &req.body);
                    reply.in_reply_to = req.body.msg_id;
                    // The requester may be a closed client; nothing to do then.
                    let _ = net.send(Envelope::new(id, req.src, reply));
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use serde_json::json;

    #[test]
    fn seq_kv_reads_are_monotonic_per_node() {
        let mut kv = SeqKv::new(StdRng::seed_from_u64(1));
        for v in 0..20 {
            kv.handle("n1", &Body::new("write").with("key", "k").with("value", v));
        }
        let mut last = -1;
        for _ in 0..50 {
            let r = kv.handle("n2", &Body::new("read").with("key", "k"));
            if let Some(v) = r.get("value").and_then(|v| v.as_i64()) {
                assert!(v >= last, "went back from {last} to {v}");
                last = v;
            }
        }
        // The writer always sees its own latest write.
        let r = kv.handle("n1", &Body::new("read").with("key", "k"));
        assert_eq!(r.get("value"), Some(&json!(19)));
    }

    #[test]
    fn tso_counts_up() {
        let mut tso = LinTso::default();
        let a = tso.handle("n1", &Body::new("ts"));
        let b = tso.handle("n2", &Body::new("ts"));
        assert_eq!(
            (a.get("ts"), b.get("ts")),
            (Some(&json!(0)), Some(&json!(1)))
        );
    }
}
