//! kafka: append-only logs of messages per string key, with polls from
//! client-held offsets and committed offsets.
//!
//! The client keeps upstream's behaviour: each client tracks the offset its
//! next poll starts from, per assigned key; a poll advances those offsets past
//! what it returned and commits the highest polled offsets; an assign sets the
//! keys to poll (looking up committed offsets, whose answer upstream never
//! uses: a kept quirk); a crash op ends the client, and the worker opens a new
//! one. History values: send `[["send", k, m]]` → `[["send", k, [offset, m]]]`,
//! poll `[["poll"]]` → `[["poll", {k: [[offset, m], ...]}]]`, assign: the keys.

pub(crate) mod gen;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use maelstrom_check::history::Op;
use maelstrom_check::kafka::{self, KafkaOpts, KafkaResult};
use maelstrom_proto::Body;
use serde_json::{json, Map, Value};

use super::{
    call, CheckOutput, ErrorMapping, FinalGen, FinalPhase, Generator, InvokeCtx, LocalFuture,
    Workload,
};
use crate::client::Client;
use crate::config::TestConfig;
use crate::history::{Completion, Invocation};
use crate::rng;
use gen::{poll_max_offsets, FinalPolls, KafkaGen, KeyPool};

/// Upstream clips the final polls to this.
const FINAL_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the generators learn from completed ops, and each client's offsets.
#[derive(Debug, Default)]
pub struct Tracker {
    /// Each open client's next poll offset per assigned key, by client id.
    positions: BTreeMap<String, BTreeMap<String, i64>>,
    /// The highest offset of each key seen in ok sends and polls: what the
    /// final polls must reach.
    max_offsets: BTreeMap<String, i64>,
    /// Highest offsets sent and polled, for keys whose polls lag their sends.
    sent: BTreeMap<String, i64>,
    polled: BTreeMap<String, i64>,
}

impl Tracker {
    /// Keys with ok sends no ok poll has caught up with yet.
    fn unseen_keys(&self) -> impl Iterator<Item = &String> {
        self.sent.keys()
    }

    fn saw(&mut self, key: &str, offset: i64, sent: bool) {
        let e = self.max_offsets.entry(key.to_string()).or_insert(offset);
        *e = (*e).max(offset);
        let side = if sent {
            &mut self.sent
        } else {
            &mut self.polled
        };
        let e = side.entry(key.to_string()).or_insert(offset);
        *e = (*e).max(offset);
        // Forget keys whose polls have caught up with their sends.
        if self.polled.get(key).copied().unwrap_or(-1) >= self.sent.get(key).copied().unwrap_or(-1)
        {
            self.sent.remove(key);
            self.polled.remove(key);
        }
    }
}

/// The kafka workload.
pub struct Kafka {
    tracker: Rc<RefCell<Tracker>>,
    key_count: usize,
    max_writes_per_key: usize,
    concurrency: usize,
    seed: u64,
}

impl Kafka {
    /// The workload for `cfg` (`--key-count`, default 10, and
    /// `--max-writes-per-key` shape the key pool).
    pub fn new(cfg: &TestConfig) -> Self {
        Kafka {
            tracker: Rc::default(),
            key_count: cfg.key_count.unwrap_or(10),
            max_writes_per_key: cfg.max_writes_per_key,
            concurrency: cfg.concurrency,
            seed: cfg.seed,
        }
    }

    async fn send(&self, client: &mut Client, ctx: &InvokeCtx<'_>, op: &Invocation) -> Completion {
        let mop = op.value.get(0).cloned().unwrap_or(Value::Null);
        let (key, msg) = (mop.get(1).cloned(), mop.get(2).cloned());
        let (Some(key), Some(msg)) = (key, msg) else {
            return Completion::Fail(json!(["malformed-op", op.value.to_string()]));
        };
        let req = Body::new("send")
            .with("key", key.clone())
            .with("msg", msg.clone());
        let mapping = ErrorMapping::WithErrors { idempotent: false };
        match call(client, ctx, "kafka", req, mapping).await {
            Ok(reply) => {
                let offset = reply.get("offset").cloned().unwrap_or(Value::Null);
                if let (Some(k), Some(o)) = (key.as_str(), offset.as_i64()) {
                    self.tracker.borrow_mut().saw(k, o, true);
                }
                Completion::Ok(json!([["send", key, [offset, msg]]]))
            }
            Err(c) => c,
        }
    }

    async fn poll(&self, client: &mut Client, ctx: &InvokeCtx<'_>) -> Completion {
        let positions = self
            .tracker
            .borrow()
            .positions
            .get(client.id())
            .cloned()
            .unwrap_or_default();
        let req = Body::new("poll").with("offsets", json!(positions));
        let mapping = ErrorMapping::WithErrors { idempotent: false };
        let msgs = match call(client, ctx, "kafka", req, mapping).await {
            Ok(reply) => match reply.get("msgs") {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            },
            Err(c) => return c,
        };
        let value = json!([["poll", msgs]]);
        let highest = poll_max_offsets(&value);
        if !highest.is_empty() {
            // Upstream commits at least offset 0 for every key it polled.
            let commits: BTreeMap<&String, i64> =
                highest.iter().map(|(k, o)| (k, (*o).max(0))).collect();
            let req = Body::new("commit_offsets").with("offsets", json!(commits));
            // Unlike upstream, the client only moves past the polled messages
            // once the whole op succeeded: after a definite commit error the
            // op fails, the process keeps polling, and had it advanced, its
            // next poll would look like a skip over messages the history
            // never shows it receiving.
            if let Err(c) = call(client, ctx, "kafka", req, mapping).await {
                return c;
            }
        }
        let mut t = self.tracker.borrow_mut();
        let mine = t.positions.entry(client.id().to_string()).or_default();
        for key in msgs.keys() {
            // Past the highest offset returned; a key returned empty starts
            // at 0, as upstream.
            let next = highest.get(key).map_or(0, |o| o + 1);
            let e = mine.entry(key.clone()).or_insert(next);
            *e = (*e).max(next);
        }
        for (key, offset) in &highest {
            t.saw(key, *offset, false);
        }
        Completion::Ok(value)
    }

    async fn assign(
        &self,
        client: &mut Client,
        ctx: &InvokeCtx<'_>,
        op: &Invocation,
    ) -> Completion {
        let keys: Vec<String> = op
            .value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
        if !op.is_final {
            let req = Body::new("list_committed_offsets").with("keys", json!(keys));
            let mapping = ErrorMapping::WithErrors { idempotent: true };
            // Upstream looks the committed offsets up in the wrong map, so
            // their values are never used; the RPC still has to succeed.
            if let Err(c) = call(client, ctx, "kafka", req, mapping).await {
                return c;
            }
        }
        let mut t = self.tracker.borrow_mut();
        let old = t.positions.remove(client.id()).unwrap_or_default();
        // The final assign seeks to the beginning of every key.
        let new = reassign(&old, &keys, op.is_final);
        t.positions.insert(client.id().to_string(), new);
        Completion::Ok(op.value.clone())
    }
}

/// A client's poll positions after it is assigned `keys`, as upstream's
/// client: a key it still holds keeps its position, so its polls go on where
/// they were (the checker flags a poll that goes back or skips); a new key
/// starts at 0 (upstream's committed-offset lookup never yields a value); a
/// key no longer assigned is forgotten. Seeking to the beginning puts every
/// key at 0.
fn reassign(
    old: &BTreeMap<String, i64>,
    keys: &[String],
    seek_to_beginning: bool,
) -> BTreeMap<String, i64> {
    keys.iter()
        .map(|k| {
            let at = if seek_to_beginning {
                0
            } else {
                old.get(k).copied().unwrap_or(0)
            };
            (k.clone(), at)
        })
        .collect()
}

impl Workload for Kafka {
    fn name(&self) -> &'static str {
        "kafka"
    }
    fn reusable_clients(&self) -> bool {
        false
    }
    fn generator(&self) -> Box<dyn Generator> {
        Box::new(KafkaGen::new(
            KeyPool::new(self.key_count, self.max_writes_per_key),
            self.tracker.clone(),
            self.concurrency,
        ))
    }
    fn final_phase(&self, concurrency: usize) -> Option<FinalPhase> {
        let targets = self.tracker.borrow().max_offsets.clone();
        let workers = (0..concurrency)
            .map(|t| {
                let rng = rng::stream(self.seed, &format!("kafka-final-{t}"));
                Box::new(FinalPolls::new(targets.clone(), rng)) as Box<dyn FinalGen>
            })
            .collect();
        Some(FinalPhase {
            workers,
            time_limit: Some(FINAL_TIME_LIMIT),
        })
    }
    fn invoke<'a>(
        &'a self,
        client: &'a mut Client,
        ctx: InvokeCtx<'a>,
        op: &'a Invocation,
    ) -> LocalFuture<'a, Completion> {
        Box::pin(async move {
            let completion = match op.f.as_str() {
                "send" => self.send(client, &ctx, op).await,
                "poll" => self.poll(client, &ctx).await,
                "assign" => self.assign(client, &ctx, op).await,
                _ => Completion::Info(Value::Null, None),
            };
            if matches!(completion, Completion::Info(..)) {
                // The worker replaces this client: its offsets go with it.
                self.tracker.borrow_mut().positions.remove(client.id());
            }
            completion
        })
    }
    fn check(&self, history: &[Op]) -> CheckOutput {
        check(history)
    }
}

/// Runs the kafka checker, under its default budget.
fn check(history: &[Op]) -> CheckOutput {
    let r = kafka::check(history, &KafkaOpts::default());
    CheckOutput::from_result(r.valid, &r).with_summary(|| summary(&r))
}

/// A few lines for the terminal: the bad error types with counts, and the
/// first example of each.
fn summary(r: &KafkaResult) -> String {
    let mut lines = Vec::new();
    if let Some(reason) = &r.reason {
        lines.push(format!("Kafka check incomplete: {reason}"));
    }
    for t in &r.bad_error_types {
        let Some(e) = r.errors.get(t) else { continue };
        let example = e.errs.first().map(Value::to_string).unwrap_or_default();
        lines.push(format!("{t}: {} (e.g. {example})", e.count));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, o)| (k.to_string(), *o)).collect()
    }

    #[test]
    fn assign_keeps_retained_positions_and_drops_the_rest() {
        let old = positions(&[("a", 5), ("b", 3)]);
        let keys = ["a".to_string(), "c".to_string()];
        assert_eq!(
            reassign(&old, &keys, false),
            positions(&[("a", 5), ("c", 0)])
        );
        assert_eq!(
            reassign(&old, &keys, true),
            positions(&[("a", 0), ("c", 0)])
        );
        assert_eq!(reassign(&old, &[], false), BTreeMap::new());
    }
}
