//! Broken nodes the txn-rw-register checker must catch, each run in
//! simulation on a level's flags and judged by the anomaly types the checker
//! names in results.json (`workload.anomaly-types`).
//!
//! Each mutant keeps plain registers (no stamps) and breaks one thing the
//! reference gets right: atomic replication (G0), never exposing a write of
//! a transaction that aborts (G1a), never exposing a transaction's
//! intermediate writes (G1b).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use exercise_testkit::{lookup, simulate, Validity, Value};
use maelstrom_node::{Context, Node, Request, RpcError};
use serde::{Deserialize, Serialize};
use txn_rw_register_reference::{Key, MicroOp};

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Msg {
    Txn { txn: Vec<MicroOp> },
    Put { key: Key, value: i64 },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out {
    TxnOk { txn: Vec<MicroOp> },
    Put { key: Key, value: i64 },
}

/// Registers without versions: the last write to arrive wins.
type Regs = RefCell<BTreeMap<Key, i64>>;

/// Reads and writes `txn` against `regs` in one step; returns the reply's
/// micro-ops and the writes in the order made.
fn run_txn(regs: &Regs, txn: &[MicroOp]) -> (Vec<MicroOp>, Vec<(Key, i64)>) {
    let mut regs = regs.borrow_mut();
    let mut done = Vec::new();
    let mut writes = Vec::new();
    for (f, k, v) in txn {
        if f == "w" {
            let v = v.expect("a write carries a value");
            regs.insert(*k, v);
            writes.push((*k, v));
            done.push((f.clone(), *k, Some(v)));
        } else {
            done.push((f.clone(), *k, regs.get(k).copied()));
        }
    }
    (done, writes)
}

/// Applies each transaction atomically where it runs, but replicates each
/// write as a message of its own, which the peer installs on arrival: a
/// peer's transactions interleave with half-applied remote ones, and the two
/// replicas end with different transactions' writes on different keys.
struct SplitWrites {
    regs: Regs,
}

impl Node for SplitWrites {
    type Msg = Msg;
    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(SplitWrites {
            regs: RefCell::default(),
        })
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        match &req.body {
            Msg::Txn { txn } => {
                let (done, writes) = run_txn(&self.regs, txn);
                ctx.reply(&req, &Out::TxnOk { txn: done })?;
                for (key, value) in writes {
                    for p in ctx.peers() {
                        ctx.send(p, &Out::Put { key, value })?;
                    }
                }
                Ok(())
            }
            Msg::Put { key, value } => {
                self.regs.borrow_mut().insert(*key, *value);
                Ok(())
            }
        }
    }
}

/// Installs every transaction's writes, then aborts every fifth one with
/// error 30 (txn-conflict) without undoing them: later reads see writes of
/// a transaction that failed.
struct ExposeAborted {
    regs: Regs,
    count: Cell<u64>,
}

impl Node for ExposeAborted {
    type Msg = Msg;
    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(ExposeAborted {
            regs: RefCell::default(),
            count: Cell::new(0),
        })
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body else {
            return Ok(());
        };
        let (done, writes) = run_txn(&self.regs, txn);
        // Counts to five and starts over (no `%`: clippy's suggestion needs
        // a newer Rust than the workspace's minimum).
        self.count.set(if self.count.get() == 4 {
            0
        } else {
            self.count.get() + 1
        });
        if !writes.is_empty() && self.count.get() == 0 {
            return Err(RpcError::txn_conflict("aborted, writes left in place").into());
        }
        ctx.reply(&req, &Out::TxnOk { txn: done })
    }
}

/// Installs a transaction's writes one at a time with a pause between them,
/// so a concurrent transaction can read a value its writer overwrote before
/// committing.
struct PausedWrites {
    regs: Regs,
}

impl Node for PausedWrites {
    type Msg = Msg;
    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(PausedWrites {
            regs: RefCell::default(),
        })
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body else {
            return Ok(());
        };
        let mut done = Vec::new();
        for (f, k, v) in txn {
            if f == "w" {
                self.regs.borrow_mut().insert(*k, v.expect("a value"));
                done.push((f.clone(), *k, *v));
                ctx.sleep(Duration::from_millis(1)).await;
            } else {
                done.push((f.clone(), *k, self.regs.borrow().get(k).copied()));
            }
        }
        ctx.reply(&req, &Out::TxnOk { txn: done })
    }
}

/// Flags of the challenge's runs, with a model and a node count.
fn args(nodes: &'static str, model: &'static str) -> Vec<&'static str> {
    vec![
        "--node-count",
        nodes,
        "--concurrency",
        "2n",
        "--time-limit",
        "20",
        "--rate",
        "1000",
        "--consistency-models",
        model,
    ]
}

/// The anomaly types of an invalid run; panics if the run was valid.
fn anomalies(outcome: exercise_testkit::Outcome) -> Vec<String> {
    assert_eq!(outcome.valid, Validity::Invalid, "{:#}", outcome.results);
    let types = lookup(&outcome.results, "workload.anomaly-types")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no anomaly types in {:#}", outcome.results));
    types
        .iter()
        .filter_map(|t| t.as_str().map(String::from))
        .collect()
}

#[test]
fn split_replication_is_g0() {
    let found = anomalies(simulate::<SplitWrites>(
        "txn-rw-register",
        &args("2", "read-uncommitted"),
        1,
    ));
    assert!(found.iter().any(|t| t == "G0"), "{found:?}");
}

#[test]
fn exposing_an_aborted_transaction_is_g1a() {
    let found = anomalies(simulate::<ExposeAborted>(
        "txn-rw-register",
        &args("1", "read-committed"),
        1,
    ));
    assert!(found.iter().any(|t| t == "G1a"), "{found:?}");
}

#[test]
fn exposing_intermediate_writes_is_g1b() {
    let found = anomalies(simulate::<PausedWrites>(
        "txn-rw-register",
        &args("1", "read-committed"),
        1,
    ));
    assert!(found.iter().any(|t| t == "G1b"), "{found:?}");
}
