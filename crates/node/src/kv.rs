//! Clients of the harness's services: `lin-kv`, `seq-kv`, `lww-kv` and `lin-tso`.
//!
//! Errors come back as [`RpcError`]s with the service's code: check
//! [`RpcError::code`] against [`ErrorCode::KeyDoesNotExist`],
//! [`ErrorCode::PreconditionFailed`] or [`ErrorCode::Timeout`].

use std::time::Duration;

use maelstrom_proto::services::{KvRequest, TsoRequest, TsoResponse};
use maelstrom_proto::{ErrorCode, RpcError};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::{Context, DEFAULT_RPC_TIMEOUT};

/// A client of one KV service.
#[derive(Clone)]
pub struct KvClient {
    ctx: Context,
    service: &'static str,
    timeout: Duration,
}

#[derive(serde::Deserialize)]
struct ReadOk {
    value: Value,
}

fn to_value(v: &impl Serialize) -> Result<Value, RpcError> {
    serde_json::to_value(v).map_err(|e| RpcError::crash(format!("cannot serialise: {e}")))
}

impl KvClient {
    pub(crate) fn new(ctx: Context, service: &'static str) -> Self {
        KvClient {
            ctx,
            service,
            timeout: DEFAULT_RPC_TIMEOUT,
        }
    }

    /// The same client with another timeout per request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The service's id, e.g. `"lin-kv"`.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// Reads a key. A missing key is `Err` with code 20 (key does not exist).
    pub async fn read<T: DeserializeOwned>(&self, key: &impl Serialize) -> Result<T, RpcError> {
        let req = KvRequest::Read {
            key: to_value(key)?,
        };
        let reply: ReadOk = self.ctx.rpc_typed(self.service, &req, self.timeout).await?;
        serde_json::from_value(reply.value)
            .map_err(|e| RpcError::crash(format!("unexpected value in {}: {e}", self.service)))
    }

    /// Reads a key, or `default` if it does not exist.
    pub async fn read_or<T: DeserializeOwned>(
        &self,
        key: &impl Serialize,
        default: T,
    ) -> Result<T, RpcError> {
        match self.read(key).await {
            Err(e) if e.code == ErrorCode::KeyDoesNotExist => Ok(default),
            other => other,
        }
    }

    /// Writes a key.
    pub async fn write(
        &self,
        key: &impl Serialize,
        value: &impl Serialize,
    ) -> Result<(), RpcError> {
        let req = KvRequest::Write {
            key: to_value(key)?,
            value: to_value(value)?,
        };
        self.ctx
            .rpc_with_timeout(self.service, &req, self.timeout)
            .await
            .map(|_| ())
    }

    /// Sets `key` to `to` if it is `from`: code 22 (precondition failed) if it is
    /// not, code 20 if the key is missing, unless `create_if_not_exists`, which
    /// creates it with `to`.
    pub async fn cas(
        &self,
        key: &impl Serialize,
        from: &impl Serialize,
        to: &impl Serialize,
        create_if_not_exists: bool,
    ) -> Result<(), RpcError> {
        let req = KvRequest::Cas {
            key: to_value(key)?,
            from: to_value(from)?,
            to: to_value(to)?,
            create_if_not_exists,
        };
        self.ctx
            .rpc_with_timeout(self.service, &req, self.timeout)
            .await
            .map(|_| ())
    }
}

/// A client of the `lin-tso` timestamp oracle.
#[derive(Clone)]
pub struct TsoClient {
    ctx: Context,
    timeout: Duration,
}

impl TsoClient {
    pub(crate) fn new(ctx: Context) -> Self {
        TsoClient {
            ctx,
            timeout: DEFAULT_RPC_TIMEOUT,
        }
    }

    /// A new timestamp, greater than every one handed out before.
    pub async fn ts(&self) -> Result<u64, RpcError> {
        let reply: TsoResponse = self
            .ctx
            .rpc_typed(
                maelstrom_proto::services::LIN_TSO,
                &TsoRequest::Ts {},
                self.timeout,
            )
            .await?;
        let TsoResponse::TsOk { ts } = reply;
        Ok(ts)
    }
}
