//! From history operations to compact transactions: keys and values are
//! interned to `u32`s so the analyses hash and compare small integers.

use crate::history::{pairs, Op, OpType};
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

/// One micro-operation. Read values are present for `ok` transactions only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mop {
    /// A register read: `None` for nil (or unknown, in a non-ok txn).
    ReadReg { key: u32, val: Option<u32> },
    /// A list read: `None` when the value is unknown (non-ok txn).
    ReadList { key: u32, val: Option<Vec<u32>> },
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
    pub(crate) mops: Vec<Mop>,
    /// The op as recorded (completion for ok ones), for reports.
    pub(crate) op_pos: usize,
}

/// The parsed history.
pub(crate) struct Parsed<'h> {
    pub(crate) history: &'h [Op],
    pub(crate) txns: Vec<Txn>,
    pub(crate) keys: Interner,
    pub(crate) vals: Interner,
    /// Transactions whose value could not be read (counted, then ignored).
    pub(crate) malformed: u64,
}

/// Which micro-op grammar to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grammar {
    Register,
    List,
}

/// Reads every `txn` operation of client processes.
pub(crate) fn parse(history: &[Op], grammar: Grammar) -> Parsed<'_> {
    let base = history.as_ptr() as usize;
    let pos_of = |op: &Op| ((op as *const Op as usize - base) / std::mem::size_of::<Op>()) as u64;
    let mut out = Parsed {
        history,
        txns: Vec::new(),
        keys: Interner::default(),
        vals: Interner::default(),
        malformed: 0,
    };
    for pair in pairs(history) {
        if pair.f() != "txn" || !pair.invoke.is_client() {
            continue;
        }
        let status = match pair.kind() {
            OpType::Ok => Status::Ok,
            OpType::Fail => Status::Fail,
            _ => Status::Info,
        };
        let (src, op_pos) = match (status, pair.completion) {
            (Status::Ok, Some(c)) => (&c.value, pos_of(c)),
            _ => (&pair.invoke.value, pos_of(pair.invoke)),
        };
        let Some(mops) = parse_mops(src, status == Status::Ok, grammar, &mut out) else {
            out.malformed += 1;
            continue;
        };
        let complete_pos = match (status, pair.completion) {
            (Status::Info, _) | (_, None) => u64::MAX,
            (_, Some(c)) => pos_of(c),
        };
        out.txns.push(Txn {
            index: pair.invoke.index,
            process: pair.invoke.process,
            status,
            invoke_pos: pos_of(pair.invoke),
            complete_pos,
            final_: pair.invoke.final_ || pair.completion.is_some_and(|c| c.final_),
            mops,
            op_pos: op_pos as usize,
        });
    }
    out
}

fn parse_mops(
    v: &Value,
    with_reads: bool,
    grammar: Grammar,
    p: &mut Parsed<'_>,
) -> Option<Vec<Mop>> {
    let arr = v.as_array()?;
    let mut mops = Vec::with_capacity(arr.len());
    for m in arr {
        let m = m.as_array()?;
        let (f, k, val) = (
            m.first()?.as_str()?,
            m.get(1)?,
            m.get(2).unwrap_or(&Value::Null),
        );
        let key = p.keys.id(k);
        let mop = match (f, grammar) {
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
                    match val {
                        Value::Null => Some(Vec::new()),
                        Value::Array(xs) => Some(xs.iter().map(|x| p.vals.id(x)).collect()),
                        _ => return None,
                    }
                } else {
                    None
                },
            },
            ("w", Grammar::Register) | ("append", Grammar::List) if !val.is_null() => Mop::Write {
                key,
                val: p.vals.id(val),
            },
            _ => return None,
        };
        mops.push(mop);
    }
    Some(mops)
}
