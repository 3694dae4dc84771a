//! A grading plan: the tests (jobs) of each level for one binary, and their
//! evaluation against the level's criteria into table rows.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::config::{GradeConfig, Level};
use super::criteria;
use super::runner::{Binary, Job, Ran};
use super::table::{CriterionRow, LevelRow, Status};
use super::{stage_note, KEPT_FAILURES};

/// The tests of the levels for one binary: which jobs belong to which level.
pub struct Plan {
    /// Every test, level by level.
    pub jobs: Vec<Job>,
    /// For each level, the range of `jobs` that are its seeds (empty for a stage).
    pub spans: Vec<std::ops::Range<usize>>,
    /// The levels' criteria, in order.
    pub levels: Vec<Level>,
}

impl Plan {
    /// Plans `levels` for `bin`: every seed in simulation, the first as processes.
    /// `who` names whose tests they are in progress lines.
    pub fn new(
        cfg: &GradeConfig,
        levels: &[&Level],
        seeds: Option<&[u64]>,
        bin: &Binary,
        store: &Path,
        who: &str,
    ) -> Plan {
        let mut jobs = Vec::new();
        let mut spans = Vec::new();
        for level in levels {
            let start = jobs.len();
            if level.stage.is_none() {
                let all = seeds.unwrap_or_else(|| cfg.seeds_of(level));
                let seeds = if bin.library {
                    all
                } else {
                    &all[..1.min(all.len())]
                };
                for &seed in seeds {
                    jobs.push(Job {
                        bin: bin.clone(),
                        workload: cfg.workload_of(level).to_string(),
                        args: level.args.clone(),
                        seed,
                        store: store.join(&level.name).join(format!("seed-{seed}")),
                        label: format!("{who}: {} level {}", cfg.exercise, level.name),
                    });
                }
            }
            spans.push(start..jobs.len());
        }
        let levels = levels.iter().map(|l| (*l).clone()).collect();
        Plan {
            jobs,
            spans,
            levels,
        }
    }

    /// The same tests (levels and seeds) for another binary.
    pub fn for_binary(&self, bin: &Binary, store: &Path, who: &str) -> Plan {
        let mut plan = Plan {
            jobs: self.jobs.clone(),
            spans: self.spans.clone(),
            levels: self.levels.clone(),
        };
        for job in &mut plan.jobs {
            job.bin = bin.clone();
            // Keep the level and seed folders: .../LEVEL/seed-N.
            let tail: PathBuf = job
                .store
                .iter()
                .rev()
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            job.store = store.join(tail);
            let what = job
                .label
                .split_once(": ")
                .map(|(_, w)| w.to_string())
                .unwrap_or_default();
            job.label = format!("{who}: {what}");
        }
        plan
    }

    /// Whether each job ran and met every criterion of its level.
    pub(super) fn passes(&self, ran: &[Ran]) -> Vec<bool> {
        let mut out = vec![false; self.jobs.len()];
        for (span, level) in self.spans.iter().zip(&self.levels) {
            for i in span.clone() {
                out[i] = match &ran[i] {
                    Ran::Done { results, .. } => level
                        .criteria
                        .iter()
                        .all(|c| criteria::judge(c, results).pass),
                    Ran::Crashed(_) => false,
                };
            }
        }
        out
    }

    /// Removes the store folders nobody needs: of each level, it keeps the
    /// folders of the (at most [`KEPT_FAILURES`] lowest) failing seeds and of
    /// the level's last seed, and drops the rest, including folders of seeds
    /// from earlier gradings that this one did not run. A kept seed that
    /// passed keeps its message journal gzipped (see [`gzip_journal`]).
    pub fn tidy(&self, ran: &[Ran]) {
        let passes = self.passes(ran);
        for span in &self.spans {
            let Some(last) = span.clone().last() else {
                continue;
            };
            let mut failing: Vec<&Job> = span
                .clone()
                .filter(|&i| !passes[i])
                .map(|i| &self.jobs[i])
                .collect();
            failing.sort_by_key(|j| j.seed);
            failing.truncate(KEPT_FAILURES);
            let keep: Vec<&Path> = failing
                .iter()
                .map(|j| j.store.as_path())
                .chain([self.jobs[last].store.as_path()])
                .collect();
            if let (true, Ran::Done { dir, .. }) = (passes[last], &ran[last]) {
                if let Err(e) = gzip_journal(dir) {
                    eprintln!("could not gzip {}/{JOURNAL}: {e}", dir.display());
                }
            }
            let Some(level_dir) = self.jobs[last].store.parent() else {
                continue;
            };
            let Ok(entries) = std::fs::read_dir(level_dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let is_seed = entry.file_name().to_string_lossy().starts_with("seed-");
                if is_seed && !keep.contains(&path.as_path()) {
                    let _ = std::fs::remove_dir_all(&path);
                }
            }
        }
    }

    /// Judges each level from its jobs' results.
    pub fn evaluate(&self, ran: &[Ran]) -> Vec<Eval> {
        self.spans
            .iter()
            .zip(&self.levels)
            .map(|(span, level)| Eval::new(level, &self.jobs[span.clone()], &ran[span.clone()]))
            .collect()
    }
}

/// A level judged over its seeds.
pub struct Eval {
    /// Per criterion: the worst judgement over the seeds and its job index.
    pub worst: Vec<Option<(usize, criteria::Judged)>>,
    /// The first test that crashed, and why.
    pub crashed: Option<(Job, String)>,
    /// The tests that ran, with their results.
    pub done: Vec<(Job, Value, PathBuf)>,
    /// Whether the level ran at all (a stage does not).
    pub ran: bool,
}

impl Eval {
    fn new(level: &Level, jobs: &[Job], ran: &[Ran]) -> Eval {
        let mut done = Vec::new();
        let mut crashed = None;
        for (job, r) in jobs.iter().zip(ran) {
            match r {
                Ran::Done { results, dir } => {
                    done.push((job.clone(), results.clone(), dir.clone()))
                }
                Ran::Crashed(why) => {
                    crashed.get_or_insert_with(|| (job.clone(), why.clone()));
                }
            }
        }
        let worst = level
            .criteria
            .iter()
            .map(|c| {
                let judged: Vec<_> = done.iter().map(|(_, r, _)| criteria::judge(c, r)).collect();
                criteria::worst(c, &judged).map(|i| (i, judged[i].clone()))
            })
            .collect();
        Eval {
            worst,
            crashed,
            done,
            ran: !jobs.is_empty(),
        }
    }

    /// Every seed ran and met every criterion.
    pub fn passed(&self) -> bool {
        self.ran
            && self.crashed.is_none()
            && self
                .worst
                .iter()
                .all(|w| w.as_ref().is_some_and(|(_, j)| j.pass))
    }

    /// The test that shows the failure best: a crash, else the worst seed of the
    /// first failing criterion.
    pub(super) fn failing(&self) -> Option<(&Job, &Value, &Path)> {
        let (i, _) = self.worst.iter().flatten().find(|(_, j)| !j.pass)?;
        let (job, results, dir) = &self.done[*i];
        Some((job, results, dir))
    }
}

/// The table row of a level.
pub(super) fn row(
    cfg: &GradeConfig,
    level: &Level,
    eval: &Eval,
    reference: Option<&Eval>,
    grading_reference: bool,
) -> LevelRow {
    if let Some(stage) = &level.stage {
        return LevelRow {
            label: level.label(),
            status: Status::NotRun,
            criteria: vec![],
            note: Some(stage_note(cfg, stage, grading_reference)),
        };
    }
    let criteria = level
        .criteria
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mine = eval.worst[i].as_ref();
            CriterionRow {
                path: c.path.clone(),
                measured: match mine {
                    Some((_, j)) => criteria::fmt_value(j.measured.as_ref()),
                    None => "crashed".into(),
                },
                ok: mine.is_some_and(|(_, j)| j.pass),
                threshold: criteria::fmt_threshold(c),
                reference: reference.map(|r| match &r.worst[i] {
                    Some((_, j)) => criteria::fmt_value(j.measured.as_ref()),
                    None => "crashed".into(),
                }),
            }
        })
        .collect();
    let note = eval
        .crashed
        .as_ref()
        .map(|(job, _)| format!("the test crashed with seed {} (see below)", job.seed));
    LevelRow {
        label: level.label(),
        status: if eval.passed() {
            Status::Pass
        } else {
            Status::Fail
        },
        criteria,
        note,
    }
}

/// A test's message journal, in its store folder.
const JOURNAL: &str = "messages.jsonl";

/// Replaces `dir/messages.jsonl` with `messages.jsonl.gz` (read it with
/// `zcat`), and the link to it in index.html. A passing run's folder is kept
/// to be looked at rather than debugged, and its journal is most of a store:
/// a kafka level's runs to tens of MB, which gzip shrinks about tenfold.
/// Failing runs keep theirs as is. Does nothing if there is no journal.
pub fn gzip_journal(dir: &Path) -> std::io::Result<()> {
    let src = dir.join(JOURNAL);
    let dest = dir.join(format!("{JOURNAL}.gz"));
    let mut input = match std::fs::File::open(&src) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let written = (|| {
        let out = std::io::BufWriter::new(std::fs::File::create(&dest)?);
        // The fastest level: most of the gain at a fraction of the time.
        let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
        std::io::copy(&mut input, &mut gz)?;
        use std::io::Write as _;
        gz.finish()?.flush()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&dest);
        return Err(e);
    }
    std::fs::remove_file(&src)?;
    let page = dir.join("index.html");
    if let Ok(html) = std::fs::read_to_string(&page) {
        let link = format!("<a href=\"{JOURNAL}\">{JOURNAL}</a>");
        let gz = format!("<a href=\"{JOURNAL}.gz\">{JOURNAL}.gz</a>");
        std::fs::write(&page, html.replace(&link, &gz))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn a_journal_is_gzipped_whole_and_its_link_follows() {
        let dir = tempfile::tempdir().unwrap();
        let journal: String = (0..5000)
            .map(|i| format!("{{\"type\":\"send\",\"time\":{i},\"message\":{{\"src\":\"n1\"}}}}\n"))
            .collect();
        std::fs::write(dir.path().join(JOURNAL), &journal).unwrap();
        std::fs::write(
            dir.path().join("index.html"),
            "<li><a href=\"messages.jsonl\">messages.jsonl</a></li>",
        )
        .unwrap();
        gzip_journal(dir.path()).unwrap();
        assert!(!dir.path().join(JOURNAL).exists());
        let gz = std::fs::read(dir.path().join("messages.jsonl.gz")).unwrap();
        assert!(
            gz.len() * 10 < journal.len(),
            "{} of {}",
            gz.len(),
            journal.len()
        );
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, journal);
        let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
        assert_eq!(
            html,
            "<li><a href=\"messages.jsonl.gz\">messages.jsonl.gz</a></li>"
        );
        // Again, or on a folder without a journal: nothing to do.
        gzip_journal(dir.path()).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("messages.jsonl.gz")).unwrap(),
            gz
        );
    }
}
