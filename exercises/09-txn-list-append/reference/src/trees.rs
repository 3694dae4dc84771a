//! Level c: persistent trees. The database of level b, split up: each key's
//! list is an immutable thunk under a fresh lin-kv key, a map thunk pairs
//! each key with its list's id, and one mutable lin-kv key, [`ROOT_KEY`],
//! holds the id of the current map. A transaction reads the root, loads only
//! the lists it touches, and to commit writes a new thunk for each list it
//! changed and a new map (every other key still points at its old thunk:
//! structural sharing), then moves the root from the map it read to the new
//! one with a compare-and-set. The root CAS is the only mutation, so the
//! argument of level b holds unchanged: strict serializability, error 30
//! when another commit came first. What changes is the cost: a transaction
//! carries the lists it touches, not the whole database.
//!
//! Thunks are written before the CAS that publishes them, and lin-kv is
//! linearizable, so whoever reads the new root finds every thunk it names.
//! A thunk of a transaction whose CAS fails is garbage nobody ever reads.

use std::rc::Rc;

use maelstrom_node::{Context, Node, Request};
use rand::Rng;
use tokio::sync::Mutex;

use crate::shared::{before_commit, commit_error};
use crate::thunks::{Missing, Service, ThunkStore};
use crate::{keys_of, run, IdGen, Msg, Reply};

/// The lin-kv key holding the id of the current map thunk.
pub const ROOT_KEY: &str = "root";

/// The transactor on a tree of lin-kv thunks.
pub struct TreeTransactor {
    /// One transaction of this node at a time (see [`crate::shared`]).
    turn: Mutex<()>,
    ids: IdGen,
    thunks: ThunkStore,
}

impl Node for TreeTransactor {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        Ok(TreeTransactor {
            turn: Mutex::new(()),
            ids: IdGen::new(ctx.node_id(), ctx.rng().random()),
            thunks: ThunkStore::new(Service::LinKv, false, Missing::Fail),
        })
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body;
        let _turn = self.turn.lock().await;
        let kv = ctx.lin_kv();
        let root: Option<String> = kv.read_or(&ROOT_KEY, None).await.map_err(before_commit)?;
        let tree = self
            .thunks
            .tree(&ctx, root.as_deref())
            .await
            .map_err(before_commit)?;
        let snapshot = self
            .thunks
            .load(&ctx, &tree, &keys_of(txn))
            .await
            .map_err(before_commit)?;
        let (done, written) = run(txn, &snapshot);
        // Read-only: the root was current when lin-kv served it, inside this
        // transaction's lifetime, and the thunks it names never change.
        if !written.is_empty() {
            let (_, map) = self
                .thunks
                .save(&ctx, &self.ids, &tree, written)
                .await
                .map_err(before_commit)?;
            // From the root read (null: none yet, which the CAS creates).
            kv.cas(&ROOT_KEY, &root, &map, true)
                .await
                .map_err(commit_error)?;
        }
        ctx.reply(&req, &Reply::TxnOk { txn: done })
    }
}
