//! The replicated state machine: a key-value map with read, write and
//! compare-and-set, as the lin-kv workload expects.
//!
//! Every operation, reads included, goes through the Raft log and is applied here
//! in log order on every node, so every node computes the same results; the node
//! that took the client's request answers it with its own result.

use std::collections::BTreeMap;

use maelstrom_node::RpcError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A client operation as it is stored in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// Read a key.
    Read { key: Value },
    /// Set a key.
    Write { key: Value, value: Value },
    /// Set a key to `to` if it holds `from`.
    Cas { key: Value, from: Value, to: Value },
}

/// The map. Keys are JSON values, kept in their serialised form so any JSON key
/// (upstream uses integers) orders deterministically.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    data: BTreeMap<String, Value>,
}

impl Store {
    /// Applies one operation: the value read (for `Read`), `Null` otherwise, or the
    /// lin-kv error: 20 if the key is missing, 22 if a cas finds another value.
    pub fn apply(&mut self, command: &Command) -> Result<Value, RpcError> {
        match command {
            Command::Read { key } => {
                self.data.get(&key.to_string()).cloned().ok_or_else(|| {
                    RpcError::key_does_not_exist(format!("key {key} does not exist"))
                })
            }
            Command::Write { key, value } => {
                self.data.insert(key.to_string(), value.clone());
                Ok(Value::Null)
            }
            Command::Cas { key, from, to } => match self.data.get_mut(&key.to_string()) {
                None => Err(RpcError::key_does_not_exist(format!(
                    "key {key} does not exist"
                ))),
                Some(current) if current != from => Err(RpcError::precondition_failed(format!(
                    "key {key} holds {current}, not {from}"
                ))),
                Some(current) => {
                    *current = to.clone();
                    Ok(Value::Null)
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maelstrom_node::ErrorCode;
    use serde_json::json;

    #[test]
    fn read_write_cas_and_their_errors() {
        let mut s = Store::default();
        let read = Command::Read { key: json!(1) };
        assert_eq!(s.apply(&read).unwrap_err().code, ErrorCode::KeyDoesNotExist);
        let cas = Command::Cas {
            key: json!(1),
            from: json!(2),
            to: json!(3),
        };
        assert_eq!(s.apply(&cas).unwrap_err().code, ErrorCode::KeyDoesNotExist);
        s.apply(&Command::Write {
            key: json!(1),
            value: json!(1),
        })
        .unwrap();
        assert_eq!(
            s.apply(&cas).unwrap_err().code,
            ErrorCode::PreconditionFailed
        );
        s.apply(&Command::Cas {
            key: json!(1),
            from: json!(1),
            to: json!(4),
        })
        .unwrap();
        assert_eq!(s.apply(&read).unwrap(), json!(4));
    }
}
