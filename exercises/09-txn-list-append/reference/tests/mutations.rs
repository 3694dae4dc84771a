//! The chapter's missteps, which the checker must catch: each broken node
//! runs in simulation on a level's flags (grade.toml's, or the chapter's own
//! command where it shows the misstep on another) and is judged by the
//! anomaly types the checker names in results.json
//! (`workload.anomaly-types`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use exercise_testkit::{lookup, simulate, Levels, Outcome, Validity, Value};
use maelstrom_node::{Context, ErrorCode, Node, Request, RpcError};
use serde::Serialize;
use txn_list_append_reference::local::LocalTransactor;
use txn_list_append_reference::optimized::{CachedTransactorWith, Steps};
use txn_list_append_reference::shared::DB_KEY;
use txn_list_append_reference::thunks::Missing;
use txn_list_append_reference::{run, Key, List, MicroOp, Msg, Reply, Snapshot};

const WORKLOAD: &str = "txn-list-append";

/// A level's flags, from grade.toml.
fn level_args(name: &str) -> Vec<String> {
    Levels::load(env!("CARGO_MANIFEST_DIR"))
        .level(name)
        .args
        .clone()
}

/// Runs nodes `N` on `args` with seed 1.
fn sim<N: Node>(args: &[String]) -> Outcome {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    simulate::<N>(WORKLOAD, &args, 1)
}

/// The anomaly types of an invalid run; panics if the run was not invalid.
fn anomalies(outcome: &Outcome) -> Vec<String> {
    assert_eq!(outcome.valid, Validity::Invalid, "{:#}", outcome.results);
    lookup(&outcome.results, "workload.anomaly-types")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no anomaly types in {:#}", outcome.results))
        .iter()
        .filter_map(|t| t.as_str().map(String::from))
        .collect()
}

fn has(found: &[String], kind: &str) -> bool {
    found.iter().any(|t| t == kind)
}

/// Answers every transaction as it came, reads unfilled: the chapter's
/// first step.
struct NoState;

impl Node for NoState {
    type Msg = Msg;
    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(NoState)
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body;
        ctx.reply(&req, &Reply::TxnOk { txn: txn.clone() })
    }
}

/// Lists shared by reference, as Ruby's arrays are: a read keeps the stored
/// list itself and an append grows it in place, so the reply, written once
/// the transaction is done, shows a read containing appends made after it.
struct InPlace {
    db: RefCell<BTreeMap<Key, Rc<RefCell<List>>>>,
}

/// A micro-op as this mutant's reply holds it: a read keeps the list itself.
enum Aliased {
    Read(Key, Option<Rc<RefCell<List>>>),
    Append(Key, i64),
}

impl Serialize for Aliased {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let op = match self {
            Aliased::Read(k, v) => MicroOp::Read(*k, v.as_ref().map(|l| l.borrow().clone())),
            Aliased::Append(k, v) => MicroOp::Append(*k, *v),
        };
        op.serialize(s)
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum AliasedReply {
    TxnOk { txn: Vec<Aliased> },
}

impl Node for InPlace {
    type Msg = Msg;
    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(InPlace {
            db: RefCell::default(),
        })
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body;
        let mut db = self.db.borrow_mut();
        let mut done = Vec::new();
        for op in txn {
            match op {
                MicroOp::Read(k, _) => done.push(Aliased::Read(*k, db.get(k).cloned())),
                MicroOp::Append(k, v) => {
                    db.entry(*k).or_default().borrow_mut().push(*v);
                    done.push(Aliased::Append(*k, *v));
                }
            }
        }
        ctx.reply(&req, &AliasedReply::TxnOk { txn: done })
    }
}

/// Each list under a lin-kv key of its own, read and appended to by
/// read-then-cas one micro-op at a time: the chapter's first shared state.
/// Two transactions' micro-ops interleave.
struct KeyPerKey;

impl Node for KeyPerKey {
    type Msg = Msg;
    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(KeyPerKey)
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body;
        let kv = ctx.lin_kv();
        let mut done = Vec::new();
        for op in txn {
            match op {
                MicroOp::Read(k, _) => {
                    let list: Option<List> = kv.read_or(k, None).await?;
                    done.push(MicroOp::Read(*k, list));
                }
                MicroOp::Append(k, v) => {
                    let before: Option<List> = kv.read_or(k, None).await?;
                    let mut after = before.clone().unwrap_or_default();
                    after.push(*v);
                    kv.cas(k, &before, &after, true).await.map_err(|e| {
                        if e.code == ErrorCode::PreconditionFailed {
                            RpcError::crash("cas failed halfway through the transaction")
                        } else {
                            e
                        }
                    })?;
                    done.push(op.clone());
                }
            }
        }
        ctx.reply(&req, &Reply::TxnOk { txn: done })
    }
}

/// The database in one lin-kv key, as level b keeps it, but written back
/// with a plain `write`: whoever writes last wins, and the other's appends
/// are lost.
struct BlindWrite;

impl Node for BlindWrite {
    type Msg = Msg;
    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(BlindWrite)
    }
    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body;
        let kv = ctx.lin_kv();
        let before: Vec<(Key, List)> = kv.read_or(&DB_KEY, Vec::new()).await?;
        let db: Snapshot = before.into_iter().collect();
        let (done, written) = run(txn, &db);
        if !written.is_empty() {
            let mut after = db;
            after.extend(written);
            let after: Vec<(Key, List)> = after.into_iter().collect();
            kv.write(&DB_KEY, &after).await?;
        }
        ctx.reply(&req, &Reply::TxnOk { txn: done })
    }
}

/// Level d without the `cas` of read-only transactions.
struct SkipReadOnlyCas;

impl Steps for SkipReadOnlyCas {
    const VALIDATE_READ_ONLY: bool = false;
}

/// Level d taking a thunk lww-kv did not return as nil.
struct MissingAsNil;

impl Steps for MissingAsNil {
    const MISSING: Missing = Missing::Nil;
}

#[test]
fn no_state_is_internal() {
    // The chapter's command for it.
    let args: Vec<String> = ["--time-limit", "10", "--node-count", "1"]
        .map(String::from)
        .to_vec();
    let found = anomalies(&sim::<NoState>(&args));
    assert!(has(&found, "internal"), "{found:?}");
}

#[test]
fn lists_grown_in_place_are_internal() {
    let found = anomalies(&sim::<InPlace>(&level_args("a")));
    assert!(has(&found, "internal"), "{found:?}");
}

#[test]
fn a_database_per_node_is_incompatible_order() {
    // Level a's node, right on one node, on two: each has its own key 7.
    let found = anomalies(&sim::<LocalTransactor>(&level_args("b")));
    assert!(has(&found, "incompatible-order"), "{found:?}");
}

#[test]
fn a_lin_kv_key_per_key_interleaves() {
    let found = anomalies(&sim::<KeyPerKey>(&level_args("b")));
    // A read that changes within a transaction, and dependency cycles (the
    // chapter's run found G-single and G1b; which cycles form depends on
    // the interleaving).
    assert!(has(&found, "internal"), "{found:?}");
    assert!(
        ["G1b", "G1c", "G-single"].iter().any(|k| has(&found, k)),
        "no cycle in {found:?}"
    );
}

#[test]
fn writing_without_cas_loses_appends() {
    let found = anomalies(&sim::<BlindWrite>(&level_args("b")));
    assert!(has(&found, "incompatible-order"), "{found:?}");
}

#[test]
fn skipping_the_read_only_cas_is_stale_but_serializable() {
    let args = level_args("d");
    let found = anomalies(&sim::<CachedTransactorWith<SkipReadOnlyCas>>(&args));
    assert!(has(&found, "G-single-realtime"), "{found:?}");
    // The chapter's point: still serializable.
    let mut serializable = args.clone();
    let at = serializable
        .iter()
        .position(|a| a == "--consistency-models")
        .expect("level d names its model");
    serializable[at + 1] = "serializable".into();
    let outcome = sim::<CachedTransactorWith<SkipReadOnlyCas>>(&serializable);
    assert_eq!(outcome.valid, Validity::Valid, "{:#}", outcome.results);
}

#[test]
fn taking_a_missing_thunk_as_nil_reads_the_past() {
    let found = anomalies(&sim::<CachedTransactorWith<MissingAsNil>>(&level_args("d")));
    assert!(has(&found, "G-single-realtime"), "{found:?}");
}
