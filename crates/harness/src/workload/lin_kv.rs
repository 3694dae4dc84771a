//! lin-kv: a linearizable key-value store of registers (read, write, cas).
//!
//! The generator is Jepsen's linearizable-register test: worker threads form
//! groups of 2n (n = node count), each group works on one integer key at a
//! time; the first n threads of a group only read, the others write (1/3) or
//! compare-and-set (2/3) values 0..4. A key is retired once 20 distinct
//! processes have used it (processes change after indeterminate ops), and the
//! group moves to the next unused key. The checker checks each key for
//! linearizability against upstream's cas-register model.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use maelstrom_check::history::Op;
use maelstrom_check::linearizable::{self, KeyResult, LinOpts, LinResult, ModelKind};
use maelstrom_check::Budget;
use maelstrom_proto::Body;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

use super::{call, CheckOutput, ErrorMapping, GenCtx, Generator, InvokeCtx, LocalFuture, Workload};
use crate::client::Client;
use crate::config::TestConfig;
use crate::history::{Completion, Invocation};

/// Distinct processes a key serves before it is retired (Jepsen's `process-limit`).
const PROCESSES_PER_KEY: usize = 20;
/// Values are drawn from `0..VALUES`.
const VALUES: u64 = 5;

/// The lin-kv workload.
pub struct LinKv {
    nodes: usize,
    timeout: Duration,
    budget: Budget,
}

impl LinKv {
    /// The workload for `cfg`, or why its concurrency cannot run it: upstream's
    /// generator needs whole groups of 2n threads.
    pub fn new(cfg: &TestConfig) -> Result<Self, String> {
        let group = 2 * cfg.nodes.len();
        if cfg.concurrency < group || !cfg.concurrency.is_multiple_of(group) {
            return Err(format!(
                "The lin-kv workload runs each key with 2n threads ({group}), so --concurrency ({}) \
                 must be a multiple of 2n. Consider --concurrency 2n.",
                cfg.concurrency
            ));
        }
        Ok(LinKv {
            nodes: cfg.nodes.len(),
            // Upstream: ten mean latencies, at least a second.
            timeout: (cfg.latency * 10).max(Duration::from_secs(1)),
            budget: Budget::default(),
        })
    }
}

/// One group of 2n threads and the key it is working on.
#[derive(Debug, Clone)]
struct Group {
    key: u64,
    processes: BTreeSet<i64>,
}

/// Jepsen's linearizable-register generator (see the module doc).
struct RegisterGen {
    nodes: usize,
    groups: BTreeMap<usize, Group>,
    next_key: u64,
}

impl RegisterGen {
    fn new(nodes: usize) -> Self {
        RegisterGen {
            nodes,
            groups: BTreeMap::new(),
            next_key: 0,
        }
    }

    /// The key the group of `ctx`'s thread uses for `ctx`'s process.
    fn key_for(&mut self, ctx: &GenCtx) -> u64 {
        let index = ctx.thread / (2 * self.nodes);
        // Groups take keys in the order they first ask, as Jepsen's
        // concurrent generator hands them out.
        let next_key = &mut self.next_key;
        let group = self.groups.entry(index).or_insert_with(|| {
            let key = *next_key;
            *next_key += 1;
            Group {
                key,
                processes: BTreeSet::new(),
            }
        });
        if !group.processes.contains(&ctx.process) && group.processes.len() >= PROCESSES_PER_KEY {
            group.key = self.next_key;
            self.next_key += 1;
            group.processes.clear();
        }
        group.processes.insert(ctx.process);
        group.key
    }
}

impl Generator for RegisterGen {
    fn next(&mut self, rng: &mut StdRng, ctx: &GenCtx) -> Option<Invocation> {
        let key = self.key_for(ctx);
        let reader = ctx.thread % (2 * self.nodes) < self.nodes;
        Some(if reader {
            Invocation::new("read", json!([key, null]))
        } else if rng.random_range(0..3) == 0 {
            Invocation::new("write", json!([key, rng.random_range(0..VALUES)]))
        } else {
            let (from, to) = (rng.random_range(0..VALUES), rng.random_range(0..VALUES));
            Invocation::new("cas", json!([key, [from, to]]))
        })
    }
}

/// Splits a `[key, value]` tuple.
fn tuple(v: &Value) -> (Value, Value) {
    match v.as_array().map(Vec::as_slice) {
        Some([k, x]) => (k.clone(), x.clone()),
        _ => (Value::Null, Value::Null),
    }
}

impl Workload for LinKv {
    fn name(&self) -> &'static str {
        "lin-kv"
    }
    fn reusable_clients(&self) -> bool {
        true
    }
    fn generator(&self) -> Box<dyn Generator> {
        Box::new(RegisterGen::new(self.nodes))
    }
    fn invoke<'a>(
        &'a self,
        client: &'a mut Client,
        ctx: InvokeCtx<'a>,
        op: &'a Invocation,
    ) -> LocalFuture<'a, Completion> {
        Box::pin(async move {
            let ctx = InvokeCtx {
                timeout: self.timeout,
                ..ctx
            };
            let (key, arg) = tuple(&op.value);
            let req = Body::new(op.f.as_str()).with("key", key.clone());
            let (req, idempotent) = match op.f.as_str() {
                "read" => (req, true),
                "write" => (req.with("value", arg), false),
                _ => {
                    let (from, to) = tuple(&arg);
                    (req.with("from", from).with("to", to), false)
                }
            };
            let mapping = ErrorMapping::WithErrors { idempotent };
            match call(client, &ctx, "lin-kv", req, mapping).await {
                Ok(reply) if op.f == "read" => Completion::Ok(json!([
                    key,
                    reply.get("value").cloned().unwrap_or(Value::Null)
                ])),
                Ok(_) => Completion::Ok(op.value.clone()),
                Err(c) => c,
            }
        })
    }
    fn check(&self, history: &[Op]) -> CheckOutput {
        let opts = LinOpts {
            budget: self.budget,
            ..LinOpts::default()
        };
        let r = linearizable::check(history, ModelKind::CasRegister, &opts);
        CheckOutput::from_result(r.valid, &r).with_summary(|| summary(&r))
    }
}

/// A few lines for the terminal: which keys failed and, for the first, the
/// window of operations that cannot be linearized.
pub fn summary(r: &LinResult) -> String {
    let mut lines = Vec::new();
    if let Some(reason) = &r.reason {
        lines.push(format!("Linearizability unknown: {reason}"));
    }
    if !r.failures.is_empty() {
        lines.push(format!(
            "{} of {} keys are not linearizable: {}",
            r.failures.len(),
            r.key_count,
            r.failures.join(", ")
        ));
    }
    if let Some(k) = r.failures.first().and_then(|k| r.results.get(k)) {
        lines.extend(explain_key(k));
    }
    for k in r.unknown.iter().filter_map(|k| r.results.get(k)).take(3) {
        lines.push(format!(
            "Key {} undecided: {}",
            k.key,
            k.reason.as_deref().unwrap_or("no reason given")
        ));
    }
    lines.join("\n")
}

fn explain_key(k: &KeyResult) -> Vec<String> {
    let Some(e) = &k.explanation else {
        return vec![format!("Key {}: no explanation", k.key)];
    };
    let mut lines = vec![format!(
        "Key {}: {} ops linearized, leaving the register at {}.",
        k.key, e.linearized_count, e.state
    )];
    if !e.last_linearized.is_empty() {
        let steps: Vec<String> = e
            .last_linearized
            .iter()
            .map(|(op, state)| format!("{} -> {state}", op.op))
            .collect();
        lines.push(format!("  last linearized: {}", steps.join(", ")));
    }
    if let Some(b) = &e.blocking_op {
        lines.push(format!(
            "Op {} ({}) must take effect before it returned, but no order of the ops \
             concurrent with it allows that:",
            b.index, b.op
        ));
    }
    for c in &e.candidates {
        let next = c.next_state.as_ref().map_or("impossible".to_string(), |s| {
            format!("register becomes {s}")
        });
        lines.push(format!("  op {} {}: {next}", c.op.index, c.op.op));
    }
    if let Some(n) = &e.null_read {
        lines.push(n.text.clone());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NodeProgram;
    use rand::SeedableRng;

    fn cfg(nodes: usize, concurrency: usize) -> TestConfig {
        let mut c = TestConfig::new(
            "lin-kv",
            NodeProgram::Process {
                bin: "x".into(),
                args: vec![],
            },
        );
        c.nodes = TestConfig::node_ids(nodes);
        c.concurrency = concurrency;
        c
    }

    #[test]
    fn concurrency_must_be_whole_groups() {
        for bad in [3, 5, 9] {
            let e = LinKv::new(&cfg(3, bad)).err().unwrap();
            assert!(e.contains("--concurrency 2n"), "{e}");
        }
        assert!(LinKv::new(&cfg(3, 6)).is_ok());
        assert!(LinKv::new(&cfg(3, 12)).is_ok());
    }

    #[test]
    fn timeout_is_ten_latencies_at_least_a_second() {
        let mut c = cfg(1, 2);
        assert_eq!(LinKv::new(&c).unwrap().timeout, Duration::from_secs(1));
        c.latency = Duration::from_millis(300);
        assert_eq!(LinKv::new(&c).unwrap().timeout, Duration::from_secs(3));
    }

    #[test]
    fn groups_read_write_and_retire_keys() {
        let mut g = RegisterGen::new(2);
        let mut rng = StdRng::seed_from_u64(1);
        let ctx = |thread: usize, process: i64| GenCtx {
            thread,
            process,
            elapsed: Duration::ZERO,
        };
        // Threads 0..4 form group 0 (key 0), 4..8 group 1 (key 1).
        for t in 0..8 {
            let op = g.next(&mut rng, &ctx(t, t as i64)).unwrap();
            let group = t / 4;
            assert_eq!(op.value[0], json!(group), "{op:?}");
            if t % 4 < 2 {
                assert_eq!(op.f, "read");
                assert_eq!(op.value[1], Value::Null);
            } else {
                assert!(op.f == "write" || op.f == "cas", "{op:?}");
            }
        }
        // Processes 0, 8, 16, ... of thread 0: the 21st distinct process of
        // group 0 gets a fresh key.
        for i in 1..17 {
            let op = g.next(&mut rng, &ctx(0, 8 * i)).unwrap();
            assert_eq!(op.value[0], json!(0), "process {}", 8 * i);
        }
        let op = g.next(&mut rng, &ctx(0, 8 * 17)).unwrap();
        assert_eq!(op.value[0], json!(2));
        // Known processes of group 0 now join key 2 as well.
        let op = g.next(&mut rng, &ctx(1, 1)).unwrap();
        assert_eq!(op.value[0], json!(2));
    }

    #[test]
    fn mix_is_a_third_writes() {
        let mut g = RegisterGen::new(1);
        let mut rng = StdRng::seed_from_u64(3);
        let ctx = GenCtx {
            thread: 1,
            process: 1,
            elapsed: Duration::ZERO,
        };
        let writes = (0..3000)
            .filter(|_| g.next(&mut rng, &ctx).unwrap().f == "write")
            .count();
        assert!((900..1100).contains(&writes), "{writes}");
    }
}
