//! Turning a Maelstrom history into typed, per-key operations.

use super::model::{
    CasOutcome, Interner, KvModel, KvOp, Operation, RegOp, RegisterModel, StringTable,
};
use super::{ModelKind, Partition};
use crate::history::{Op, OpType};
use crate::util::OrdValue;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Typed partitions of a history, one per key.
#[derive(Debug, Clone)]
pub enum Parts {
    /// For [`ModelKind::CasRegister`] and [`ModelKind::Register`].
    Register(Vec<Partition<RegisterModel>>),
    /// For [`ModelKind::KvRegister`].
    Kv(Vec<Partition<KvModel>>),
}

/// An invocation (position, op) and its completion, if any.
type Call<'a> = (u64, &'a Op, Option<(u64, &'a Op)>);

fn calls(history: &[Op]) -> Vec<Call<'_>> {
    let mut open: BTreeMap<i64, usize> = BTreeMap::new();
    let mut out: Vec<Call<'_>> = Vec::new();
    for (pos, op) in history.iter().enumerate().filter(|(_, o)| o.is_client()) {
        if op.kind == OpType::Invoke {
            open.insert(op.process, out.len());
            out.push((pos as u64, op, None));
        } else if let Some(i) = open.remove(&op.process) {
            out[i].2 = Some((pos as u64, op));
        }
    }
    out
}

/// (f, argument, ok result, timing) of one op, before typing.
type RawOp = (String, Value, Option<Value>, Operation<()>);

fn key_and_arg(v: &Value, what: &str) -> Result<(Value, Value), String> {
    match v.as_array().map(Vec::as_slice) {
        Some([k, x]) => Ok((k.clone(), x.clone())),
        _ => Err(format!("{what}: expected [key, value], got {v}")),
    }
}

fn key_name(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Splits a history into per-key typed operations for `model`.
///
/// Errors (as a reason string) on ops the model does not support or values
/// of the wrong shape.
pub fn partitions_from_history(history: &[Op], model: ModelKind) -> Result<Parts, String> {
    partitions_with_initial(history, model, None)
}

/// [`partitions_from_history`] with every key's register starting at
/// `initial` (`None`: nil for registers, `""` for the kv model).
pub fn partitions_with_initial(
    history: &[Op],
    model: ModelKind,
    initial: Option<&Value>,
) -> Result<Parts, String> {
    // key -> list of (op, call, ret, index) in the raw JSON form.
    let mut by_key: BTreeMap<OrdValue, Vec<RawOp>> = BTreeMap::new();
    for (pos, inv, comp) in calls(history) {
        let kind = comp.map_or(OpType::Info, |c| c.1.kind);
        if kind == OpType::Fail {
            continue;
        }
        let what = format!("op {} ({})", inv.index, inv.f);
        let (k, arg) = key_and_arg(&inv.value, &what)?;
        let out = match comp {
            Some((_, c)) if kind == OpType::Ok => Some(key_and_arg(&c.value, &what)?.1),
            _ => None,
        };
        let timing = Operation {
            op: (),
            call: pos,
            ret: comp.filter(|_| kind == OpType::Ok).map(|c| c.0),
            index: inv.index,
        };
        by_key
            .entry(OrdValue(k))
            .or_default()
            .push((inv.f.clone(), arg, out, timing));
    }
    match model {
        ModelKind::CasRegister | ModelKind::Register => {
            let mut parts = Vec::new();
            for (k, raw) in by_key {
                let mut values = Interner::new();
                let init = initial.map_or(0, |v| values.intern(v));
                let mut ops = Vec::new();
                for (f, arg, out, t) in raw {
                    let op = match (f.as_str(), &out) {
                        ("read", Some(v)) => RegOp::Read(values.intern(v)),
                        ("read", None) => RegOp::ReadAny,
                        ("write", _) => RegOp::Write(values.intern(&arg)),
                        ("cas", _) if model == ModelKind::CasRegister => {
                            let Some([from, to]) = arg.as_array().map(Vec::as_slice) else {
                                return Err(format!("cas op {}: expected [from, to]", t.index));
                            };
                            RegOp::Cas {
                                from: values.intern(from),
                                to: values.intern(to),
                                outcome: if out.is_some() {
                                    CasOutcome::Ok
                                } else {
                                    CasOutcome::Unknown
                                },
                            }
                        }
                        _ => {
                            return Err(format!(
                                "op {}: unsupported f {f:?} for {model:?}",
                                t.index
                            ))
                        }
                    };
                    ops.push(Operation {
                        op,
                        call: t.call,
                        ret: t.ret,
                        index: t.index,
                    });
                }
                parts.push(Partition {
                    key: key_name(&k.0),
                    model: RegisterModel::with_initial(Arc::new(values), init),
                    ops,
                });
            }
            Ok(Parts::Register(parts))
        }
        ModelKind::KvRegister => {
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            let mut parts = Vec::new();
            for (k, raw) in by_key {
                let mut strings = StringTable::default();
                let init = initial.map_or(0, |v| strings.intern(&text(v)));
                let mut ops = Vec::new();
                for (f, arg, out, t) in raw {
                    let op = match (f.as_str(), &out) {
                        ("get", Some(v)) => KvOp::Get(strings.intern(&text(v))),
                        ("get", None) => KvOp::GetAny,
                        ("put", _) => KvOp::Put(strings.intern(&text(&arg))),
                        ("append", _) => KvOp::Append(strings.intern(&text(&arg))),
                        _ => {
                            return Err(format!(
                                "op {}: unsupported f {f:?} for {model:?}",
                                t.index
                            ))
                        }
                    };
                    ops.push(Operation {
                        op,
                        call: t.call,
                        ret: t.ret,
                        index: t.index,
                    });
                }
                parts.push(Partition {
                    key: key_name(&k.0),
                    model: KvModel::with_initial(strings, init),
                    ops,
                });
            }
            Ok(Parts::Kv(parts))
        }
    }
}
