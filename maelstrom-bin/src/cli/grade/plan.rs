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
    /// from earlier gradings that this one did not run.
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
