//! Small helpers shared by checkers.

use serde_json::Value;
use std::cmp::Ordering;

/// A total order on JSON values: null < bools < numbers < strings < arrays < objects.
pub fn cmp_json(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => {
                let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                x.total_cmp(&y)
            }
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = cmp_json(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(_), Value::Object(_)) => a.to_string().cmp(&b.to_string()),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// A JSON value ordered by [`cmp_json`], usable as a `BTreeMap` key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrdValue(pub Value);

impl Eq for OrdValue {}

impl PartialOrd for OrdValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrdValue {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_json(&self.0, &other.0)
    }
}

/// Nanoseconds to whole milliseconds.
pub fn nanos_to_ms(n: u64) -> u64 {
    n / 1_000_000
}

/// Quantile as upstream computes it: `sorted[min(n-1, floor(n*q))]`.
pub fn quantile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let i = ((n as f64) * q).floor() as usize;
    Some(sorted[i.min(n - 1)])
}

/// Upstream's quantile map `{0, 0.5, 0.95, 0.99, 1}` (keys as strings), or `None` when empty.
pub fn quantile_map(values: &[u64]) -> Option<std::collections::BTreeMap<String, u64>> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mut m = std::collections::BTreeMap::new();
    for (k, q) in [
        ("0", 0.0),
        ("0.5", 0.5),
        ("0.95", 0.95),
        ("0.99", 0.99),
        ("1", 1.0),
    ] {
        m.insert(k.to_string(), quantile(&sorted, q)?);
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_order() {
        let mut v = [
            json!("a"),
            json!(10),
            json!(2),
            json!(null),
            json!([1]),
            json!(1.5),
        ];
        v.sort_by(cmp_json);
        assert_eq!(
            v,
            [
                json!(null),
                json!(1.5),
                json!(2),
                json!(10),
                json!("a"),
                json!([1])
            ]
        );
    }

    #[test]
    fn quantiles() {
        let q = quantile_map(&[5, 1, 3, 2, 4]).unwrap();
        assert_eq!(q["0"], 1);
        assert_eq!(q["0.5"], 3);
        assert_eq!(q["1"], 5);
        assert!(quantile_map(&[]).is_none());
    }
}
