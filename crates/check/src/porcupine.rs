//! Parsers for Porcupine's benchmark histories (Jepsen etcd logs and kv EDN logs).
//!
//! etcd logs become one [`RegisterModel`] partition; kv logs become one
//! [`KvModel`] partition per key. Times are line numbers. Calls still open
//! at the end of a log never returned: they may take effect after their
//! call, or never.

pub mod corpus;

use crate::linearizable::{
    CasOutcome, Interner, KvModel, KvOp, Operation, Partition, RegOp, RegisterModel, StringTable,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A log line could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {msg}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub msg: String,
}

fn err(line: usize, msg: impl Into<String>) -> ParseError {
    ParseError {
        line,
        msg: msg.into(),
    }
}

#[derive(Debug, Clone, Copy)]
enum EtcdCall {
    Read,
    Write(u32),
    Cas(u32, u32),
}

fn int(values: &mut Interner, tok: &str, line: usize) -> Result<u32, ParseError> {
    let t = tok.trim_matches(|c| c == '[' || c == ']');
    let n: i64 = t
        .parse()
        .map_err(|_| err(line, format!("bad integer {tok:?}")))?;
    Ok(values.intern(&Value::from(n)))
}

/// Parses a Jepsen etcd log into one CAS-register partition (key `"etcd"`).
pub fn parse_etcd(text: &str) -> Result<Partition<RegisterModel>, ParseError> {
    let mut values = Interner::new();
    let mut open: BTreeMap<u64, (u64, u64, EtcdCall)> = BTreeMap::new();
    let mut ops = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        let Some((_, rest)) = line.split_once("jepsen.util - ") else {
            continue;
        };
        let toks: Vec<&str> = rest.split_whitespace().collect();
        let (Some(p), Some(&ty), Some(&f)) = (
            toks.first().and_then(|p| p.parse::<u64>().ok()),
            toks.get(1),
            toks.get(2),
        ) else {
            continue;
        };
        let args = &toks[3..];
        let pos = ln as u64;
        match (ty, f, args) {
            (":invoke", ":read", _) => {
                open.insert(p, (pos, ln as u64, EtcdCall::Read));
            }
            (":invoke", ":write", [v]) => {
                open.insert(
                    p,
                    (pos, ln as u64, EtcdCall::Write(int(&mut values, v, ln)?)),
                );
            }
            (":invoke", ":cas", [a, b]) => {
                let call = EtcdCall::Cas(int(&mut values, a, ln)?, int(&mut values, b, ln)?);
                open.insert(p, (pos, ln as u64, call));
            }
            (":ok" | ":fail", ":read" | ":write" | ":cas", _) => {
                let Some((call_pos, index, call)) = open.remove(&p) else {
                    return Err(err(ln, format!("return without call for process {p}")));
                };
                let op = match (ty, call, args) {
                    (":ok", EtcdCall::Read, ["nil"]) => RegOp::Read(0),
                    (":ok", EtcdCall::Read, [v]) => RegOp::Read(int(&mut values, v, ln)?),
                    (":fail", EtcdCall::Read, [":timed-out"]) => RegOp::ReadAny,
                    (":ok", EtcdCall::Write(v), _) => RegOp::Write(v),
                    (_, EtcdCall::Cas(from, to), _) => RegOp::Cas {
                        from,
                        to,
                        outcome: if ty == ":ok" {
                            CasOutcome::Ok
                        } else {
                            CasOutcome::Failed
                        },
                    },
                    _ => return Err(err(ln, format!("unexpected return {rest:?}"))),
                };
                ops.push(Operation {
                    op,
                    call: call_pos,
                    ret: Some(pos),
                    index,
                });
            }
            _ => {}
        }
    }
    for (_, (call, index, c)) in open {
        let op = match c {
            EtcdCall::Read => RegOp::ReadAny,
            EtcdCall::Write(v) => RegOp::Write(v),
            EtcdCall::Cas(from, to) => RegOp::Cas {
                from,
                to,
                outcome: CasOutcome::Unknown,
            },
        };
        ops.push(Operation {
            op,
            call,
            ret: None,
            index,
        });
    }
    ops.sort_by_key(|o| o.call);
    Ok(Partition {
        key: "etcd".into(),
        model: RegisterModel::new(Arc::new(values)),
        ops,
    })
}

/// One `{:k v, ...}` line of a kv log, as (keyword, value) pairs; values are
/// keywords (with the colon), integers, `nil` or strings (unquoted).
fn edn_map(line: &str) -> Option<Vec<(String, String)>> {
    let s = line.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let val = if chars.next_if_eq(&'"').is_some() {
            let mut v = String::new();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => v.push(chars.next()?),
                    c => v.push(c),
                }
            }
            v
        } else {
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != ',')).collect()
        };
        out.push((key, val));
    }
}

/// Parses a Porcupine kv log into one partition per key, sorted by key.
pub fn parse_kv(text: &str) -> Result<Vec<Partition<KvModel>>, ParseError> {
    struct Raw {
        f: String,
        key: String,
        value: String,
    }
    let mut open: BTreeMap<String, (u64, Raw)> = BTreeMap::new();
    let mut done: Vec<(u64, Option<u64>, Raw, Option<String>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let m = edn_map(line).ok_or_else(|| err(ln, "not an EDN map"))?;
        let get = |k: &str| m.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let (Some(p), Some(ty), Some(f), Some(key)) =
            (get(":process"), get(":type"), get(":f"), get(":key"))
        else {
            return Err(err(ln, "missing :process, :type, :f or :key"));
        };
        let value = get(":value").filter(|v| v != "nil").unwrap_or_default();
        match ty.as_str() {
            ":invoke" => {
                open.insert(p, (ln as u64, Raw { f, key, value }));
            }
            ":ok" => {
                let (call, raw) = open
                    .remove(&p)
                    .ok_or_else(|| err(ln, format!("return without call for process {p}")))?;
                done.push((call, Some(ln as u64), raw, Some(value)));
            }
            other => return Err(err(ln, format!("unexpected type {other}"))),
        }
    }
    for (_, (call, raw)) in open {
        done.push((call, None, raw, None));
    }
    done.sort_by_key(|d| d.0);
    let mut by_key: BTreeMap<String, (StringTable, Vec<Operation<KvOp>>)> = BTreeMap::new();
    for (call, ret, raw, out) in done {
        let (strings, ops) = by_key.entry(raw.key.clone()).or_default();
        let op = match (raw.f.as_str(), out) {
            (":get", Some(v)) => KvOp::Get(strings.intern(&v)),
            (":get", None) => KvOp::GetAny,
            (":put", _) => KvOp::Put(strings.intern(&raw.value)),
            (":append", _) => KvOp::Append(strings.intern(&raw.value)),
            (f, _) => return Err(err(call as usize, format!("unknown function {f}"))),
        };
        ops.push(Operation {
            op,
            call,
            ret,
            index: call,
        });
    }
    Ok(by_key
        .into_iter()
        .map(|(key, (strings, ops))| Partition {
            key,
            model: KvModel::new(strings),
            ops,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linearizable::{check_partitions, LinOpts};
    use crate::Validity;

    #[test]
    fn etcd_lines() {
        let log = "INFO  jepsen.util - 0\t:invoke\t:write\t1\n\
                   INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2]\n\
                   INFO  jepsen.util - 0\t:ok\t:write\t1\n\
                   INFO  jepsen.util - 1   :fail   :cas    [1 2]\n\
                   INFO  jepsen.util - 2\t:invoke\t:read\tnil\n\
                   INFO  jepsen.util - 2\t:ok\t:read\t1\n\
                   INFO  jepsen.util - 3\t:invoke\t:write\t4\n\
                   INFO  jepsen.util - 3\t:info\t:write\t:timed-out\n\
                   some other line\n";
        let p = parse_etcd(log).unwrap();
        assert_eq!(p.ops.len(), 4);
        assert_eq!(p.ops[3].ret, None);
        // The failed cas must precede the write: impossible after 1 was read... it is
        // concurrent with the write, so it can go first (state nil != 1).
        let r = check_partitions(vec![p], &LinOpts::default());
        assert_eq!(r.valid, Validity::Valid);
    }

    #[test]
    fn kv_lines() {
        let log = r#"{:process 0, :type :invoke, :f :append, :key "a", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :get, :key "a", :value nil}
{:process 0, :type :ok, :f :append, :key "a", :value "x 0 0 y"}
{:process 1, :type :ok, :f :get, :key "a", :value ""}
{:process 1, :type :invoke, :f :get, :key "b", :value nil}
{:process 1, :type :ok, :f :get, :key "b", :value "zz"}
"#;
        let parts = parse_kv(log).unwrap();
        assert_eq!(parts.len(), 2);
        let r = check_partitions(parts, &LinOpts::default());
        assert_eq!(r.failures, vec!["b".to_string()]);
        assert_eq!(r.results["a"].valid, Validity::Valid);
    }
}
