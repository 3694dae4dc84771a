//! The pn-counter / g-counter checker (upstream §4.4).
//!
//! Ok adds are certain, info adds may or may not have happened and failed
//! adds did not. Every ok final read must lie in the set of sums reachable by
//! some subset of the info adds, kept as merged inclusive ranges.

use crate::budget::{Budget, Meter};
use crate::history::{pairs, Op, OpType};
use crate::verdict::Validity;
use serde::Serialize;
use serde_json::Value;

/// Options for [`check`].
#[derive(Debug, Clone, Default)]
pub struct CounterOpts {
    /// Time and memory limits (the memory limit caps the number of ranges).
    pub budget: Budget,
}

/// The result of [`check`], with upstream's keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CounterResult {
    /// Valid iff every final read is acceptable.
    pub valid: Validity,
    /// The final reads that were not acceptable (`null` when none).
    pub errors: Option<Vec<Value>>,
    /// The values of every ok final read, in history order.
    pub final_reads: Vec<Value>,
    /// Acceptable values as sorted, disjoint, inclusive `[lo, hi]` ranges.
    pub acceptable: Vec<(i64, i64)>,
    /// Why the verdict is unknown, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Sorted, disjoint, non-adjacent inclusive ranges of integers.
fn normalise(mut rs: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    rs.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(rs.len());
    for (lo, hi) in rs {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// Checks a counter history: `add` ops carry an integer delta, `read` ops an integer.
pub fn check(history: &[Op], opts: &CounterOpts) -> CounterResult {
    let mut meter = Meter::new(&opts.budget);
    let max_ranges = (opts.budget.memory_bytes / 16).max(1);
    let mut definite: i64 = 0;
    let mut maybe: Vec<i64> = Vec::new();
    let mut final_reads = Vec::new();
    let mut reason = None;
    for p in pairs(history).into_iter().filter(|p| p.invoke.is_client()) {
        if p.f() == "add" {
            let d = p.invoke.value.as_i64().unwrap_or(0);
            match p.kind() {
                OpType::Ok => definite = definite.saturating_add(d),
                OpType::Info => maybe.push(d),
                _ => {}
            }
        } else if p.f() == "read" && p.kind() == OpType::Ok {
            if let Some(c) = p.completion.filter(|c| c.final_ || p.invoke.final_) {
                final_reads.push(c.value.clone());
            }
        }
    }
    let mut acceptable = vec![(definite, definite)];
    for d in maybe {
        if meter.tick() || acceptable.len() > max_ranges {
            reason = Some("budget exceeded while computing acceptable ranges".to_string());
            break;
        }
        let shifted = acceptable
            .iter()
            .map(|&(lo, hi)| (lo.saturating_add(d), hi.saturating_add(d)));
        let all: Vec<(i64, i64)> = acceptable.iter().copied().chain(shifted).collect();
        acceptable = normalise(all);
    }
    let ok = |v: &Value| {
        v.as_i64()
            .is_some_and(|x| acceptable.iter().any(|&(lo, hi)| lo <= x && x <= hi))
    };
    let errors: Vec<Value> = final_reads.iter().filter(|v| !ok(v)).cloned().collect();
    let valid = if !errors.is_empty() {
        Validity::Invalid
    } else if reason.is_some() {
        Validity::Unknown
    } else {
        Validity::Valid
    };
    CounterResult {
        valid,
        errors: (!errors.is_empty()).then_some(errors),
        final_reads,
        acceptable,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpType::*;
    use serde_json::json;

    fn add(h: &mut Vec<Op>, p: i64, d: i64, kind: OpType) {
        h.push(Op::new(h.len() as u64, Invoke, p, "add", json!(d)));
        h.push(Op::new(h.len() as u64, kind, p, "add", json!(d)));
    }

    fn final_read(h: &mut Vec<Op>, p: i64, v: i64) {
        let mut inv = Op::new(h.len() as u64, Invoke, p, "read", json!(null));
        inv.final_ = true;
        h.push(inv);
        let mut ok = Op::new(h.len() as u64, Ok, p, "read", json!(v));
        ok.final_ = true;
        h.push(ok);
    }

    #[test]
    fn upstream_example_ranges() {
        let mut h = Vec::new();
        add(&mut h, 0, 10, Ok);
        add(&mut h, 1, 5, Info);
        add(&mut h, 2, -1, Info);
        add(&mut h, 3, -1, Info);
        add(&mut h, 4, 100, Fail);
        final_read(&mut h, 5, 14);
        let r = check(&h, &CounterOpts::default());
        assert_eq!(r.acceptable, vec![(8, 10), (13, 15)]);
        assert_eq!(r.valid, Validity::Valid);
    }

    #[test]
    fn wrong_final_read() {
        let mut h = Vec::new();
        add(&mut h, 0, 3, Ok);
        final_read(&mut h, 1, 3);
        final_read(&mut h, 2, 4);
        let r = check(&h, &CounterOpts::default());
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.errors, Some(vec![json!(4)]));
        assert_eq!(
            serde_json::to_value(&r).unwrap()["final-reads"],
            json!([3, 4])
        );
    }
}
