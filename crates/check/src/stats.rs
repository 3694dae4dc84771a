//! The `stats` and `availability` checkers of upstream's results map (§7.2).

use crate::history::{Op, OpType};
use crate::verdict::Validity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Functions whose lack of ok completions does not invalidate `stats`.
pub const IGNORED_FS: [&str; 2] = ["crash", "debug-topic-partitions"];

/// Completion counts for one function (or for all).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Counts {
    /// Valid iff there is at least one ok completion.
    pub valid: Validity,
    /// Number of completions.
    pub count: u64,
    /// Ok completions.
    pub ok_count: u64,
    /// Failed completions.
    pub fail_count: u64,
    /// Indeterminate completions.
    pub info_count: u64,
}

impl Counts {
    fn add(&mut self, kind: OpType) {
        self.count += 1;
        match kind {
            OpType::Ok => self.ok_count += 1,
            OpType::Fail => self.fail_count += 1,
            OpType::Info => self.info_count += 1,
            OpType::Invoke => {}
        }
        self.valid = Validity::from_bool(self.ok_count > 0);
    }
}

/// Upstream's `:stats` result.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct StatsResult {
    /// Valid iff every function (except [`IGNORED_FS`]) had an ok completion.
    pub valid: Validity,
    /// Completions of client operations.
    pub count: u64,
    /// Ok completions.
    pub ok_count: u64,
    /// Failed completions.
    pub fail_count: u64,
    /// Indeterminate completions.
    pub info_count: u64,
    /// Counts per function.
    pub by_f: BTreeMap<String, Counts>,
}

/// Counts client completions per function.
#[must_use]
pub fn stats(history: &[Op]) -> StatsResult {
    let mut all = Counts::default();
    let mut by_f: BTreeMap<String, Counts> = BTreeMap::new();
    for op in history
        .iter()
        .filter(|o| o.is_client() && o.kind != OpType::Invoke)
    {
        all.add(op.kind);
        by_f.entry(op.f.clone()).or_default().add(op.kind);
    }
    let valid = Validity::merge_all(
        by_f.iter()
            .filter(|(f, _)| !IGNORED_FS.contains(&f.as_str()))
            .map(|(_, c)| c.valid),
    );
    StatsResult {
        valid,
        count: all.count,
        ok_count: all.ok_count,
        fail_count: all.fail_count,
        info_count: all.info_count,
        by_f,
    }
}

/// The `--availability` setting.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum Availability {
    /// No requirement: always valid.
    #[default]
    None,
    /// Every invocation must complete ok.
    Total,
    /// At least this fraction (0..=1) of invocations must complete ok.
    Fraction(f64),
}

/// Upstream's `:availability` result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AvailabilityResult {
    /// Whether the ok fraction meets the setting.
    pub valid: Validity,
    /// Ok client completions / client invocations (1 when there are none).
    pub ok_fraction: f64,
}

/// Computes the ok fraction and judges it against `setting`.
#[must_use]
pub fn availability(history: &[Op], setting: Availability) -> AvailabilityResult {
    let client = history.iter().filter(|o| o.is_client());
    let (mut invokes, mut oks) = (0u64, 0u64);
    for op in client {
        match op.kind {
            OpType::Invoke => invokes += 1,
            OpType::Ok => oks += 1,
            _ => {}
        }
    }
    let ok_fraction = if invokes == 0 {
        1.0
    } else {
        oks as f64 / invokes as f64
    };
    let ok = match setting {
        Availability::None => true,
        Availability::Total => ok_fraction >= 1.0,
        Availability::Fraction(a) => a <= ok_fraction,
    };
    AvailabilityResult {
        valid: Validity::from_bool(ok),
        ok_fraction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpType::*;
    use serde_json::json;

    fn h() -> Vec<Op> {
        let mut h = Vec::new();
        for (p, f, k) in [
            (0, "read", Ok),
            (1, "write", Fail),
            (2, "crash", Info),
            (3, "read", Info),
        ] {
            h.push(Op::new(h.len() as u64, Invoke, p, f, json!(null)));
            h.push(Op::new(h.len() as u64, k, p, f, json!(null)));
        }
        h.push(Op::new(
            h.len() as u64,
            Info,
            crate::history::NEMESIS,
            "start",
            json!(null),
        ));
        h
    }

    #[test]
    fn stats_counts() {
        let s = stats(&h());
        assert_eq!(s.count, 4);
        assert_eq!(s.by_f["read"].ok_count, 1);
        assert_eq!(s.by_f["write"].valid, Validity::Invalid);
        assert_eq!(s.by_f["crash"].valid, Validity::Invalid);
        assert_eq!(s.valid, Validity::Invalid);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["by-f"]["read"]["info-count"], json!(1));
        let only_reads: Vec<Op> = h().into_iter().filter(|o| o.f != "write").collect();
        assert_eq!(stats(&only_reads).valid, Validity::Valid);
    }

    #[test]
    fn availability_settings() {
        let a = availability(&h(), Availability::None);
        assert_eq!(a.ok_fraction, 0.25);
        assert!(a.valid.is_valid());
        assert_eq!(
            availability(&h(), Availability::Total).valid,
            Validity::Invalid
        );
        assert_eq!(
            availability(&h(), Availability::Fraction(0.2)).valid,
            Validity::Valid
        );
        assert_eq!(
            availability(&[], Availability::Total).valid,
            Validity::Valid
        );
    }
}
