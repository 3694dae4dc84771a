//! Reference solution of the txn-rw-register exercise: totally available
//! transactions over registers, replicated to every node.
//!
//! Each node keeps a full replica of every key ([`Store`]). A `txn` runs
//! entirely on the node that received it, in one synchronous step (no
//! `.await` between its micro-ops), so no other transaction on that node can
//! see part of it; the node answers at once and never waits for a peer,
//! which keeps it available on either side of a partition.
//!
//! A committed transaction's writes (only its last write to each key: the
//! others are intermediate) go to every peer as one unit, stamped with a
//! Lamport timestamp. A replica installs a write only if its stamp is newer
//! than the key's current one (last writer wins), so replicas that receive
//! the same transactions in different orders still converge, and every
//! key's version order follows the stamps: since a transaction's stamp is
//! above every stamp its node had seen, it follows both the versions it
//! overwrote and the versions it read. Neither write-write cycles (G0) nor
//! write-read cycles (G1c) can form, and as only committed transactions are
//! ever applied, no read sees an aborted (G1a) or intermediate (G1b) value.
//!
//! Replication is at least once: each node keeps a log of its own committed
//! transactions and, per peer, how much of it the peer acknowledged. A new
//! transaction is pushed at once (so that without faults replicas differ only
//! for a network delay), and every [`RESEND_PERIOD`] the unacknowledged tail
//! is sent again, so a partition only delays it. A peer applies an origin's
//! transactions in log order and acknowledges the length it has applied;
//! copies it already has change nothing.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::{Context, Node, Request, RpcError};
use serde::{Deserialize, Serialize};

/// How often a node resends to each peer what it has not acknowledged.
const RESEND_PERIOD: Duration = Duration::from_millis(200);

/// At most this many transactions per resend, so that the backlog of a long
/// partition does not go out as one huge message.
const MAX_BATCH: usize = 512;

/// A key of the workload.
pub type Key = u64;

/// A register's value; `None` is nil, a key never written.
pub type Value = Option<i64>;

/// One micro-op as the workload writes it: `["r", k, null]`, `["w", k, v]`.
/// In a reply, a read carries the value read.
pub type MicroOp = (String, Key, Value);

/// A Lamport timestamp, tie-broken by node id so that two nodes never stamp
/// alike: the order in which replicas install versions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp(pub u64, pub String);

/// A committed transaction as it travels: its stamp and final writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Committed {
    /// The transaction's stamp.
    pub stamp: Stamp,
    /// Its last write to each key it wrote, by key. (A list of pairs rather
    /// than a map: JSON object keys are strings, and these are integers.)
    pub writes: Vec<(Key, i64)>,
}

/// A replica of every register, with the stamp of each key's version.
#[derive(Debug, Default)]
pub struct Store {
    /// The Lamport clock: at least every stamp seen so far.
    clock: u64,
    regs: BTreeMap<Key, (Stamp, i64)>,
}

impl Store {
    /// The current value of `key`.
    pub fn get(&self, key: Key) -> Value {
        self.regs.get(&key).map(|(_, v)| *v)
    }

    /// Runs a transaction of `node` in one step: fills in its reads (a read
    /// after the transaction's own write sees that write) and installs its
    /// writes. Returns the reply's micro-ops and what peers must apply, or
    /// an error for an unknown micro-op, in which case nothing changed.
    pub fn run(
        &mut self,
        node: &str,
        txn: &[MicroOp],
    ) -> Result<(Vec<MicroOp>, Committed), RpcError> {
        let mut writes: BTreeMap<Key, i64> = BTreeMap::new();
        let mut done = Vec::with_capacity(txn.len());
        for (f, k, v) in txn {
            match (f.as_str(), v) {
                ("r", _) => {
                    let seen = writes.get(k).copied().or_else(|| self.get(*k));
                    done.push((f.clone(), *k, seen));
                }
                ("w", Some(v)) => {
                    writes.insert(*k, *v);
                    done.push((f.clone(), *k, Some(*v)));
                }
                _ => {
                    return Err(RpcError::malformed_request(format!(
                        "unknown micro-op {:?}",
                        (f, k, v)
                    )))
                }
            }
        }
        // The new stamp is above every stamp this replica holds, so the
        // writes always win here, and follow whatever the reads saw.
        self.clock += 1;
        let committed = Committed {
            stamp: Stamp(self.clock, node.to_string()),
            writes: writes.into_iter().collect(),
        };
        self.apply(&committed);
        Ok((done, committed))
    }

    /// Installs a committed transaction's writes, each only where it is
    /// newer than the key's version. Applying it twice changes nothing.
    pub fn apply(&mut self, txn: &Committed) {
        self.clock = self.clock.max(txn.stamp.0);
        for (k, v) in &txn.writes {
            match self.regs.get(k) {
                Some((s, _)) if *s >= txn.stamp => {}
                _ => {
                    self.regs.insert(*k, (txn.stamp.clone(), *v));
                }
            }
        }
    }
}

/// Client requests and replication.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// A transaction to run.
    Txn { txn: Vec<MicroOp> },
    /// Transactions of node `src`'s log from position `from` on, in order.
    /// No `msg_id`: the answer is a separate [`Msg::ReplicateAck`].
    Replicate { from: usize, txns: Vec<Committed> },
    /// The receiver applied the sender's first `upto` log entries of ours.
    ReplicateAck { upto: usize },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out<'a> {
    TxnOk { txn: Vec<MicroOp> },
    Replicate { from: usize, txns: &'a [Committed] },
    ReplicateAck { upto: usize },
}

/// The txn-rw-register node.
pub struct TxnNode {
    node_id: String,
    store: RefCell<Store>,
    /// Every transaction this node committed, in order.
    log: RefCell<Vec<Committed>>,
    /// Per peer: how much of `log` it acknowledged.
    acked: RefCell<BTreeMap<String, usize>>,
    /// Per origin: how much of its log this node applied.
    applied: RefCell<BTreeMap<String, usize>>,
}

impl TxnNode {
    /// Sends `peer` the log from `from` on, up to [`MAX_BATCH`] entries.
    fn push(&self, ctx: &Context, peer: &str, from: usize) -> anyhow::Result<()> {
        let log = self.log.borrow();
        if from >= log.len() {
            return Ok(());
        }
        let end = log.len().min(from + MAX_BATCH);
        ctx.send(
            peer,
            &Out::Replicate {
                from,
                txns: &log[from..end],
            },
        )
    }
}

impl Node for TxnNode {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        Ok(TxnNode {
            node_id: ctx.node_id().to_string(),
            store: RefCell::default(),
            log: RefCell::default(),
            acked: RefCell::new(ctx.peers().map(|p| (p.to_string(), 0)).collect()),
            applied: RefCell::default(),
        })
    }

    fn start(self: &Rc<Self>, ctx: &Context) {
        let (node, ctx2) = (self.clone(), ctx.clone());
        ctx.every(RESEND_PERIOD, move || {
            let behind: Vec<(String, usize)> = node
                .acked
                .borrow()
                .iter()
                .map(|(p, a)| (p.clone(), *a))
                .collect();
            let sent = behind
                .iter()
                .try_for_each(|(peer, from)| node.push(&ctx2, peer, *from));
            async move { sent }
        });
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        match &req.body {
            Msg::Txn { txn } => {
                let (done, committed) = self.store.borrow_mut().run(&self.node_id, txn)?;
                ctx.reply(&req, &Out::TxnOk { txn: done })?;
                if committed.writes.is_empty() {
                    // A read-only transaction has nothing to replicate.
                    return Ok(());
                }
                let at = {
                    let mut log = self.log.borrow_mut();
                    log.push(committed);
                    log.len() - 1
                };
                // Push the new entry to every peer now, so that without
                // faults replicas differ only for a network delay. A peer
                // that missed an earlier entry drops this one (it would
                // leave a gap) and gets both from the next resend.
                let peers: Vec<String> = ctx.peers().map(str::to_string).collect();
                peers.iter().try_for_each(|p| {
                    ctx.send(
                        p,
                        &Out::Replicate {
                            from: at,
                            txns: std::slice::from_ref(&self.log.borrow()[at]),
                        },
                    )
                })
            }
            Msg::Replicate { from, txns } => {
                let upto = {
                    let mut applied = self.applied.borrow_mut();
                    let next = applied.entry(req.src.clone()).or_default();
                    // Entries before `next` are already here; a gap after it
                    // waits for a resend, so each origin's log applies in order.
                    if *from <= *next {
                        let mut store = self.store.borrow_mut();
                        for t in txns.iter().skip(*next - *from) {
                            store.apply(t);
                        }
                        *next = (*next).max(from + txns.len());
                    }
                    *next
                };
                ctx.send(&req.src, &Out::ReplicateAck { upto })
            }
            Msg::ReplicateAck { upto } => {
                if let Some(a) = self.acked.borrow_mut().get_mut(&req.src) {
                    *a = (*a).max(*upto);
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(f: &str, k: Key, v: Value) -> MicroOp {
        (f.to_string(), k, v)
    }

    #[test]
    fn reads_see_the_store_then_the_transactions_own_writes() {
        let mut s = Store::default();
        s.run("n0", &[op("w", 1, Some(5))]).unwrap();
        let (done, c) = s
            .run(
                "n0",
                &[
                    op("r", 1, None),
                    op("w", 1, Some(6)),
                    op("w", 1, Some(7)),
                    op("r", 1, None),
                ],
            )
            .unwrap();
        assert_eq!(done[0].2, Some(5));
        assert_eq!(done[3].2, Some(7));
        // Only the last write to a key travels: 6 is intermediate.
        assert_eq!(c.writes, vec![(1, 7)]);
        assert_eq!(s.get(1), Some(7));
    }

    #[test]
    fn replicas_converge_whatever_the_order_and_copies() {
        let (mut a, mut b) = (Store::default(), Store::default());
        let (_, ta) = a
            .run("n0", &[op("w", 1, Some(1)), op("w", 2, Some(1))])
            .unwrap();
        let (_, tb) = b
            .run("n1", &[op("w", 1, Some(2)), op("w", 2, Some(2))])
            .unwrap();
        a.apply(&tb);
        b.apply(&ta);
        b.apply(&ta);
        // Equal clocks: the node id breaks the tie, the same way everywhere,
        // and one transaction's writes win on every key (no G0).
        assert_eq!((a.get(1), a.get(2)), (Some(2), Some(2)));
        assert_eq!((b.get(1), b.get(2)), (Some(2), Some(2)));
        // A later local transaction is stamped above everything seen.
        let (_, t) = a.run("n0", &[op("w", 1, Some(3))]).unwrap();
        assert!(t.stamp > tb.stamp);
    }

    #[test]
    fn an_unknown_micro_op_changes_nothing() {
        let mut s = Store::default();
        assert!(s
            .run("n0", &[op("w", 1, Some(1)), op("append", 1, Some(2))])
            .is_err());
        assert_eq!(s.get(1), None);
    }
}
