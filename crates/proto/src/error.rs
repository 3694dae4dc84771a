//! Upstream Maelstrom's error registry and the error value carried by `error` bodies.

use serde_json::Value;

use crate::Body;

/// An error code from upstream's registry, or a user code (>= 1000 or unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    /// 0: the operation could not complete within a timeout (indefinite).
    Timeout,
    /// 1: the request went to a node that does not exist (definite).
    NodeNotFound,
    /// 10: the operation is not supported (definite).
    NotSupported,
    /// 11: the operation cannot be performed now, e.g. no leader (definite).
    TemporarilyUnavailable,
    /// 12: the request could not possibly be processed (definite).
    MalformedRequest,
    /// 13: a general indefinite error.
    Crash,
    /// 14: a general definite error.
    Abort,
    /// 20: the key does not exist (definite).
    KeyDoesNotExist,
    /// 21: the key already exists (definite).
    KeyAlreadyExists,
    /// 22: a precondition, such as a CAS `from` value, did not hold (definite).
    PreconditionFailed,
    /// 30: the transaction was aborted by a conflict (definite).
    TxnConflict,
    /// Any other code: user codes (>= 1000) and unknown reserved ones; indefinite.
    Other(u32),
}

impl ErrorCode {
    /// Every code in upstream's registry, in code order.
    pub const REGISTRY: [ErrorCode; 11] = [
        ErrorCode::Timeout,
        ErrorCode::NodeNotFound,
        ErrorCode::NotSupported,
        ErrorCode::TemporarilyUnavailable,
        ErrorCode::MalformedRequest,
        ErrorCode::Crash,
        ErrorCode::Abort,
        ErrorCode::KeyDoesNotExist,
        ErrorCode::KeyAlreadyExists,
        ErrorCode::PreconditionFailed,
        ErrorCode::TxnConflict,
    ];

    /// The numeric code.
    pub fn code(self) -> u32 {
        match self {
            ErrorCode::Timeout => 0,
            ErrorCode::NodeNotFound => 1,
            ErrorCode::NotSupported => 10,
            ErrorCode::TemporarilyUnavailable => 11,
            ErrorCode::MalformedRequest => 12,
            ErrorCode::Crash => 13,
            ErrorCode::Abort => 14,
            ErrorCode::KeyDoesNotExist => 20,
            ErrorCode::KeyAlreadyExists => 21,
            ErrorCode::PreconditionFailed => 22,
            ErrorCode::TxnConflict => 30,
            ErrorCode::Other(c) => c,
        }
    }

    /// The code for a number; unregistered numbers become [`ErrorCode::Other`].
    pub fn from_code(code: u32) -> Self {
        Self::REGISTRY
            .into_iter()
            .find(|c| c.code() == code)
            .unwrap_or(ErrorCode::Other(code))
    }

    /// Upstream's name, e.g. `"temporarily-unavailable"`; `"unknown"` for others.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::Timeout => "timeout",
            ErrorCode::NodeNotFound => "node-not-found",
            ErrorCode::NotSupported => "not-supported",
            ErrorCode::TemporarilyUnavailable => "temporarily-unavailable",
            ErrorCode::MalformedRequest => "malformed-request",
            ErrorCode::Crash => "crash",
            ErrorCode::Abort => "abort",
            ErrorCode::KeyDoesNotExist => "key-does-not-exist",
            ErrorCode::KeyAlreadyExists => "key-already-exists",
            ErrorCode::PreconditionFailed => "precondition-failed",
            ErrorCode::TxnConflict => "txn-conflict",
            ErrorCode::Other(_) => "unknown",
        }
    }

    /// Whether the error guarantees that the operation did not take place.
    pub fn is_definite(self) -> bool {
        !matches!(
            self,
            ErrorCode::Timeout | ErrorCode::Crash | ErrorCode::Other(_)
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

/// An error reply: a code and a human-readable text.
///
/// Node handlers return it (through `anyhow` or directly) to answer a request with
/// an `error` body carrying this code; RPC calls return it when the peer answered
/// with an error or did not answer in time.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {text}")]
pub struct RpcError {
    /// The error code.
    pub code: ErrorCode,
    /// A description for people.
    pub text: String,
}

impl RpcError {
    /// An error with a code and text.
    pub fn new(code: ErrorCode, text: impl Into<String>) -> Self {
        RpcError {
            code,
            text: text.into(),
        }
    }

    /// Error 0: timed out.
    pub fn timeout(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::Timeout, text)
    }

    /// Error 10: not supported.
    pub fn not_supported(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotSupported, text)
    }

    /// Error 11: temporarily unavailable.
    pub fn temporarily_unavailable(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::TemporarilyUnavailable, text)
    }

    /// Error 12: malformed request.
    pub fn malformed_request(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedRequest, text)
    }

    /// Error 13: crash (indefinite).
    pub fn crash(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::Crash, text)
    }

    /// Error 14: abort (definite).
    pub fn abort(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::Abort, text)
    }

    /// Error 20: key does not exist.
    pub fn key_does_not_exist(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::KeyDoesNotExist, text)
    }

    /// Error 22: precondition failed.
    pub fn precondition_failed(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::PreconditionFailed, text)
    }

    /// Error 30: transaction conflict.
    pub fn txn_conflict(text: impl Into<String>) -> Self {
        Self::new(ErrorCode::TxnConflict, text)
    }

    /// The `error` body answering the request `in_reply_to`.
    pub fn to_body(&self, in_reply_to: Option<u64>) -> Body {
        let mut body = Body::new("error").with("code", self.code.code());
        if !self.text.is_empty() {
            std::sync::Arc::make_mut(&mut body.fields)
                .insert("text".into(), Value::String(self.text.clone()));
        }
        body.in_reply_to = in_reply_to;
        body
    }
}
