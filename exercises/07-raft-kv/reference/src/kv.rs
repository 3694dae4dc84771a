//! The replicated state machine: a key-value map with read, write and
//! compare-and-set, as the lin-kv workload expects, that applies each client
//! request at most once.
//!
//! Every operation, reads included, goes through the Raft log and is applied here
//! in log order on every node, so every node computes the same results; the node
//! that took the client's request answers it with its own result.
//!
//! **At most once.** One client request can reach the log twice: the network may
//! duplicate the message that forwards it to the leader, or deliver it late, after
//! its node gave up waiting. Applied twice, a write could set a key back to an old
//! value after a later write had completed, which is not linearizable. So every
//! command carries its request's [`RequestId`] and the state machine keeps, per
//! node that takes client requests, a *session* (§6.3 of Ongaro's dissertation)
//! with the outcomes of its recent writes and cas: a command seen before gets the
//! first outcome again and changes nothing. Sessions stay small because each
//! command also says below which number its node's requests are all finished;
//! their outcomes are forgotten and, should they turn up again, they are not
//! applied (whoever asked got an indefinite answer, and "never happened" is a
//! valid outcome for it). Reads change nothing, so they are not tracked.

use std::collections::BTreeMap;

use maelstrom_node::{ErrorCode, RpcError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Names one client request, uniquely in the cluster and over the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequestId {
    /// The node that took the request from the client (its index in `node_ids`).
    pub node: usize,
    /// Which start of that node: a counter in its durable storage, bumped by every
    /// start, since a restarted node numbers its requests from 1 again.
    pub boot: u64,
    /// The request's number among that node's requests in this boot: 1, 2, 3, ...
    pub seq: u64,
}

/// An operation on the map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Read a key.
    Read { key: Value },
    /// Set a key.
    Write { key: Value, value: Value },
    /// Set a key to `to` if it holds `from`.
    Cas { key: Value, from: Value, to: Value },
}

/// A client operation as it is stored in the log: the operation and who asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    pub id: RequestId,
    /// Every request of `id`'s node and boot numbered below this one is finished:
    /// answered, or given up on.
    pub done_below: u64,
    pub op: Op,
}

/// An operation's result as the state machine keeps it and nodes send it to each
/// other: the value read (`Null` for a write or cas), or the error.
pub type Outcome = Result<Value, Failure>;

/// A serialisable [`RpcError`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub code: u32,
    pub text: String,
}

impl From<RpcError> for Failure {
    fn from(e: RpcError) -> Self {
        Failure {
            code: e.code.code(),
            text: e.text,
        }
    }
}

impl From<Failure> for RpcError {
    fn from(f: Failure) -> Self {
        RpcError::new(ErrorCode::from_code(f.code), f.text)
    }
}

/// What the state machine remembers of one node's requests (its latest boot).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Session {
    boot: u64,
    /// The highest `done_below` seen from this boot.
    done_below: u64,
    /// The outcomes of the applied writes and cas numbered `done_below` or more.
    outcomes: BTreeMap<u64, Outcome>,
}

/// The map. Keys are JSON values, kept in their serialised form so any JSON key
/// (upstream uses integers) orders deterministically.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    data: BTreeMap<String, Value>,
    /// By the index of the node that takes the requests.
    #[serde(default)]
    sessions: BTreeMap<usize, Session>,
}

impl Store {
    /// Applies one command, at most once per request: the value read (for `Read`),
    /// `Null` otherwise, or the lin-kv error: 20 if the key is missing, 22 if a cas
    /// finds another value; 0 (indefinite) for a request not applied because it
    /// was finished already.
    pub fn apply(&mut self, command: &Command) -> Result<Value, RpcError> {
        if let Op::Read { .. } = command.op {
            // Reads change nothing: a repeated one is harmless.
            return execute(&mut self.data, &command.op);
        }
        let id = command.id;
        let session = self.sessions.entry(id.node).or_default();
        if id.boot < session.boot {
            return Err(RpcError::timeout(format!(
                "{id:?} is from an earlier start of its node: not applied"
            )));
        }
        if id.boot > session.boot {
            *session = Session {
                boot: id.boot,
                ..Session::default()
            };
        }
        if command.done_below > session.done_below {
            session.done_below = command.done_below;
            session.outcomes = session.outcomes.split_off(&command.done_below);
        }
        if let Some(outcome) = session.outcomes.get(&id.seq) {
            return outcome.clone().map_err(RpcError::from);
        }
        if id.seq < session.done_below {
            return Err(RpcError::timeout(format!(
                "{id:?} was finished before it was applied: not applied"
            )));
        }
        let result = execute(&mut self.data, &command.op);
        let outcome = result.clone().map_err(Failure::from);
        session.outcomes.insert(id.seq, outcome);
        result
    }
}

/// Carries out one operation on the map.
fn execute(data: &mut BTreeMap<String, Value>, op: &Op) -> Result<Value, RpcError> {
    match op {
        Op::Read { key } => data
            .get(&key.to_string())
            .cloned()
            .ok_or_else(|| RpcError::key_does_not_exist(format!("key {key} does not exist"))),
        Op::Write { key, value } => {
            data.insert(key.to_string(), value.clone());
            Ok(Value::Null)
        }
        Op::Cas { key, from, to } => match data.get_mut(&key.to_string()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A command from node 0, boot 1.
    fn cmd(seq: u64, done_below: u64, op: Op) -> Command {
        Command {
            id: RequestId {
                node: 0,
                boot: 1,
                seq,
            },
            done_below,
            op,
        }
    }

    fn write(value: u64) -> Op {
        Op::Write {
            key: json!(1),
            value: json!(value),
        }
    }

    fn read(s: &mut Store) -> Value {
        s.apply(&cmd(0, 0, Op::Read { key: json!(1) })).unwrap()
    }

    #[test]
    fn read_write_cas_and_their_errors() {
        let mut s = Store::default();
        let read = cmd(1, 1, Op::Read { key: json!(1) });
        assert_eq!(s.apply(&read).unwrap_err().code, ErrorCode::KeyDoesNotExist);
        let cas = |seq, from, to| {
            cmd(
                seq,
                seq,
                Op::Cas {
                    key: json!(1),
                    from: json!(from),
                    to: json!(to),
                },
            )
        };
        let err = s.apply(&cas(2, 2, 3)).unwrap_err();
        assert_eq!(err.code, ErrorCode::KeyDoesNotExist);
        s.apply(&cmd(3, 3, write(1))).unwrap();
        let err = s.apply(&cas(4, 2, 3)).unwrap_err();
        assert_eq!(err.code, ErrorCode::PreconditionFailed);
        s.apply(&cas(5, 1, 4)).unwrap();
        assert_eq!(s.apply(&read).unwrap(), json!(4));
    }

    #[test]
    fn a_request_applied_twice_takes_effect_once() {
        let mut s = Store::default();
        s.apply(&cmd(1, 1, write(1))).unwrap();
        s.apply(&cmd(2, 1, write(2))).unwrap();
        // A late copy of request 1: same answer, no effect.
        s.apply(&cmd(1, 1, write(1))).unwrap();
        assert_eq!(read(&mut s), json!(2));
        // A cas repeated gets its first outcome, even though it would fail now.
        let cas = cmd(
            3,
            1,
            Op::Cas {
                key: json!(1),
                from: json!(2),
                to: json!(3),
            },
        );
        s.apply(&cas).unwrap();
        s.apply(&cas).unwrap();
        assert_eq!(read(&mut s), json!(3));
    }

    #[test]
    fn finished_and_stale_requests_are_not_applied() {
        let mut s = Store::default();
        s.apply(&cmd(1, 1, write(1))).unwrap();
        // Requests 1 to 4 are finished: 1's outcome is forgotten, and 2, never
        // applied, is refused if it turns up.
        s.apply(&cmd(5, 5, write(5))).unwrap();
        assert_eq!(s.sessions[&0].outcomes.len(), 1);
        let err = s.apply(&cmd(2, 1, write(2))).unwrap_err();
        assert_eq!(err.code, ErrorCode::Timeout);
        // The node restarted (boot 2): its earlier boot's requests are refused.
        let mut restarted = cmd(1, 1, write(6));
        restarted.id.boot = 2;
        s.apply(&restarted).unwrap();
        let err = s.apply(&cmd(7, 5, write(7))).unwrap_err();
        assert_eq!(err.code, ErrorCode::Timeout);
        assert_eq!(read(&mut s), json!(6));
    }
}
