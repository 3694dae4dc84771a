//! Sweeps beyond one machine: `--shard K/N` runs a deterministic share of a
//! `--seeds` sweep, `--summary FILE` writes what it found as JSON, and
//! `maelstrom sweep merge FILE...` combines the shards' summaries into the
//! report one machine would have printed. No cluster of our own: any
//! scheduler that runs N copies with an index (a Kubernetes Indexed Job, a
//! Slurm array) will do.
//!
//! Shard K of N gets the K-th of N contiguous blocks of the range (sizes
//! differ by at most one), so shard 0 holds the lowest seeds: with
//! `--max-failures`, the lowest failures overall are found by walking the
//! shards in order, exactly as one machine's sweep cuts its report.

use std::path::Path;

use maelstrom_harness::handoff::{SeedRange, Swept};
use maelstrom_harness::Validity;
use serde::{Deserialize, Serialize};

/// The version of [`SweepSummary`]'s JSON form.
const SUMMARY_VERSION: u32 = 1;

/// `K/N`: the K-th share (from 0) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which share, `0..n`.
    pub k: u64,
    /// How many shares.
    pub n: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid --shard {s:?}: expected K/N with 0 <= K < N, e.g. 0/4 (the first of four)"
            )
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u64, u64) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if n == 0 || k >= n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// This shard's block of `range`: contiguous, in order, sizes within one.
    pub fn block(&self, range: SeedRange) -> SeedRange {
        let len = u128::from(range.len());
        let (n, k) = (u128::from(self.n), u128::from(self.k));
        let (base, extra) = (len / n, len % n);
        let offset = k * base + k.min(extra);
        let size = base + u128::from(k < extra);
        // Both fit: offset + size <= len <= u64::MAX.
        let start = range.start + offset as u64;
        SeedRange {
            start,
            end: start + size as u64,
        }
    }
}

/// What one sweep (or one shard of it) found, as `--summary` writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSummary {
    /// Format version.
    pub version: u32,
    /// The `maelstrom test` command line without the sweep's own flags, for
    /// the replay commands (and to tell shards of different sweeps apart).
    pub command: Vec<String>,
    /// The whole sweep's seeds.
    pub seeds: SeedRange,
    /// `--max-failures`, if given.
    pub max_failures: Option<u64>,
    /// Which share this is; `None` for a whole sweep or a merged one.
    pub shard: Option<Shard>,
    /// The seeds this summary was to run.
    pub block: SeedRange,
    /// What it found.
    pub swept: Swept,
}

impl SweepSummary {
    /// A summary of `swept`, a run of `block` of `seeds`.
    pub fn new(
        command: Vec<String>,
        seeds: SeedRange,
        max_failures: Option<u64>,
        shard: Option<Shard>,
        swept: Swept,
    ) -> Self {
        let block = shard.map_or(seeds, |s| s.block(seeds));
        SweepSummary {
            version: SUMMARY_VERSION,
            command,
            seeds,
            max_failures,
            shard,
            block,
            swept,
        }
    }

    /// Writes it as JSON to `path`.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads one from `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let summary: SweepSummary = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a sweep summary: {e}", path.display()))?;
        if summary.version != SUMMARY_VERSION {
            return Err(format!(
                "{} is a summary of version {}, this maelstrom reads version {SUMMARY_VERSION}",
                path.display(),
                summary.version
            ));
        }
        Ok(summary)
    }
}

/// Merges every shard of one sweep into the summary one machine would have
/// written; says which shards are missing, doubled or from another sweep.
pub fn merge(mut parts: Vec<SweepSummary>) -> Result<SweepSummary, String> {
    let first = parts.first().ok_or("no summaries to merge")?.clone();
    let n = first.shard.map_or(1, |s| s.n);
    for p in &parts {
        if p.command != first.command || p.seeds != first.seeds {
            return Err(format!(
                "these summaries are of different sweeps: {:?} over {}..{} and {:?} over {}..{}",
                first.command.join(" "),
                first.seeds.start,
                first.seeds.end,
                p.command.join(" "),
                p.seeds.start,
                p.seeds.end
            ));
        }
        if p.max_failures != first.max_failures || p.shard.map_or(1, |s| s.n) != n {
            return Err("these summaries differ in --max-failures or in the shard count".into());
        }
    }
    parts.sort_by_key(|p| p.shard.map_or(0, |s| s.k));
    let ks: Vec<u64> = parts.iter().map(|p| p.shard.map_or(0, |s| s.k)).collect();
    if ks.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!("a shard appears twice among {ks:?}"));
    }
    if ks != (0..n).collect::<Vec<_>>() {
        let missing: Vec<String> = (0..n)
            .filter(|k| !ks.contains(k))
            .map(|k| format!("{k}/{n}"))
            .collect();
        return Err(format!("missing shards: {}", missing.join(", ")));
    }
    // Walk the blocks in seed order, as one machine's counter would: a shard
    // that stopped early (max failures) ends what is known.
    let mut failures: Vec<(u64, Result<Validity, String>)> = Vec::new();
    let mut covered_end = first.seeds.start;
    for p in &parts {
        failures.extend(p.swept.failures.iter().cloned());
        covered_end = p.swept.covered.end;
        if p.swept.covered.end < p.block.end {
            break;
        }
    }
    let mut covered = SeedRange {
        start: first.seeds.start,
        end: covered_end,
    };
    if let Some(max) = first.max_failures {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        if failures.len() >= max {
            failures.truncate(max);
            if let Some((last, _)) = failures.last() {
                covered.end = last + 1;
            }
        }
    }
    Ok(SweepSummary::new(
        first.command,
        first.seeds,
        first.max_failures,
        None,
        Swept { covered, failures },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u64, end: u64) -> SeedRange {
        SeedRange { start, end }
    }

    #[test]
    fn blocks_tile_the_range_in_order() {
        for (len, n) in [(10u64, 4u64), (3, 5), (100, 1), (7, 7)] {
            let r = range(5, 5 + len);
            let mut next = r.start;
            for k in 0..n {
                let b = Shard { k, n }.block(r);
                assert_eq!(b.start, next, "len {len} n {n} k {k}");
                assert!(b.len() == len / n || b.len() == len / n + 1);
                next = b.end;
            }
            assert_eq!(next, r.end);
        }
        let all = range(0, u64::MAX);
        let last = Shard { k: 2, n: 3 }.block(all);
        assert_eq!(last.end, u64::MAX);
    }

    #[test]
    fn shard_specs() {
        assert_eq!("1/4".parse(), Ok(Shard { k: 1, n: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    fn part(k: u64, n: u64, seeds: SeedRange, max: Option<u64>, fail: &[u64]) -> SweepSummary {
        let shard = Shard { k, n };
        let block = shard.block(seeds);
        let mut failures: Vec<_> = fail
            .iter()
            .filter(|s| block.iter().contains(s))
            .map(|&s| (s, Ok(Validity::Invalid)))
            .collect();
        let mut covered = block;
        if let Some(m) = max {
            if failures.len() as u64 >= m {
                failures.truncate(m as usize);
                covered.end = failures.last().unwrap().0 + 1;
            }
        }
        SweepSummary::new(
            vec!["maelstrom".into(), "test".into()],
            seeds,
            max,
            Some(shard),
            Swept { covered, failures },
        )
    }

    #[test]
    fn merging_gives_what_one_machine_reports() {
        let seeds = range(0, 20);
        let fail = [2, 3, 9, 11, 12, 19];
        for max in [None, Some(1), Some(3), Some(5), Some(10)] {
            let parts: Vec<_> = (0..4)
                .rev()
                .map(|k| part(k, 4, seeds, max, &fail))
                .collect();
            let merged = merge(parts).unwrap();
            let whole = part(0, 1, seeds, max, &fail);
            assert_eq!(merged.swept, whole.swept, "max {max:?}");
            assert_eq!(merged.shard, None);
        }
    }

    #[test]
    fn merging_refuses_missing_doubled_or_foreign_shards() {
        let seeds = range(0, 8);
        let e = merge(vec![
            part(0, 3, seeds, None, &[]),
            part(2, 3, seeds, None, &[]),
        ])
        .unwrap_err();
        assert!(e.contains("missing shards: 1/3"), "{e}");
        let e = merge(vec![
            part(0, 2, seeds, None, &[]),
            part(0, 2, seeds, None, &[]),
        ])
        .unwrap_err();
        assert!(e.contains("twice"), "{e}");
        let mut other = part(1, 2, seeds, None, &[]);
        other.command.push("--rate".into());
        let e = merge(vec![part(0, 2, seeds, None, &[]), other]).unwrap_err();
        assert!(e.contains("different sweeps"), "{e}");
    }
}
