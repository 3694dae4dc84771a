//! From history operations to compact transactions: keys and values are
//! interned to `u32`s so the analyses hash and compare small integers, and
//! every transaction's micro-ops (and every list a read returned) live in
//! flat arrays shared by the whole history, so a million transactions cost
//! a few allocations rather than millions. Operations are read one at a
//! time ([`Builder::push`]), so a history never needs to be held as JSON.

use crate::history::{Op, OpType};
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A fast multiplicative hasher for small integer keys. Only lookups use
/// the maps built with it; nothing iterates them to shape output.
#[derive(Default, Clone, Copy)]
pub(crate) struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        // SplitMix64's finaliser: the table indexes by the low bits, and
        // packed (key, value) pairs differ mostly in their high bits.
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A `HashMap` keyed by small integers (see [`IntHasher`]).
pub(crate) type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

/// A key or a value as the history spelled it: an integer, or any other
/// JSON value kept as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Atom {
    Int(i64),
    Other(String),
}

impl Atom {
    fn of(v: &Value) -> Atom {
        match v.as_i64() {
            Some(n) => Atom::Int(n),
            None => Atom::Other(v.to_string()),
        }
    }
}

impl std::fmt::Display for Atom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Atom::Int(n) => write!(f, "{n}"),
            Atom::Other(s) => f.write_str(s),
        }
    }
}

/// Interns atoms to dense ids in order of first appearance (deterministic).
#[derive(Default)]
pub(crate) struct Interner {
    ints: IntMap<i64, u32>,
    others: HashMap<String, u32>,
    pub(crate) atoms: Vec<Atom>,
}

impl Interner {
    pub(crate) fn id(&mut self, v: &Value) -> u32 {
        let next = self.atoms.len() as u32;
        match Atom::of(v) {
            Atom::Int(n) => *self.ints.entry(n).or_insert_with(|| {
                self.atoms.push(Atom::Int(n));
                next
            }),
            Atom::Other(s) => {
                if let Some(&id) = self.others.get(&s) {
                    return id;
                }
                self.others.insert(s.clone(), next);
                self.atoms.push(Atom::Other(s));
                next
            }
        }
    }
}

/// How a transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Info,
    Fail,
}

/// A list a read returned: `(start, len)` in [`Parsed::elems`].
pub(crate) type ListRef = (u32, u32);

/// One micro-operation. Read values are present for `ok` transactions only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mop {
    /// A register read: `None` for nil (or unknown, in a non-ok txn).
    ReadReg { key: u32, val: Option<u32> },
    /// A list read: `None` when the value is unknown (non-ok txn).
    ReadList { key: u32, val: Option<ListRef> },
    /// A register write or a list append.
    Write { key: u32, val: u32 },
}

impl Mop {
    pub(crate) fn key(&self) -> u32 {
        match self {
            Mop::ReadReg { key, .. } | Mop::ReadList { key, .. } | Mop::Write { key, .. } => *key,
        }
    }
}

/// A transaction: one invocation and its completion.
#[derive(Debug, Clone)]
pub(crate) struct Txn {
    /// The invocation's `index` (names the transaction: `T<index>`).
    pub(crate) index: u64,
    pub(crate) process: i64,
    pub(crate) status: Status,
    /// History positions of the invocation and completion (`u64::MAX` when
    /// the transaction never completed or ended `info`).
    pub(crate) invoke_pos: u64,
    pub(crate) complete_pos: u64,
    /// True for operations of the final phase.
    pub(crate) final_: bool,
    /// Its micro-ops: `start..end` in [`Parsed::mops`].
    pub(crate) mops: (u32, u32),
    /// The op reports show (the completion of an ok transaction, the
    /// invocation of the others): its history position, index and time.
    pub(crate) op_pos: u64,
    pub(crate) op_index: u64,
    pub(crate) op_time: u64,
}

/// The parsed history.
pub(crate) struct Parsed<'h> {
    /// The operations as recorded, when the caller kept them: reports then
    /// quote them verbatim; otherwise they are rebuilt from the micro-ops.
    pub(crate) history: Option<&'h [Op]>,
    pub(crate) grammar: Grammar,
    pub(crate) txns: Vec<Txn>,
    pub(crate) mops: Vec<Mop>,
    pub(crate) elems: Vec<u32>,
    pub(crate) keys: Interner,
    pub(crate) vals: Interner,
    /// Transactions whose value could not be read (counted, then ignored).
    pub(crate) malformed: u64,
}

impl Parsed<'_> {
    /// The micro-ops of transaction `t`.
    pub(crate) fn mops(&self, t: usize) -> &[Mop] {
        let (a, b) = self.txns[t].mops;
        &self.mops[a as usize..b as usize]
    }

    /// The elements of a list read.
    pub(crate) fn list(&self, (start, len): ListRef) -> &[u32] {
        &self.elems[start as usize..(start + len) as usize]
    }

    /// Transaction `t`'s op as JSON, for reports.
    pub(crate) fn op_json(&self, t: usize) -> Value {
        let txn = &self.txns[t];
        if let Some(op) = self.history.and_then(|h| h.get(txn.op_pos as usize)) {
            return serde_json::to_value(op).unwrap_or(Value::Null);
        }
        let atom = |a: &Atom| match a {
            Atom::Int(n) => Value::from(*n),
            Atom::Other(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())),
        };
        let key = |k: u32| atom(&self.keys.atoms[k as usize]);
        let val = |v: u32| atom(&self.vals.atoms[v as usize]);
        let mops: Vec<Value> = self
            .mops(t)
            .iter()
            .map(|m| match *m {
                Mop::ReadReg { key: k, val: v } => {
                    Value::Array(vec!["r".into(), key(k), v.map_or(Value::Null, val)])
                }
                Mop::ReadList { key: k, val: l } => Value::Array(vec![
                    "r".into(),
                    key(k),
                    l.map_or(Value::Null, |l| {
                        Value::Array(self.list(l).iter().map(|&e| val(e)).collect())
                    }),
                ]),
                Mop::Write { key: k, val: v } => {
                    let f = match self.grammar {
                        Grammar::List => "append",
                        Grammar::Register => "w",
                    };
                    Value::Array(vec![f.into(), key(k), val(v)])
                }
            })
            .collect();
        let kind = if txn.status == Status::Ok {
            OpType::Ok
        } else {
            OpType::Invoke
        };
        let mut op = Op::new(txn.op_index, kind, txn.process, "txn", Value::Array(mops));
        op.time = txn.op_time;
        op.final_ = txn.final_;
        serde_json::to_value(&op).unwrap_or(Value::Null)
    }
}

/// Which micro-op grammar to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grammar {
    Register,
    List,
}

/// An invocation waiting for its completion.
struct Open {
    /// Its transaction's slot, or `None` for operations the checker skips
    /// (other functions, the nemesis), which still pair with completions.
    slot: Option<u32>,
    /// The invocation's micro-ops (reads without values), for a
    /// transaction that does not end ok; `None` if unreadable.
    mops: Option<Vec<Mop>>,
}

/// Reads a history one operation at a time, pairing each invocation with
/// the next operation of its process, as [`crate::history::pairs`] does.
pub(crate) struct Builder {
    grammar: Grammar,
    out: Parsed<'static>,
    pos: u64,
    open: IntMap<i64, Open>,
    /// Slots of transactions found unreadable, dropped by `finish`.
    dropped: Vec<bool>,
    any_dropped: bool,
    spare: Vec<Vec<Mop>>,
}

impl Builder {
    pub(crate) fn new(grammar: Grammar) -> Builder {
        Builder {
            grammar,
            out: Parsed {
                history: None,
                grammar,
                txns: Vec::new(),
                mops: Vec::new(),
                elems: Vec::new(),
                keys: Interner::default(),
                vals: Interner::default(),
                malformed: 0,
            },
            pos: 0,
            open: IntMap::default(),
            dropped: Vec::new(),
            any_dropped: false,
            spare: Vec::new(),
        }
    }

    /// Reads the next operation of the history.
    pub(crate) fn push(&mut self, op: &Op) {
        let pos = self.pos;
        self.pos += 1;
        if op.kind == OpType::Invoke {
            let slot = (op.f == "txn" && op.is_client()).then(|| {
                self.out.txns.push(Txn {
                    index: op.index,
                    process: op.process,
                    status: Status::Info,
                    invoke_pos: pos,
                    complete_pos: u64::MAX,
                    final_: op.final_,
                    mops: (0, 0),
                    op_pos: pos,
                    op_index: op.index,
                    op_time: op.time,
                });
                self.dropped.push(false);
                (self.out.txns.len() - 1) as u32
            });
            let mops = slot.and_then(|_| {
                let mut buf = self.spare.pop().unwrap_or_default();
                buf.clear();
                let ok = parse_mops(&op.value, false, self.grammar, &mut self.out, &mut buf);
                if ok {
                    Some(buf)
                } else {
                    self.spare.push(buf);
                    None
                }
            });
            if let Some(prev) = self.open.insert(op.process, Open { slot, mops }) {
                self.close(prev, None, pos);
            }
        } else if let Some(open) = self.open.remove(&op.process) {
            self.close(open, Some(op), pos);
        }
    }

    /// Settles an invocation: with its completion, or with none (the
    /// history ended, or the process invoked again).
    fn close(&mut self, open: Open, completion: Option<&Op>, pos: u64) {
        let Some(slot) = open.slot else { return };
        let t = slot as usize;
        let status = match completion.map(|c| c.kind) {
            Some(OpType::Ok) => Status::Ok,
            Some(OpType::Fail) => Status::Fail,
            _ => Status::Info,
        };
        let start = self.out.mops.len() as u32;
        let readable = match (status, completion) {
            (Status::Ok, Some(c)) => {
                let mut buf = self.spare.pop().unwrap_or_default();
                buf.clear();
                let ok = parse_mops(&c.value, true, self.grammar, &mut self.out, &mut buf);
                self.out.mops.extend_from_slice(&buf);
                self.spare.push(buf);
                ok
            }
            _ => match &open.mops {
                Some(m) => {
                    self.out.mops.extend_from_slice(m);
                    true
                }
                None => false,
            },
        };
        if let Some(m) = open.mops {
            self.spare.push(m);
        }
        if !readable || self.out.mops.len() > u32::MAX as usize {
            self.out.mops.truncate(start as usize);
            self.out.malformed += 1;
            self.dropped[t] = true;
            self.any_dropped = true;
            return;
        }
        let txn = &mut self.out.txns[t];
        txn.mops = (start, self.out.mops.len() as u32);
        txn.status = status;
        if let Some(c) = completion {
            txn.final_ |= c.final_;
            if status != Status::Info {
                txn.complete_pos = pos;
            }
            if status == Status::Ok {
                txn.op_pos = pos;
                txn.op_index = c.index;
                txn.op_time = c.time;
            }
        }
    }

    /// The parsed history: invocations still open count as indeterminate.
    pub(crate) fn finish(mut self) -> Parsed<'static> {
        let mut open: Vec<Open> = self.open.drain().map(|(_, o)| o).collect();
        // The map's order is arbitrary; micro-op storage order is not
        // observable, but keep it deterministic all the same.
        open.sort_unstable_by_key(|o| o.slot);
        let end = self.pos;
        for o in open {
            self.close(o, None, end);
        }
        if self.any_dropped {
            let mut i = 0;
            let dropped = &self.dropped;
            self.out.txns.retain(|_| {
                i += 1;
                !dropped[i - 1]
            });
        }
        self.out
    }
}

/// Reads every `txn` operation of client processes.
pub(crate) fn parse(history: &[Op], grammar: Grammar) -> Parsed<'_> {
    let mut b = Builder::new(grammar);
    for op in history {
        b.push(op);
    }
    let mut p = b.finish();
    p.history = Some(history);
    p
}

/// Appends `v`'s micro-ops to `buf` (list elements to `p.elems`); reads
/// keep their values when `with_reads` is set. False if unreadable.
fn parse_mops(
    v: &Value,
    with_reads: bool,
    grammar: Grammar,
    p: &mut Parsed<'_>,
    buf: &mut Vec<Mop>,
) -> bool {
    let Some(arr) = v.as_array() else {
        return false;
    };
    let elems_start = p.elems.len();
    for m in arr {
        let Some(mop) = parse_mop(m, with_reads, grammar, p) else {
            p.elems.truncate(elems_start);
            return false;
        };
        buf.push(mop);
    }
    if p.elems.len() > u32::MAX as usize {
        p.elems.truncate(elems_start);
        return false;
    }
    true
}

fn parse_mop(m: &Value, with_reads: bool, grammar: Grammar, p: &mut Parsed<'_>) -> Option<Mop> {
    let m = m.as_array()?;
    let (f, k, val) = (
        m.first()?.as_str()?,
        m.get(1)?,
        m.get(2).unwrap_or(&Value::Null),
    );
    let key = p.keys.id(k);
    Some(match (f, grammar) {
        ("r", Grammar::Register) => Mop::ReadReg {
            key,
            val: if with_reads && !val.is_null() {
                Some(p.vals.id(val))
            } else {
                None
            },
        },
        ("r", Grammar::List) => Mop::ReadList {
            key,
            val: if with_reads {
                let start = p.elems.len() as u32;
                match val {
                    Value::Null => {}
                    Value::Array(xs) => {
                        for x in xs {
                            let id = p.vals.id(x);
                            p.elems.push(id);
                        }
                    }
                    _ => return None,
                }
                Some((start, p.elems.len() as u32 - start))
            } else {
                None
            },
        },
        ("w", Grammar::Register) | ("append", Grammar::List) if !val.is_null() => Mop::Write {
            key,
            val: p.vals.id(val),
        },
        _ => return None,
    })
}
