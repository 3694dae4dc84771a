//! The unique-ids checker (upstream §4.8): no id is acknowledged twice.

use crate::budget::{Budget, Meter};
use crate::history::{Op, OpType};
use crate::util::{cmp_json, OrdValue};
use crate::verdict::Validity;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Options for [`check`].
#[derive(Debug, Clone)]
pub struct UniqueIdsOpts {
    /// The generating function's name (upstream: `"generate"`).
    pub f: String,
    /// Time and memory limits.
    pub budget: Budget,
}

impl Default for UniqueIdsOpts {
    fn default() -> Self {
        UniqueIdsOpts {
            f: "generate".into(),
            budget: Budget::default(),
        }
    }
}

/// The result of [`check`], with upstream's keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct UniqueIdsResult {
    /// Valid iff no id was acknowledged twice.
    pub valid: Validity,
    /// Number of invocations.
    pub attempted_count: u64,
    /// Number of ok completions.
    pub acknowledged_count: u64,
    /// Number of distinct ids acknowledged more than once.
    pub duplicated_count: u64,
    /// Up to 48 `[id, times]` pairs, most duplicated first.
    pub duplicated: Vec<(Value, u64)>,
    /// `[min, max]` of the acknowledged ids, if any.
    pub range: Option<(Value, Value)>,
    /// Why the verdict is unknown, if it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Checks a unique-ids history.
pub fn check(history: &[Op], opts: &UniqueIdsOpts) -> UniqueIdsResult {
    let mut meter = Meter::new(&opts.budget);
    let mut attempted = 0;
    let mut acked = 0;
    let mut counts: BTreeMap<OrdValue, u64> = BTreeMap::new();
    let mut reason = None;
    for op in history.iter().filter(|o| o.f == opts.f && o.is_client()) {
        if meter.tick() {
            reason = Some("time budget exceeded".to_string());
            break;
        }
        match op.kind {
            OpType::Invoke => attempted += 1,
            OpType::Ok => {
                acked += 1;
                *counts.entry(OrdValue(op.value.clone())).or_default() += 1;
            }
            _ => {}
        }
    }
    let mut dups: Vec<(Value, u64)> = counts
        .iter()
        .filter(|(_, &c)| c > 1)
        .map(|(v, &c)| (v.0.clone(), c))
        .collect();
    dups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| cmp_json(&a.0, &b.0)));
    let duplicated_count = dups.len() as u64;
    dups.truncate(48);
    let range = match (counts.keys().next(), counts.keys().next_back()) {
        (Some(lo), Some(hi)) => Some((lo.0.clone(), hi.0.clone())),
        _ => None,
    };
    let valid = if reason.is_some() {
        Validity::Unknown
    } else {
        Validity::from_bool(duplicated_count == 0)
    };
    UniqueIdsResult {
        valid: if duplicated_count > 0 {
            Validity::Invalid
        } else {
            valid
        },
        attempted_count: attempted,
        acknowledged_count: acked,
        duplicated_count,
        duplicated: dups,
        range,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpType::*;
    use serde_json::json;

    fn gen(ids: &[Value]) -> Vec<Op> {
        let mut h = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let p = i as i64;
            h.push(Op::new(h.len() as u64, Invoke, p, "generate", Value::Null));
            h.push(Op::new(h.len() as u64, Ok, p, "generate", id.clone()));
        }
        h
    }

    #[test]
    fn unique() {
        let r = check(
            &gen(&[json!(3), json!(1), json!(2)]),
            &UniqueIdsOpts::default(),
        );
        assert_eq!(r.valid, Validity::Valid);
        assert_eq!(r.attempted_count, 3);
        assert_eq!(r.range, Some((json!(1), json!(3))));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["acknowledged-count"], json!(3));
    }

    #[test]
    fn duplicates() {
        let r = check(
            &gen(&[json!("a"), json!("b"), json!("a"), json!("a")]),
            &UniqueIdsOpts::default(),
        );
        assert_eq!(r.valid, Validity::Invalid);
        assert_eq!(r.duplicated_count, 1);
        assert_eq!(r.duplicated, vec![(json!("a"), 3)]);
    }
}
