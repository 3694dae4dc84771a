//! `maelstrom grade EXERCISE`: builds the learner's node, runs the exercise's
//! levels (from its `grade.toml`) and the reference solution on the same seeds,
//! and prints a table of each criterion's measured value against its threshold.
//!
//! Library binaries run in deterministic simulation over every seed of the
//! level (seconds of wall time, exact replay); other binaries run as processes
//! with the first seed, as `maelstrom test` would run them.

pub mod config;
pub mod criteria;
pub mod explain;
pub mod progress;
pub mod runner;
pub mod stages;
pub mod table;

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use super::EXIT_BAD_ARGS;
use config::{Exercise, GradeConfig, Level};
use progress::LevelRecord;
use runner::{Binary, Job, Ran};
use table::{CriterionRow, LevelRow, Status};

/// `maelstrom grade` options.
#[derive(Debug, Args)]
pub struct GradeArgs {
    /// The exercise: echo, unique-ids, broadcast, ... (or its folder's name).
    #[arg(value_name = "EXERCISE")]
    pub exercise: String,
    /// Grade this node binary instead of building the starter crate.
    #[arg(long = "bin", value_name = "FILE", conflicts_with = "reference")]
    pub bin: Option<PathBuf>,
    /// Grade only this level.
    #[arg(long = "level", value_name = "NAME")]
    pub level: Option<String>,
    /// Grade the reference solution (it should pass every level).
    #[arg(long = "reference")]
    pub reference: bool,
    /// Seeds instead of grade.toml's: a count N (0..N), a range A..B or a list 1,2,3.
    #[arg(long = "seeds", value_name = "SEEDS")]
    pub seeds: Option<String>,
    /// The exercises folder (default: `exercises/` of the workspace around the
    /// current directory).
    #[arg(long = "exercises", value_name = "DIR")]
    pub exercises: Option<PathBuf>,
    /// Directory holding the store; grading writes under `STORE/grade/`.
    #[arg(long = "store", value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
    /// Run the nodes as processes (real time, real scheduling; one seed per
    /// level), even when they are built with maelstrom-node.
    #[arg(long = "processes", conflicts_with = "sim")]
    pub processes: bool,
    /// Run the nodes in simulation (the default for binaries built with
    /// maelstrom-node; an error for any other binary).
    #[arg(long = "sim")]
    pub sim: bool,
}

impl GradeArgs {
    /// Applies `--processes`/`--sim` to a probed binary, or says why it cannot
    /// run in the mode asked for.
    fn in_mode(&self, mut bin: Binary) -> Result<Binary, String> {
        if self.processes {
            bin.library = false;
        } else if self.sim && !bin.library {
            return Err(format!(
                "--sim: {} is not built with maelstrom-node, so it can only run as processes \
                 (leave out --sim)",
                bin.path.display()
            ));
        }
        Ok(bin)
    }
}

/// Where the workspace and its exercises are.
pub struct Workspace {
    /// The cargo workspace to build in, if there is one around.
    pub root: Option<PathBuf>,
    /// Every exercise with a grade.toml.
    pub exercises: Vec<Exercise>,
}

/// Finds the workspace (upward from the current directory) and loads the
/// exercises from `exercises` or its `exercises/`.
pub fn workspace(exercises: Option<&Path>) -> Result<Workspace, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
    let root = config::find_workspace_root(&cwd)
        .or_else(|| exercises.and_then(config::find_workspace_root));
    let dir = match (exercises, &root) {
        (Some(dir), _) => dir.to_path_buf(),
        (None, Some(root)) => root.join("exercises"),
        (None, None) => {
            return Err(format!(
                "no exercises found: {} is not inside a clone of the workbench \
                 (a folder with Cargo.toml and exercises/); cd into one or pass --exercises DIR",
                cwd.display()
            ))
        }
    };
    let exercises = config::load_exercises(&dir)?;
    Ok(Workspace { root, exercises })
}

/// Builds `packages` in the workspace, or explains why it cannot.
pub fn build(
    ws: &Workspace,
    packages: &[&str],
) -> Result<std::collections::BTreeMap<String, PathBuf>, String> {
    let root = ws.root.as_deref().ok_or(
        "cannot build the exercise's crates: not inside a clone of the workbench (run from one)",
    )?;
    runner::cargo_build(root, packages)
}

/// Runs `maelstrom grade` and returns the exit code.
pub fn command(args: &GradeArgs) -> i32 {
    let ws = match workspace(args.exercises.as_deref()) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_ARGS;
        }
    };
    let exercise = match config::find_exercise(&ws.exercises, &args.exercise) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_ARGS;
        }
    };
    let cfg = &exercise.config;
    let levels: Vec<&Level> = match &args.level {
        None => cfg.levels.iter().collect(),
        Some(name) => match cfg.levels.iter().find(|l| &l.name == name) {
            Some(l) => vec![l],
            None => {
                let names: Vec<&str> = cfg.levels.iter().map(|l| l.name.as_str()).collect();
                eprintln!(
                    "{} has no level {name:?}; its levels are {}",
                    cfg.exercise,
                    names.join(", ")
                );
                return EXIT_BAD_ARGS;
            }
        },
    };
    let seeds = match args.seeds.as_deref().map(parse_seeds).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_ARGS;
        }
    };
    // The reference first: a compile error in the learner's crate should not
    // hide behind it, and its column is wanted either way.
    let reference = match build(&ws, &[&cfg.reference_package]) {
        Ok(bins) => match bins.get(&cfg.reference_bin) {
            Some(p) => match args.in_mode(Binary::probe(p.clone())) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("{e}");
                    return EXIT_BAD_ARGS;
                }
            },
            None => {
                eprintln!(
                    "cargo built no binary {:?} in {}",
                    cfg.reference_bin, cfg.reference_package
                );
                return super::EXIT_CRASH;
            }
        },
        Err(e) => {
            eprintln!("{e}");
            return super::EXIT_CRASH;
        }
    };
    let learner = if args.reference {
        None
    } else if let Some(bin) = &args.bin {
        if !bin.exists() {
            eprintln!("--bin {}: no such file", bin.display());
            return EXIT_BAD_ARGS;
        }
        Some(Binary::probe(bin.clone()))
    } else {
        match build(&ws, &[&cfg.starter_package]) {
            Ok(bins) => match bins.get(&cfg.starter_bin) {
                Some(p) => Some(Binary::probe(p.clone())),
                None => {
                    eprintln!(
                        "cargo built no binary {:?} in {}",
                        cfg.starter_bin, cfg.starter_package
                    );
                    return super::EXIT_CRASH;
                }
            },
            Err(e) => {
                println!("Your crate does not build, so no level ran.\n{e}");
                return 1;
            }
        }
    };
    let learner = match learner.map(|b| args.in_mode(b)).transpose() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_ARGS;
        }
    };
    let graded = learner.clone().unwrap_or_else(|| reference.clone());
    let store = args.store.join("grade").join(&cfg.exercise);
    let who = if args.reference { "reference" } else { "yours" };
    let plan = Plan::new(
        cfg,
        &levels,
        seeds.as_deref(),
        &graded,
        &store.join(who),
        who,
    );
    // The reference runs exactly the learner's tests (seeds included), so its
    // column compares like with like.
    let ref_plan = learner
        .as_ref()
        .map(|_| plan.for_binary(&reference, &store.join("reference"), "reference"));
    eprintln!(
        "Grading {} ({}), {}...",
        cfg.exercise,
        graded.path.display(),
        if graded.library {
            "in simulation"
        } else {
            "as processes, one seed per level"
        }
    );
    let mut jobs = plan.jobs.clone();
    jobs.extend(ref_plan.iter().flat_map(|p| p.jobs.iter().cloned()));
    let ran = runner::run_all(&jobs, &|job, ran| progress(job, ran));
    let (mine, theirs) = ran.split_at(plan.jobs.len());
    let evals = plan.evaluate(mine);
    let ref_evals = ref_plan.as_ref().map(|p| p.evaluate(theirs));
    // Keep what a learner may look at, not every seed's folder.
    plan.tidy(mine);
    if let Some(p) = &ref_plan {
        p.tidy(theirs);
    }
    // Stage levels run the crate's own scenario tests: the learner's starter, or
    // the reference's with --reference. A bare --bin has no crate to run them in.
    let stage_crate = match (&args.bin, args.reference) {
        (Some(_), _) => None,
        (None, true) => Some((&cfg.reference_package, exercise.dir.join("reference"))),
        (None, false) => Some((&cfg.starter_package, exercise.dir.join("starter"))),
    };
    let stage_runs: Vec<Option<stages::StageRun>> = levels
        .iter()
        .map(|level| {
            let stage = level.stage.as_ref()?;
            let (package, dir) = stage_crate.as_ref()?;
            let root = ws.root.as_deref()?;
            if !stages::has_stages_example(dir) {
                return None;
            }
            let stage = match stage {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            eprintln!("  running stage {stage} of {package}...");
            Some(stages::run(root, package, &stage))
        })
        .collect();
    let rows: Vec<LevelRow> = levels
        .iter()
        .enumerate()
        .map(|(i, level)| match &stage_runs[i] {
            Some(run) => stage_row(level, run),
            None => row(
                cfg,
                level,
                &evals[i],
                ref_evals.as_ref().map(|r| &r[i]),
                args.reference,
            ),
        })
        .collect();
    if !args.reference {
        let mode = if graded.library {
            "simulation"
        } else {
            "processes"
        };
        let passes = plan.passes(mine);
        for (i, level) in levels.iter().enumerate() {
            let seeds: Vec<(u64, bool)> = plan.spans[i]
                .clone()
                .map(|j| (plan.jobs[j].seed, passes[j]))
                .collect();
            if let Some(record) = LevelRecord::new(&rows[i], &seeds, mode) {
                record.save(&store.join("yours").join(&level.name));
            }
        }
    }
    println!();
    print!("{}", table::render(&rows, ref_evals.is_some()));
    println!(
        "Mode: {}",
        if graded.library {
            "simulation, every seed (--processes runs them as processes)"
        } else {
            "processes, one seed per level"
        }
    );
    for (level, eval) in levels.iter().zip(&evals) {
        if let Some(text) = failure_report(level, eval) {
            println!("\n{text}");
        }
    }
    for (level, run) in levels.iter().zip(&stage_runs) {
        if let Some(run) = run.as_ref().filter(|r| !r.passed) {
            println!("\nLevel {} failed:\n{}", level.label(), indent(&run.output));
        }
    }
    summary(&rows)
}

/// The table row of a stage level that ran.
fn stage_row(level: &Level, run: &stages::StageRun) -> LevelRow {
    LevelRow {
        label: level.label(),
        status: if run.passed {
            Status::Pass
        } else {
            Status::Fail
        },
        criteria: vec![],
        note: Some(if run.passed {
            run.output.lines().last().unwrap_or("passed").to_string()
        } else {
            "the stage's scenarios failed (below)".to_string()
        }),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The closing lines and exit code: 0 when every level that ran passed.
fn summary(rows: &[LevelRow]) -> i32 {
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let (pass, fail, not_run) = (
        count(Status::Pass),
        count(Status::Fail),
        count(Status::NotRun),
    );
    println!();
    if not_run > 0 {
        println!("{not_run} level(s) are not run by `maelstrom grade`: run them as shown above.");
    }
    if fail == 0 && pass > 0 {
        println!("All {pass} level(s) pass.");
        0
    } else {
        println!("{pass} of {} level(s) pass.", pass + fail);
        1
    }
}

/// How many failing seeds' folders grading keeps per level (the lowest ones).
pub const KEPT_FAILURES: usize = 5;

/// The most seeds `--seeds N` or `A..B` may name for grading.
const MAX_GRADE_SEEDS: u64 = 100_000;

/// `N`, `A..B` or `1,2,3`.
fn parse_seeds(spec: &str) -> Result<Vec<u64>, String> {
    if spec.contains(',') {
        spec.split(',')
            .map(|s| {
                s.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("invalid seed {s:?} in --seeds"))
            })
            .collect()
    } else {
        // Grading lists its tests up front, so its range must stay small.
        let range = super::sim::parse_seeds(spec)?;
        if range.len() > MAX_GRADE_SEEDS {
            return Err(format!(
                "--seeds {spec:?}: grading runs at most {MAX_GRADE_SEEDS} seeds per level"
            ));
        }
        Ok(range.iter().collect())
    }
}

fn progress(job: &Job, ran: &Ran) {
    let what = match ran {
        Ran::Done { results, .. } => match &results["valid"] {
            Value::Bool(true) => "valid".to_string(),
            Value::Bool(false) => "invalid".to_string(),
            other => criteria::fmt_value(Some(other)),
        },
        Ran::Crashed(_) => "crashed".into(),
    };
    eprintln!("  {}, seed {}: {what}", job.label, job.seed);
}

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
    fn passes(&self, ran: &[Ran]) -> Vec<bool> {
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
    fn failing(&self) -> Option<(&Job, &Value, &Path)> {
        let (i, _) = self.worst.iter().flatten().find(|(_, j)| !j.pass)?;
        let (job, results, dir) = &self.done[*i];
        Some((job, results, dir))
    }
}

/// The table row of a level.
fn row(
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

/// How to run a Raft stage, which `maelstrom grade` does not: the stages are the
/// exercise's own cargo tests of the core, not harness runs of a node binary.
pub fn stage_note(cfg: &GradeConfig, stage: &Value, grading_reference: bool) -> String {
    let stage = criteria::fmt_value(Some(stage));
    if grading_reference {
        format!(
            "Raft stage {stage}: run with `cargo test -p {}`",
            cfg.reference_package
        )
    } else {
        format!(
            "Raft stage {stage}: run with `cargo run -p {} --example stages -- {stage}`",
            cfg.starter_package
        )
    }
}

/// What went wrong in a failed level, in plain words, with the seed, the
/// replay command and the store folder to look in.
fn failure_report(level: &Level, eval: &Eval) -> Option<String> {
    if eval.passed() || !eval.ran {
        return None;
    }
    let mut out = vec![];
    if let Some((job, why)) = &eval.crashed {
        out.push(format!(
            "Level {} failed: the test crashed with seed {}:",
            level.label(),
            job.seed
        ));
        out.extend(why.lines().map(|l| format!("  {l}")));
        out.push(format!("  Replay: {}", job.replay()));
        let latest = job.store.join("latest");
        let dir = latest.canonicalize().unwrap_or(job.store.clone());
        out.push(format!("  Look in: {}", dir.display()));
        return Some(out.join("\n"));
    }
    let (job, results, dir) = eval.failing()?;
    out.push(format!(
        "Level {} failed with seed {}:",
        level.label(),
        job.seed
    ));
    for (c, w) in level.criteria.iter().zip(&eval.worst) {
        if let Some((i, j)) = w {
            if !j.pass && eval.done[*i].0.seed == job.seed {
                let why = j.problem.clone().unwrap_or_else(|| {
                    format!(
                        "{} is {}, needs {}",
                        c.path,
                        criteria::fmt_value(j.measured.as_ref()),
                        criteria::fmt_threshold(c)
                    )
                });
                out.push(format!("  - {why}"));
            }
        }
    }
    let history = explain::read_history(dir);
    if let Some(line) = explain::summary_line(results) {
        out.push(format!("  - {line}"));
    }
    out.extend(
        explain::explain(results, &history)
            .into_iter()
            .map(|l| format!("  - {l}")),
    );
    // The operation that made the run invalid; for a starter, the
    // not-supported error that says which message it does not handle yet.
    if let Some(line) = explain::culprit(results, &history) {
        out.push(format!("  - {line}"));
    }
    out.push(format!("  Replay: {}", job.replay()));
    out.push(format!(
        "  Look in: {} (results.json, history.jsonl, messages.jsonl, node-logs/)",
        dir.display()
    ));
    Some(out.join("\n"))
}
