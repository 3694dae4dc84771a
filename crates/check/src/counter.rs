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
    /// Acceptable values as sorted, disjoint, inclusive `[lo, hi]` ranges
    /// (when the budget ran out: the hull of every reachable sum).
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
///
/// The verdict is `unknown` when no final read succeeded (nothing to judge),
/// and when the budget runs out, unless a final read is wrong whatever the
/// unread part holds: not an integer, or outside the hull of every reachable
/// sum (the definite sum plus all negative, or all positive, info deltas).
pub fn check(history: &[Op], opts: &CounterOpts) -> CounterResult {
    let mut meter = Meter::new(&opts.budget);
    let max_ranges = (opts.budget.memory_bytes / 16).max(1);
    let mut definite: i64 = 0;
    let mut maybe: Vec<i64> = Vec::new();
    let mut final_reads = Vec::new();
    let mut reason = None;
    // False when the budget ran out before every operation was read.
    let mut read_all = true;
    let all = pairs(history);
    for (n, p) in all.iter().filter(|p| p.invoke.is_client()).enumerate() {
        if meter.tick() {
            reason = Some(format!(
                "time budget exceeded after {n} of {} operations",
                all.len()
            ));
            read_all = false;
            break;
        }
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
    if reason.is_none() {
        for &d in &maybe {
            if meter.tick() || acceptable.len() > max_ranges {
                reason = Some(format!(
                    "budget exceeded while computing acceptable ranges ({} ranges)",
                    acceptable.len()
                ));
                break;
            }
            let shifted = acceptable
                .iter()
                .map(|&(lo, hi)| (lo.saturating_add(d), hi.saturating_add(d)));
            let all: Vec<(i64, i64)> = acceptable.iter().copied().chain(shifted).collect();
            acceptable = normalise(all);
        }
    }
    let errors: Vec<Value> = if reason.is_none() {
        let ok = |v: &Value| {
            v.as_i64()
                .is_some_and(|x| acceptable.iter().any(|&(lo, hi)| lo <= x && x <= hi))
        };
        final_reads.iter().filter(|v| !ok(v)).cloned().collect()
    } else {
        // Only what nothing the budget left out could excuse: a read that
        // is not an integer, or (once every op was read) one outside the
        // hull of all reachable sums.
        let lo = maybe
            .iter()
            .filter(|&&d| d < 0)
            .fold(definite, |a, &d| a.saturating_add(d));
        let hi = maybe
            .iter()
            .filter(|&&d| d > 0)
            .fold(definite, |a, &d| a.saturating_add(d));
        acceptable = vec![(lo, hi)];
        let certainly_wrong = |x: i64| read_all && (x < lo || x > hi);
        final_reads
            .iter()
            .filter(|v| v.as_i64().is_none_or(certainly_wrong))
            .cloned()
            .collect()
    };
    let valid = if !errors.is_empty() {
        Validity::Invalid
    } else if reason.is_some() {
        Validity::Unknown
    } else if final_reads.is_empty() {
        reason = Some("no final read succeeded, so the counter's value was never observed".into());
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

    #[test]
    fn no_final_read_is_unknown() {
        let mut h = Vec::new();
        add(&mut h, 0, 3, Ok);
        let r = check(&h, &CounterOpts::default());
        assert_eq!(r.valid, Validity::Unknown);
        assert!(r.reason.unwrap().contains("no final read"));
    }

    #[test]
    fn zero_budget_is_unknown_for_a_valid_history() {
        let mut h = Vec::new();
        add(&mut h, 0, 3, Ok);
        add(&mut h, 1, 2, Info);
        final_read(&mut h, 2, 5);
        let opts = CounterOpts {
            budget: Budget::with_time(std::time::Duration::ZERO),
        };
        assert_eq!(check(&h, &CounterOpts::default()).valid, Validity::Valid);
        assert_eq!(check(&h, &opts).valid, Validity::Unknown);
    }

    #[test]
    fn out_of_ranges_budget_still_catches_reads_outside_the_hull() {
        let mut h = Vec::new();
        add(&mut h, 0, 10, Ok);
        for d in [100, 1000, -3] {
            add(&mut h, 1, d, Info);
        }
        final_read(&mut h, 2, 110); // reachable: 10 + 100
        final_read(&mut h, 3, 2000); // above 10 + 1100
                                     // Room for one range only: the range computation gives up.
        let opts = CounterOpts {
            budget: Budget {
                memory_bytes: 16,
                ..Budget::default()
            },
        };
        let r = check(&h, &opts);
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.errors, Some(vec![json!(2000)]));
        assert_eq!(r.acceptable, vec![(7, 1110)]);
        assert!(r.reason.is_some());
    }
}
