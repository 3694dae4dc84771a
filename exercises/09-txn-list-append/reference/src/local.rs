//! Level a: a single-node transactor. The database lives in the node's
//! memory and each transaction runs in one synchronous step (no `.await`
//! between its first micro-op and its last), so transactions on this node
//! never interleave: they execute one after the other, in the order they
//! arrive, and each is answered after it took effect. That is strict
//! serializability, for one node. A second node would keep a database of its
//! own, which is what level b fixes.

use std::cell::RefCell;
use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};

use crate::{run, Msg, Reply, Snapshot};

/// The single-node transactor.
pub struct LocalTransactor {
    db: RefCell<Snapshot>,
}

impl Node for LocalTransactor {
    type Msg = Msg;

    fn from_init(_ctx: &Context) -> anyhow::Result<Self> {
        Ok(LocalTransactor {
            db: RefCell::default(),
        })
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body;
        let done = {
            let mut db = self.db.borrow_mut();
            let (done, written) = run(txn, &db);
            // New lists replace old ones: a list someone read is never
            // changed in place.
            db.extend(written);
            done
        };
        ctx.reply(&req, &Reply::TxnOk { txn: done })
    }
}
