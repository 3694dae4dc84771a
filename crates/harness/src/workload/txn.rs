//! txn-list-append and txn-rw-register: transactions of micro-ops over
//! integer keys, checked for the anomalies `--consistency-models` forbid.
//!
//! The generator is Elle's `wr-txns`: transactions of `--min-txn-length` to
//! `--max-txn-length` micro-ops, each a read or a write (an `append` for
//! list-append, a `w` for rw-register) 50/50, on keys from a pool of
//! `--key-count` active keys; a key's writes carry 1, 2, 3, ... and the key
//! is retired after `--max-writes-per-key` of them. Clients are reusable;
//! no op is idempotent, so a timeout or an indefinite error is `info` and a
//! definite one (e.g. 30, txn-conflict) is `fail`.
//!
//! Beyond upstream, txn-rw-register has a final phase: after the network
//! heals and the recovery wait, every key ever used is read once, alone, in
//! a transaction of its own (split across the workers). The checker takes
//! those reads as the keys' final state, the last version of each; without
//! them, two transactions that each wrote x and y but whose writes
//! interleave (x ends with T1's value, y with T2's) leave no trace in the
//! reads of a register, and that G0 goes unseen. List reads show the whole
//! order of a key, so txn-list-append needs no final phase.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_check::history::Op;
use maelstrom_check::txn::{self, models, TxnKind, TxnOpts, TxnResult};
use maelstrom_proto::Body;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

use super::kafka::gen::{KeyPool, MicroOp};
use super::{
    call, CheckOutput, ErrorMapping, FinalGen, FinalPhase, GenCtx, Generator, InvokeCtx,
    LocalFuture, Workload,
};
use crate::client::Client;
use crate::config::TestConfig;
use crate::history::{Completion, Invocation};

/// Elle's default pool size.
const DEFAULT_KEY_COUNT: usize = 10;

/// One of the two transactional workloads.
pub struct Txn {
    kind: TxnKind,
    key_count: usize,
    min_len: usize,
    max_len: usize,
    max_writes: usize,
    models: Vec<String>,
    /// One above the largest key the generator used (final reads go to
    /// every key below it).
    keys_used: Rc<Cell<u64>>,
}

impl Txn {
    /// The workload for `cfg`, or why its options cannot run it.
    pub fn new(kind: TxnKind, cfg: &TestConfig) -> Result<Self, String> {
        let key_count = cfg.key_count.unwrap_or(DEFAULT_KEY_COUNT);
        for (flag, v) in [
            ("--key-count", key_count),
            ("--min-txn-length", cfg.min_txn_length),
            ("--max-txn-length", cfg.max_txn_length),
            ("--max-writes-per-key", cfg.max_writes_per_key),
        ] {
            if v == 0 {
                return Err(format!("{flag} must be positive"));
            }
        }
        if cfg.min_txn_length > cfg.max_txn_length {
            return Err(format!(
                "--min-txn-length ({}) must not exceed --max-txn-length ({})",
                cfg.min_txn_length, cfg.max_txn_length
            ));
        }
        let unknown: Vec<&String> = cfg
            .consistency_models
            .iter()
            .filter(|m| !models::is_known(m))
            .collect();
        if let Some(m) = unknown.first() {
            return Err(format!(
                "unknown consistency model {m:?}: expected one of {}",
                models::known_models().join(", ")
            ));
        }
        Ok(Txn {
            kind,
            key_count,
            min_len: cfg.min_txn_length,
            max_len: cfg.max_txn_length,
            max_writes: cfg.max_writes_per_key,
            models: if cfg.consistency_models.is_empty() {
                vec![models::DEFAULT_MODEL.to_string()]
            } else {
                cfg.consistency_models.clone()
            },
            keys_used: Rc::new(Cell::new(0)),
        })
    }

    fn workload_name(&self) -> &'static str {
        match self.kind {
            TxnKind::ListAppend => "txn-list-append",
            TxnKind::RwRegister => "txn-rw-register",
        }
    }
}

/// Elle's `wr-txns` over a key pool (see the module docs).
struct TxnGen {
    pool: KeyPool,
    write: &'static str,
    min_len: usize,
    max_len: usize,
    keys_used: Rc<Cell<u64>>,
}

impl Generator for TxnGen {
    fn next(&mut self, rng: &mut StdRng, _ctx: &GenCtx) -> Option<Invocation> {
        let len = rng.random_range(self.min_len..=self.max_len);
        let mops: Vec<Value> = (0..len)
            .map(|_| {
                let (mop, key) = match self.pool.next(rng) {
                    MicroOp::Read(k) => (json!(["r", k, null]), k),
                    MicroOp::Append(k, v) => (json!([self.write, k, v]), k),
                };
                self.keys_used.set(self.keys_used.get().max(key + 1));
                mop
            })
            .collect();
        Some(Invocation::new("txn", Value::Array(mops)))
    }
}

/// One worker's final reads: one read-only transaction per key.
struct FinalReads(std::vec::IntoIter<u64>);

impl FinalGen for FinalReads {
    fn next(&mut self) -> Option<(Duration, Invocation)> {
        let k = self.0.next()?;
        Some((
            Duration::ZERO,
            Invocation::new("txn", json!([["r", k, null]])).final_(),
        ))
    }
}

impl Workload for Txn {
    fn name(&self) -> &'static str {
        self.workload_name()
    }
    fn reusable_clients(&self) -> bool {
        true
    }
    fn generator(&self) -> Box<dyn Generator> {
        Box::new(TxnGen {
            pool: KeyPool::new(self.key_count, self.max_writes),
            write: match self.kind {
                TxnKind::ListAppend => "append",
                TxnKind::RwRegister => "w",
            },
            min_len: self.min_len,
            max_len: self.max_len,
            keys_used: self.keys_used.clone(),
        })
    }
    fn final_phase(&self, concurrency: usize) -> Option<FinalPhase> {
        if self.kind != TxnKind::RwRegister || self.keys_used.get() == 0 {
            return None;
        }
        let n = concurrency.max(1) as u64;
        let workers = (0..n)
            .map(|w| {
                let keys: Vec<u64> = (0..self.keys_used.get()).filter(|k| k % n == w).collect();
                Box::new(FinalReads(keys.into_iter())) as Box<dyn FinalGen>
            })
            .collect();
        Some(FinalPhase {
            workers,
            time_limit: None,
        })
    }
    fn invoke<'a>(
        &'a self,
        client: &'a mut Client,
        ctx: InvokeCtx<'a>,
        op: &'a Invocation,
    ) -> LocalFuture<'a, Completion> {
        Box::pin(async move {
            let req = Body::new("txn").with("txn", op.value.clone());
            let mapping = ErrorMapping::WithErrors { idempotent: false };
            match call(client, &ctx, self.workload_name(), req, mapping).await {
                Ok(reply) => Completion::Ok(reply.get("txn").cloned().unwrap_or(Value::Null)),
                Err(c) => c,
            }
        })
    }
    fn check(&self, history: &[Op]) -> CheckOutput {
        let opts = TxnOpts {
            consistency_models: self.models.clone(),
            // Upstream's rw-register wrapper: any anomaly is invalid.
            allowed_anomalies_valid: self.kind == TxnKind::RwRegister,
            ..TxnOpts::default()
        };
        let r = txn::check(history, self.kind, &opts);
        CheckOutput::from_result(r.valid, &r).with_summary(|| summary(&r))
    }
}

/// A few lines for the terminal: the anomalies, the models ruled out, and
/// the first example of each type.
pub fn summary(r: &TxnResult) -> String {
    let mut lines = Vec::new();
    if let Some(reason) = &r.reason {
        lines.push(format!("Transactions checked partly: {reason}"));
    }
    if !r.anomaly_types.is_empty() {
        lines.push(format!("Anomalies: {}", r.anomaly_types.join(", ")));
        lines.push(format!("Not {}", r.not.join(", ")));
    }
    for (kind, examples) in r.anomalies.iter().take(4) {
        if let Some(a) = examples.first() {
            lines.push(format!("{kind}:"));
            lines.extend(a.explanation.iter().map(|l| format!("  {l}")));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NodeProgram;
    use rand::SeedableRng;

    fn cfg() -> TestConfig {
        TestConfig::new(
            "txn-rw-register",
            NodeProgram::Process {
                bin: "x".into(),
                args: vec![],
            },
        )
    }

    #[test]
    fn options_are_checked() {
        let mut c = cfg();
        assert!(Txn::new(TxnKind::RwRegister, &c).is_ok());
        c.consistency_models = vec!["serialisable".into()];
        assert!(Txn::new(TxnKind::RwRegister, &c)
            .err()
            .unwrap()
            .contains("serializable"));
        let mut c = cfg();
        c.min_txn_length = 5;
        assert!(Txn::new(TxnKind::ListAppend, &c).is_err());
        c.min_txn_length = 0;
        assert!(Txn::new(TxnKind::ListAppend, &c).is_err());
    }

    #[test]
    fn generator_lengths_values_and_final_reads() {
        let mut c = cfg();
        c.key_count = Some(3);
        c.min_txn_length = 2;
        c.max_txn_length = 3;
        c.max_writes_per_key = 4;
        let w = Txn::new(TxnKind::RwRegister, &c).unwrap();
        let mut g = w.generator();
        let mut rng = StdRng::seed_from_u64(7);
        let ctx = GenCtx {
            thread: 0,
            process: 0,
            elapsed: Duration::ZERO,
        };
        let mut writes: std::collections::BTreeMap<u64, Vec<u64>> = Default::default();
        for _ in 0..200 {
            let op = g.next(&mut rng, &ctx).unwrap();
            let mops = op.value.as_array().unwrap();
            assert!((2..=3).contains(&mops.len()), "{op:?}");
            for m in mops {
                if m[0] == "w" {
                    writes
                        .entry(m[1].as_u64().unwrap())
                        .or_default()
                        .push(m[2].as_u64().unwrap());
                } else {
                    assert_eq!((m[0].as_str(), &m[2]), (Some("r"), &Value::Null));
                }
            }
        }
        // Each key's writes are 1, 2, ... up to 4, then the key retires.
        assert!(writes.len() > 10);
        for vs in writes.values() {
            assert_eq!(*vs, (1..=vs.len() as u64).collect::<Vec<_>>());
            assert!(vs.len() <= 4);
        }
        let used = w.keys_used.get();
        let phase = w.final_phase(2).unwrap();
        let mut reads = Vec::new();
        for mut f in phase.workers {
            while let Some((_, op)) = f.next() {
                assert!(op.is_final);
                reads.push(op.value[0][1].as_u64().unwrap());
            }
        }
        reads.sort_unstable();
        assert_eq!(reads, (0..used).collect::<Vec<_>>());
        let la = Txn::new(TxnKind::ListAppend, &c).unwrap();
        la.generator().next(&mut rng, &ctx);
        assert!(la.final_phase(2).is_none());
    }
}
