//! Immutable values under fresh ids in a KV service (the chapter's thunks),
//! and the database as a tree of them: a map thunk of `[key, list-id]`
//! pairs, and a list thunk per key. Levels c and d share this; d stores the
//! thunks in lww-kv and caches them.
//!
//! A thunk is written once, under an id nobody used before, and never
//! changed, so any copy of it anywhere is current: that is what makes the
//! cache of level d always right, and what lets level d keep thunks in an
//! eventually consistent store, where the only thing that can go wrong is
//! not finding one yet.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use maelstrom_node::{Context, ErrorCode, KvClient, RpcError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::{IdGen, Key, List, Snapshot};

/// A database as its root's map thunk holds it: each key's list thunk id.
pub type Tree = BTreeMap<Key, String>;

/// How long to wait before reading a thunk that was not found again.
const MISSING_PAUSE: Duration = Duration::from_millis(10);

/// How many times to read a thunk that is not found before giving up.
const MISSING_TRIES: u32 = 100;

/// Where thunks live, whether they are cached, and what a read that does
/// not find one does.
pub struct ThunkStore {
    service: Service,
    missing: Missing,
    /// Every thunk read or written, by id (level d); `None`: no cache.
    cache: Option<RefCell<BTreeMap<String, Value>>>,
}

/// The KV service that holds the thunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// lin-kv: a thunk written before the root that names it is visible to
    /// whoever reads that root.
    LinKv,
    /// lww-kv: a thunk may not be visible yet where a read lands; missing
    /// thunks are read again until they appear.
    LwwKv,
}

/// What to do when a thunk the root names is not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Read it again, a little later, up to a bound (for lww-kv).
    Retry,
    /// Fail the transaction before it commits (for lin-kv, where it cannot
    /// happen).
    Fail,
    /// Take it as nil: the chapter's first lww-kv attempt, which reads the
    /// past. Only for showing that the checker catches it.
    Nil,
}

impl ThunkStore {
    /// Thunks in `service`, cached or not, handling missing ones as `missing`.
    pub fn new(service: Service, cached: bool, missing: Missing) -> ThunkStore {
        ThunkStore {
            service,
            missing,
            cache: cached.then(RefCell::default),
        }
    }

    fn kv(&self, ctx: &Context) -> KvClient {
        match self.service {
            Service::LinKv => ctx.lin_kv(),
            Service::LwwKv => ctx.lww_kv(),
        }
    }

    /// The value of thunk `id` (`None` only under [`Missing::Nil`]). The
    /// root named it, so it was written: a read that does not find it yet
    /// is tried again under [`Missing::Retry`].
    pub async fn get<T: DeserializeOwned>(
        &self,
        ctx: &Context,
        id: &str,
    ) -> Result<Option<T>, RpcError> {
        if let Some(v) = self
            .cache
            .as_ref()
            .and_then(|c| c.borrow().get(id).cloned())
        {
            return decode(id, v).map(Some);
        }
        let kv = self.kv(ctx);
        let mut tries = 0;
        let value: Value = loop {
            match kv.read(&id).await {
                Ok(v) => break v,
                Err(e) if e.code == ErrorCode::KeyDoesNotExist => match self.missing {
                    Missing::Retry if tries < MISSING_TRIES => {
                        tries += 1;
                        ctx.sleep(MISSING_PAUSE).await;
                    }
                    Missing::Nil => return Ok(None),
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            }
        };
        if let Some(c) = &self.cache {
            c.borrow_mut().insert(id.to_string(), value.clone());
        }
        decode(id, value).map(Some)
    }

    /// Writes `value` as thunk `id` (a fresh id).
    pub async fn put(
        &self,
        ctx: &Context,
        id: &str,
        value: &impl Serialize,
    ) -> Result<(), RpcError> {
        let value = serde_json::to_value(value)
            .map_err(|e| RpcError::crash(format!("cannot serialise thunk {id}: {e}")))?;
        self.kv(ctx).write(&id, &value).await?;
        if let Some(c) = &self.cache {
            c.borrow_mut().insert(id.to_string(), value);
        }
        Ok(())
    }

    /// The tree whose map thunk is `root` (`None`: the empty database).
    pub async fn tree(&self, ctx: &Context, root: Option<&str>) -> Result<Tree, RpcError> {
        match root {
            None => Ok(Tree::new()),
            Some(id) => Ok(self
                .get::<Vec<(Key, String)>>(ctx, id)
                .await?
                .unwrap_or_default()
                .into_iter()
                .collect()),
        }
    }

    /// The lists of `keys` in `tree` (keys it lacks were never written).
    pub async fn load(
        &self,
        ctx: &Context,
        tree: &Tree,
        keys: &[Key],
    ) -> Result<Snapshot, RpcError> {
        let mut snapshot = Snapshot::new();
        for k in keys {
            if let Some(id) = tree.get(k) {
                if let Some(list) = self.get::<List>(ctx, id).await? {
                    snapshot.insert(*k, list);
                }
            }
        }
        Ok(snapshot)
    }

    /// Writes each new list under a fresh id, then the new map under a fresh
    /// id, and returns the new tree and its map's id. Every thunk is written
    /// before anyone can learn its id (from the root, which changes last).
    pub async fn save(
        &self,
        ctx: &Context,
        ids: &IdGen,
        tree: &Tree,
        written: Snapshot,
    ) -> Result<(Tree, String), RpcError> {
        let mut tree = tree.clone();
        for (k, list) in written {
            let id = ids.fresh();
            self.put(ctx, &id, &list).await?;
            tree.insert(k, id);
        }
        let id = ids.fresh();
        let pairs: Vec<(&Key, &String)> = tree.iter().collect();
        self.put(ctx, &id, &pairs).await?;
        Ok((tree, id))
    }
}

fn decode<T: DeserializeOwned>(id: &str, v: Value) -> Result<T, RpcError> {
    serde_json::from_value(v)
        .map_err(|e| RpcError::crash(format!("thunk {id} is not what was written: {e}")))
}
