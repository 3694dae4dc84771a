//! The key-value state machine shared by lin-kv, seq-kv and lww-kv.
//!
//! Keys and values are JSON values compared structurally (1, 1.0 and "1" differ);
//! keys are stored under their JSON text, which is canonical for the scalars
//! nodes use as keys.

use std::collections::BTreeMap;

use maelstrom_proto::{Body, RpcError};
use serde_json::Value;

/// One key-value map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KvState {
    map: BTreeMap<String, Value>,
}

/// Options that distinguish the KV flavours.
#[derive(Debug, Clone, Copy)]
pub struct KvRules {
    /// Whether `cas` honours `create_if_not_exists` (lww-kv does not).
    pub cas_creates: bool,
}

fn field<'a>(body: &'a Body, key: &str) -> Result<&'a Value, RpcError> {
    body.get(key).ok_or_else(|| {
        RpcError::malformed_request(format!("{} request has no `{key}` field", body.kind))
    })
}

impl KvState {
    /// Applies a `read`, `write` or `cas` request; the reply body without
    /// `in_reply_to`, or the error to send.
    pub fn apply(&mut self, body: &Body, rules: KvRules) -> Result<Body, RpcError> {
        let key = field(body, "key")?.to_string();
        match body.kind.as_str() {
            "read" => match self.map.get(&key) {
                Some(v) => Ok(Body::new("read_ok").with("value", v.clone())),
                None => Err(RpcError::key_does_not_exist("key does not exist")),
            },
            "write" => {
                self.map.insert(key, field(body, "value")?.clone());
                Ok(Body::new("write_ok"))
            }
            "cas" => {
                let from = field(body, "from")?;
                let to = field(body, "to")?.clone();
                let create = rules.cas_creates
                    && body.get("create_if_not_exists").and_then(Value::as_bool) == Some(true);
                match self.map.get(&key) {
                    Some(cur) if cur == from => {
                        self.map.insert(key, to);
                        Ok(Body::new("cas_ok"))
                    }
                    Some(cur) => Err(RpcError::precondition_failed(format!(
                        "current value {cur} is not {from}"
                    ))),
                    None if create => {
                        self.map.insert(key, to);
                        Ok(Body::new("cas_ok"))
                    }
                    None => Err(RpcError::key_does_not_exist("key does not exist")),
                }
            }
            other => Err(RpcError::not_supported(format!(
                "the key-value service does not support {other:?} requests"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maelstrom_proto::ErrorCode;
    use serde_json::json;

    const RULES: KvRules = KvRules { cas_creates: true };

    #[test]
    fn read_write_cas() {
        let mut kv = KvState::default();
        let read = Body::new("read").with("key", 1);
        assert_eq!(
            kv.apply(&read, RULES).unwrap_err().code,
            ErrorCode::KeyDoesNotExist
        );
        kv.apply(&Body::new("write").with("key", 1).with("value", 3), RULES)
            .unwrap();
        assert_eq!(
            kv.apply(&read, RULES).unwrap().get("value"),
            Some(&json!(3))
        );
        let cas = |f: i64, t: i64| {
            Body::new("cas")
                .with("key", 1)
                .with("from", f)
                .with("to", t)
        };
        assert_eq!(
            kv.apply(&cas(2, 4), RULES).unwrap_err().code,
            ErrorCode::PreconditionFailed
        );
        assert_eq!(kv.apply(&cas(3, 4), RULES).unwrap().kind, "cas_ok");
        // "1" is a different key from 1.
        let other = Body::new("read").with("key", "1");
        assert!(kv.apply(&other, RULES).is_err());
        let create = Body::new("cas")
            .with("key", 9)
            .with("from", 0)
            .with("to", 1)
            .with("create_if_not_exists", true);
        assert!(kv.apply(&create, RULES).is_ok());
        let mut lww = KvState::default();
        assert!(lww.apply(&create, KvRules { cas_creates: false }).is_err());
    }
}
