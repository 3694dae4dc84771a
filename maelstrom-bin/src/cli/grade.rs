//! `maelstrom grade EXERCISE`: builds the learner's node, runs the exercise's
//! levels (from its `grade.toml`) and the reference solution on the same seeds,
//! and prints a table of each criterion's measured value against its threshold.
//!
//! Library binaries run in deterministic simulation over every seed of the
//! level (seconds of wall time, exact replay); other binaries run as processes
//! with the first seed, as `maelstrom test` would run them.

pub mod config;
pub mod criteria;
use maelstrom_harness::explain;
pub mod plan;
pub mod progress;
pub mod runner;
pub mod stages;
pub mod table;

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use super::EXIT_BAD_ARGS;
use config::{Exercise, GradeConfig, Level};
use plan::row;
pub use plan::{Eval, Plan};
use progress::LevelRecord;
use runner::{Binary, Job, Ran};
use table::{LevelRow, Status};

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
    match grade(args) {
        Ok(code) | Err(code) => code,
    }
}

/// Prints `e` and gives the exit code for bad arguments.
fn bad_args(e: impl std::fmt::Display) -> i32 {
    eprintln!("{e}");
    EXIT_BAD_ARGS
}

/// Prints `e` and gives the exit code for a grading that broke.
fn broke(e: impl std::fmt::Display) -> i32 {
    eprintln!("{e}");
    super::EXIT_CRASH
}

/// The whole grading; `Err` carries the exit code of a grading that could
/// not run.
fn grade(args: &GradeArgs) -> Result<i32, i32> {
    let ws = workspace(args.exercises.as_deref()).map_err(bad_args)?;
    let exercise = config::find_exercise(&ws.exercises, &args.exercise).map_err(bad_args)?;
    let cfg = &exercise.config;
    let levels = select_levels(cfg, args.level.as_deref()).map_err(bad_args)?;
    let seeds = args
        .seeds
        .as_deref()
        .map(parse_seeds)
        .transpose()
        .map_err(bad_args)?;
    // The reference first: a compile error in the learner's crate should not
    // hide behind it, and its column is wanted either way.
    let reference = reference_binary(&ws, cfg, args)?;
    let learner = learner_binary(&ws, cfg, args)?;
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
    let stage_runs = run_stages(&ws, &exercise, args, &levels);
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
        save_records(&plan, mine, &levels, &rows, graded.library, &store);
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
    Ok(summary(&rows))
}

/// Every level, or the one `--level` names.
fn select_levels<'a>(cfg: &'a GradeConfig, name: Option<&str>) -> Result<Vec<&'a Level>, String> {
    let Some(name) = name else {
        return Ok(cfg.levels.iter().collect());
    };
    match cfg.levels.iter().find(|l| l.name == name) {
        Some(l) => Ok(vec![l]),
        None => {
            let names: Vec<&str> = cfg.levels.iter().map(|l| l.name.as_str()).collect();
            Err(format!(
                "{} has no level {name:?}; its levels are {}",
                cfg.exercise,
                names.join(", ")
            ))
        }
    }
}

/// Builds the reference solution, in the mode asked for.
fn reference_binary(ws: &Workspace, cfg: &GradeConfig, args: &GradeArgs) -> Result<Binary, i32> {
    let bins = build(ws, &[&cfg.reference_package]).map_err(broke)?;
    let path = bins.get(&cfg.reference_bin).ok_or_else(|| {
        broke(format!(
            "cargo built no binary {:?} in {}",
            cfg.reference_bin, cfg.reference_package
        ))
    })?;
    args.in_mode(Binary::probe(path.clone())).map_err(bad_args)
}

/// The learner's binary (`--bin`, or the starter crate built), in the mode
/// asked for; `None` when grading the reference. A starter that does not
/// build ends the grading with exit 1.
fn learner_binary(
    ws: &Workspace,
    cfg: &GradeConfig,
    args: &GradeArgs,
) -> Result<Option<Binary>, i32> {
    let probed = if args.reference {
        return Ok(None);
    } else if let Some(bin) = &args.bin {
        if !bin.exists() {
            return Err(bad_args(format!("--bin {}: no such file", bin.display())));
        }
        Binary::probe(bin.clone())
    } else {
        let bins = build(ws, &[&cfg.starter_package]).map_err(|e| {
            println!("Your crate does not build, so no level ran.\n{e}");
            1
        })?;
        let path = bins.get(&cfg.starter_bin).ok_or_else(|| {
            broke(format!(
                "cargo built no binary {:?} in {}",
                cfg.starter_bin, cfg.starter_package
            ))
        })?;
        Binary::probe(path.clone())
    };
    args.in_mode(probed).map(Some).map_err(bad_args)
}

/// Runs the stage levels through the crate's own scenario tests: the
/// learner's starter, or the reference's with --reference. A bare --bin has
/// no crate to run them in (`None` for those, and for other levels).
fn run_stages(
    ws: &Workspace,
    exercise: &Exercise,
    args: &GradeArgs,
    levels: &[&Level],
) -> Vec<Option<stages::StageRun>> {
    let cfg = &exercise.config;
    let stage_crate = match (&args.bin, args.reference) {
        (Some(_), _) => None,
        (None, true) => Some((&cfg.reference_package, exercise.dir.join("reference"))),
        (None, false) => Some((&cfg.starter_package, exercise.dir.join("starter"))),
    };
    levels
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
        .collect()
}

/// Saves each level's result for `maelstrom progress`.
fn save_records(
    plan: &Plan,
    ran: &[Ran],
    levels: &[&Level],
    rows: &[LevelRow],
    library: bool,
    store: &Path,
) {
    let mode = if library { "simulation" } else { "processes" };
    let passes = plan.passes(ran);
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
