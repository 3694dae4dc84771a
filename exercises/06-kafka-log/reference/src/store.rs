//! The logs' home in `lin-kv`: offset counters and messages.
//!
//! - `"next/<key>"` holds the next free offset of `key`. A node takes an offset
//!   with `cas(o, o + 1)`; lin-kv is linearizable, so no two sends ever get the
//!   same offset, and offsets grow in the order sends take them.
//! - `"msg/<key>/<offset>"` holds the message at that offset, written once.

use maelstrom_node::{ErrorCode, KvClient, RpcError};
use serde_json::Value;

fn next_key(key: &str) -> String {
    format!("next/{key}")
}

fn msg_key(key: &str, offset: u64) -> String {
    format!("msg/{key}/{offset}")
}

/// Takes the next free offset of `key`, starting from the caller's `guess` (the
/// highest it has heard of), so an uncontended send costs a single `cas`.
/// Returns the offset and is told of newer ones by `learn` when the guess was
/// stale.
pub async fn allocate(
    kv: &KvClient,
    key: &str,
    mut guess: u64,
    mut learn: impl FnMut(u64),
) -> Result<u64, RpcError> {
    loop {
        // Only the very first offset of a key may create the counter.
        let create = guess == 0;
        match kv.cas(&next_key(key), &guess, &(guess + 1), create).await {
            Ok(()) => return Ok(guess),
            Err(e)
                if e.code == ErrorCode::PreconditionFailed
                    || e.code == ErrorCode::KeyDoesNotExist =>
            {
                guess = kv.read_or(&next_key(key), 0).await?;
                learn(guess);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Stores the message at `offset` of `key`. A timeout is retried (the write is
/// idempotent): an allocated offset without its message would stop every poll
/// of `key` there for good.
pub async fn put(kv: &KvClient, key: &str, offset: u64, msg: &Value) -> Result<(), RpcError> {
    loop {
        match kv.write(&msg_key(key, offset), msg).await {
            Err(e) if e.code == ErrorCode::Timeout => continue,
            other => return other,
        }
    }
}

/// The message at `offset` of `key`, or `None` if none is stored (yet).
pub async fn get(kv: &KvClient, key: &str, offset: u64) -> Result<Option<Value>, RpcError> {
    match kv.read(&msg_key(key, offset)).await {
        Ok(msg) => Ok(Some(msg)),
        Err(e) if e.code == ErrorCode::KeyDoesNotExist => Ok(None),
        Err(e) => Err(e),
    }
}
