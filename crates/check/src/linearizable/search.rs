//! The Wing–Gong–Lowe search over one partition.
//!
//! Calls and returns form a doubly-linked list in real-time order. The search
//! linearises a call from the front of the list (any call before the first
//! return), removes ("lifts") it with its return, and backtracks when it
//! reaches a return whose call it could not linearise. Configurations
//! (linearised set, state) already explored are memoised. Read-only
//! operations that are legal at the front are linearised greedily: doing so
//! never loses a linearisation, so the search does not branch on them.

use super::memo::{hash_state, Bits, Memo};
use super::model::{Model, Operation};
use crate::budget::Deadline;
use std::sync::atomic::{AtomicBool, Ordering};

const NONE: u32 = u32::MAX;
const HEAD: u32 = 0;
/// How many upcoming returns are checked for reachability per configuration.
const LOOKAHEAD: usize = 8;

/// Limits for one partition's search.
pub(crate) struct Limits<'a> {
    pub(crate) deadline: Deadline,
    pub(crate) memory_bytes: usize,
    pub(crate) cancel: &'a AtomicBool,
}

/// The best configuration reached when the search failed.
pub(crate) struct Failure<S> {
    /// Op indices (into the partition's ops) of the longest linearised prefix.
    pub(crate) prefix: Vec<usize>,
    /// Which ops that prefix holds.
    pub(crate) linearised: Vec<bool>,
    /// The state after the prefix.
    pub(crate) state: S,
    /// An op proven unable to become legal after the prefix, if one was found.
    pub(crate) culprit: Option<usize>,
}

/// How a partition's search ended.
pub(crate) enum SearchEnd<S> {
    Linearizable,
    NotLinearizable(Failure<S>),
    Unknown(String),
}

/// Result of a search plus statistics.
pub(crate) struct Searched<S> {
    pub(crate) end: SearchEnd<S>,
    pub(crate) configurations: usize,
}

/// (depth, linearised bits, state, prefix) of the deepest configuration.
type Best<S> = (usize, Vec<u64>, S, Vec<usize>);

struct Frame<S> {
    entry: u32,
    prev: S,
    forced: bool,
}

struct List {
    next: Vec<u32>,
    prev: Vec<u32>,
    op: Vec<u32>,
    is_call: Vec<bool>,
    partner: Vec<u32>,
}

impl List {
    /// Builds the entry list; entry 0 is the head sentinel.
    fn new<O>(ops: &[Operation<O>], keep: &[usize]) -> List {
        // (time, is_return, tiebreak, op)
        let mut events: Vec<(u64, bool, usize, u32)> = Vec::with_capacity(keep.len() * 2);
        for (j, &i) in keep.iter().enumerate() {
            let o = &ops[i];
            events.push((o.call, false, i, j as u32));
            events.push((o.ret.unwrap_or(u64::MAX), true, i, j as u32));
        }
        events.sort_unstable();
        let n = events.len() + 1;
        let mut l = List {
            next: (1..=n as u32).collect(),
            prev: (0..n as u32).map(|i| i.wrapping_sub(1)).collect(),
            op: vec![NONE; n],
            is_call: vec![false; n],
            partner: vec![NONE; n],
        };
        l.next[n - 1] = NONE;
        let mut call_entry = vec![NONE; keep.len()];
        for (k, &(_, is_ret, _, j)) in events.iter().enumerate() {
            let e = k + 1;
            l.op[e] = j;
            l.is_call[e] = !is_ret;
            if is_ret {
                let c = call_entry[j as usize];
                l.partner[c as usize] = e as u32;
            } else {
                call_entry[j as usize] = e as u32;
            }
        }
        l
    }

    fn unlink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = n;
        if n != NONE {
            self.prev[n as usize] = p;
        }
    }

    fn relink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = e;
        if n != NONE {
            self.prev[n as usize] = e;
        }
    }

    fn lift(&mut self, call: u32) {
        self.unlink(call);
        self.unlink(self.partner[call as usize]);
    }

    fn unlift(&mut self, call: u32) {
        self.relink(self.partner[call as usize]);
        self.relink(call);
    }
}

/// Searches for a linearisation of `ops` under `model`.
pub(crate) fn search<M: Model>(
    model: &mut M,
    ops: &[Operation<M::Op>],
    limits: &Limits<'_>,
) -> Searched<M::State> {
    model.prepare(ops);
    // Read-only ops that never returned constrain nothing: drop them.
    let keep: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].ret.is_some() || !model.is_read_only(&ops[i].op))
        .collect();
    let n = keep.len();
    let finite: Vec<bool> = keep.iter().map(|&i| ops[i].ret.is_some()).collect();
    let read_only: Vec<bool> = keep
        .iter()
        .map(|&i| model.is_read_only(&ops[i].op))
        .collect();
    let mut remaining = finite.iter().filter(|&&f| f).count();
    let mut list = List::new(ops, &keep);
    let mut bits = Bits::new(n);
    let mut memo: Memo<M::State> = Memo::new(bits.words.len());
    let mut state = model.init();
    let mut stack: Vec<Frame<M::State>> = Vec::new();
    let mut best: Option<Best<M::State>> = None;
    let mut culprit: Option<usize> = None;
    let mut ticks: u32 = 0;
    let mut entry = list.next[HEAD as usize];
    let mut fresh = true;
    let mut frontier: Vec<u32> = Vec::new();
    let mut others: Vec<&M::Op> = Vec::new();
    let op_of = |list: &List, e: u32| list.op[e as usize] as usize;

    macro_rules! end {
        ($e:expr) => {
            return Searched {
                end: $e,
                configurations: memo.len(),
            }
        };
    }

    loop {
        if remaining == 0 {
            end!(SearchEnd::Linearizable);
        }
        ticks = ticks.wrapping_add(1);
        if ticks & 1023 == 1 {
            if limits.cancel.load(Ordering::Relaxed) {
                end!(SearchEnd::Unknown("cancelled".into()));
            }
            if limits.deadline.passed() {
                end!(SearchEnd::Unknown(format!(
                    "time budget exceeded after {} configurations",
                    memo.len()
                )));
            }
            if memo.bytes() > limits.memory_bytes {
                end!(SearchEnd::Unknown(format!(
                    "memory budget exceeded ({} bytes, {} configurations)",
                    memo.bytes(),
                    memo.len()
                )));
            }
        }
        if fresh {
            fresh = false;
            let deepest = best.as_ref().is_none_or(|b| stack.len() > b.0);
            if deepest {
                culprit = None;
                let prefix = stack.iter().map(|f| keep[op_of(&list, f.entry)]).collect();
                best = Some((stack.len(), bits.words.clone(), state.clone(), prefix));
            }
            // The calls before the first return, and that return's op.
            frontier.clear();
            let mut e = list.next[HEAD as usize];
            while e != NONE && list.is_call[e as usize] {
                frontier.push(e);
                e = list.next[e as usize];
            }
            // Each of the next few returns' ops must become legal using only
            // the calls before that return.
            let mut doomed = false;
            others.clear();
            others.extend(frontier.iter().map(|&c| &ops[keep[op_of(&list, c)]].op));
            let mut checked = 0;
            while e != NONE && checked < LOOKAHEAD && !doomed {
                if list.is_call[e as usize] {
                    others.push(&ops[keep[op_of(&list, e)]].op);
                } else if finite[op_of(&list, e)] {
                    // Only a return that happened constrains the search: an
                    // op that never returned may never take effect, so its
                    // being unreachable dooms nothing.
                    let target = &ops[keep[op_of(&list, e)]].op;
                    doomed = !model.may_reach(&state, target, &others);
                    if doomed && deepest {
                        culprit = Some(keep[op_of(&list, e)]);
                    }
                    checked += 1;
                }
                e = list.next[e as usize];
            }
            // Greedily linearise a legal read-only call at the front.
            let mut forced = false;
            for &e in frontier.iter().filter(|_| !doomed) {
                let j = op_of(&list, e);
                if read_only[j] && model.step(&state, &ops[keep[j]].op).is_some() {
                    bits.toggle(j);
                    if memo.insert(&bits, &state, hash_state(&state)) {
                        stack.push(Frame {
                            entry: e,
                            prev: state.clone(),
                            forced: true,
                        });
                        list.lift(e);
                        remaining -= usize::from(finite[j]);
                        forced = true;
                    } else {
                        bits.toggle(j);
                        doomed = true;
                    }
                    break;
                }
            }
            if forced {
                fresh = true;
                continue;
            }
            entry = if doomed {
                NONE
            } else {
                list.next[HEAD as usize]
            };
        }
        if entry != NONE && list.is_call[entry as usize] {
            let j = op_of(&list, entry);
            if let Some(next) = model.step(&state, &ops[keep[j]].op) {
                bits.toggle(j);
                if memo.insert(&bits, &next, hash_state(&next)) {
                    let prev = std::mem::replace(&mut state, next);
                    stack.push(Frame {
                        entry,
                        prev,
                        forced: false,
                    });
                    list.lift(entry);
                    remaining -= usize::from(finite[j]);
                    fresh = true;
                    continue;
                }
                bits.toggle(j);
            }
            entry = list.next[entry as usize];
            continue;
        }
        // A return (or the end): backtrack to the last unforced choice.
        loop {
            let Some(f) = stack.pop() else {
                let (_, words, st, prefix) = best.unwrap_or((0, Vec::new(), state, Vec::new()));
                let b = Bits { words, hash: 0 };
                let mut linearised = vec![false; ops.len()];
                for (j, &i) in keep.iter().enumerate() {
                    linearised[i] = b.words.len() > j / 64 && b.get(j);
                }
                end!(SearchEnd::NotLinearizable(Failure {
                    prefix,
                    linearised,
                    state: st,
                    culprit,
                }));
            };
            let j = op_of(&list, f.entry);
            state = f.prev;
            bits.toggle(j);
            list.unlift(f.entry);
            remaining += usize::from(finite[j]);
            if !f.forced {
                entry = list.next[f.entry as usize];
                break;
            }
        }
    }
}
