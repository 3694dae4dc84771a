//! Level d: the chapter's optimisations of the tree of level c.
//!
//! - Thunks live in lww-kv, an eventually consistent store, which is
//!   cheaper to run than a linearizable one. They are immutable, so the only
//!   thing lww-kv can get wrong is not having one yet where a read lands:
//!   such a read is tried again until the thunk appears
//!   ([`Missing::Retry`]). Taking a missing thunk as nil reads the past
//!   (G-single-realtime).
//! - Thunks are cached forever, for the same reason.
//! - The root is cached too: a transaction runs speculatively on the tree
//!   this node saw last, and commits with a CAS of the root from that
//!   tree's id. If another node committed since, the CAS fails; the node
//!   waits a random moment (so that two nodes that keep colliding stop
//!   colliding), reloads the root and runs the transaction again. Clients
//!   then see no conflicts at all, and a node that is not contended skips
//!   the root read.
//! - A read-only transaction still does that CAS, from the cached id to
//!   itself: it is what proves the cached tree is still the current one.
//!   Skipping it is serializable but not strict serializable
//!   (G-single-realtime): a node that has not heard of a newer commit reads
//!   a stale tree after that commit was acknowledged.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;
use std::time::Duration;

use maelstrom_node::{Context, ErrorCode, Node, Request, RpcError};
use rand::Rng;
use tokio::sync::Mutex;

use crate::shared::{before_commit, commit_error};
use crate::thunks::{Missing, Service, ThunkStore, Tree};
use crate::trees::ROOT_KEY;
use crate::{keys_of, run, IdGen, Msg, Reply};

/// How long a transaction keeps trying to commit before error 30 gives up.
/// A bound in time rather than in attempts: a node whose cache is stale
/// must reload before each attempt, so under load it can lose many times in
/// a row to a node whose cache is current, and each attempt takes longer
/// then. Well under the clients' timeout, so the answer still arrives.
const RETRY_FOR: Duration = Duration::from_secs(3);

/// The longest random pause after a lost commit.
const MAX_BACKOFF: Duration = Duration::from_millis(50);

/// The choices of the chapter's optimisation section, as constants, so that
/// its missteps can be built and shown to fail (the reference's own tests).
pub trait Steps: 'static {
    /// Commit read-only transactions with a CAS of the root to itself.
    const VALIDATE_READ_ONLY: bool = true;
    /// What a read of a thunk lww-kv does not have yet does.
    const MISSING: Missing = Missing::Retry;
}

/// The chapter's final choices.
pub struct Chapter;

impl Steps for Chapter {}

/// The optimised transactor, with the chapter's final choices.
pub type CachedTransactor = CachedTransactorWith<Chapter>;

/// The optimised transactor, with choices `S`.
pub struct CachedTransactorWith<S: Steps> {
    /// One transaction of this node at a time: they share the cached root.
    turn: Mutex<()>,
    ids: IdGen,
    thunks: ThunkStore,
    /// The root this node saw last (its map's id, `None` for the empty
    /// database) and that map.
    root: RefCell<(Option<String>, Rc<Tree>)>,
    steps: PhantomData<S>,
}

impl<S: Steps> CachedTransactorWith<S> {
    /// Reads the current root and its tree into the cache.
    async fn reload(&self, ctx: &Context) -> Result<(), RpcError> {
        let root: Option<String> = ctx.lin_kv().read_or(&ROOT_KEY, None).await?;
        let tree = self.thunks.tree(ctx, root.as_deref()).await?;
        *self.root.borrow_mut() = (root, Rc::new(tree));
        Ok(())
    }
}

impl<S: Steps> Node for CachedTransactorWith<S> {
    type Msg = Msg;

    fn from_init(ctx: &Context) -> anyhow::Result<Self> {
        Ok(CachedTransactorWith {
            turn: Mutex::new(()),
            ids: IdGen::new(ctx.node_id(), ctx.rng().random()),
            thunks: ThunkStore::new(Service::LwwKv, true, S::MISSING),
            // A guess: the empty database. A wrong guess costs one failed CAS.
            root: RefCell::new((None, Rc::default())),
            steps: PhantomData,
        })
    }

    async fn handle(self: Rc<Self>, ctx: Context, req: Request<Msg>) -> anyhow::Result<()> {
        let Msg::Txn { txn } = &req.body;
        let _turn = self.turn.lock().await;
        let kv = ctx.lin_kv();
        let started = ctx.now();
        let mut attempts = 0;
        while attempts == 0 || ctx.now() - started < RETRY_FOR {
            attempts += 1;
            let (root, tree) = self.root.borrow().clone();
            let snapshot = self
                .thunks
                .load(&ctx, &tree, &keys_of(txn))
                .await
                .map_err(before_commit)?;
            let (done, written) = run(txn, &snapshot);
            let committed = if written.is_empty() {
                if !S::VALIDATE_READ_ONLY {
                    return ctx.reply(&req, &Reply::TxnOk { txn: done });
                }
                match &root {
                    // The cached tree is still current iff the root is unchanged.
                    Some(id) => kv.cas(&ROOT_KEY, id, id, false).await.map(|()| None),
                    // Nothing to CAS yet: the empty database is current iff
                    // there is still no root.
                    None => match kv.read_or::<Option<String>>(&ROOT_KEY, None).await {
                        Ok(None) => Ok(None),
                        Ok(Some(_)) => Err(RpcError::precondition_failed("a root appeared")),
                        Err(e) => Err(e),
                    },
                }
            } else {
                let (tree, map) = self
                    .thunks
                    .save(&ctx, &self.ids, &tree, written)
                    .await
                    .map_err(before_commit)?;
                kv.cas(&ROOT_KEY, &root, &map, true)
                    .await
                    .map(|()| Some((map, tree)))
            };
            match committed {
                Ok(new_root) => {
                    if let Some((map, tree)) = new_root {
                        *self.root.borrow_mut() = (Some(map), Rc::new(tree));
                    }
                    return ctx.reply(&req, &Reply::TxnOk { txn: done });
                }
                Err(e) if e.code == ErrorCode::PreconditionFailed => {
                    // Someone committed since this node last looked: nothing
                    // of this attempt is visible, so run it again on the new
                    // root, after a pause that breaks lockstep collisions.
                    let pause = ctx.rng().random_range(Duration::ZERO..MAX_BACKOFF);
                    ctx.sleep(pause).await;
                    self.reload(&ctx).await.map_err(before_commit)?;
                }
                Err(e) => return Err(commit_error(e).into()),
            }
        }
        Err(RpcError::txn_conflict(format!("lost the commit {attempts} times")).into())
    }
}
