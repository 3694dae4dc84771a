//! `maelstrom demo`: every exercise's reference solution through its levels,
//! one seed each, as upstream's `maelstrom demo` runs its demo nodes; the same
//! summary lists, counts and exit code.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde_json::Value;

use super::grade::{self, runner, Eval, Plan};
use super::{EXIT_BAD_ARGS, EXIT_CRASH};

/// `maelstrom demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The exercises folder (default: `exercises/` of the workspace around the
    /// current directory).
    #[arg(long = "exercises", value_name = "DIR")]
    pub exercises: Option<PathBuf>,
    /// Directory holding the store; the demo writes under `STORE/demo/`.
    #[arg(long = "store", value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
}

/// How one test of the demo ended, in upstream's four lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Every criterion held.
    Success,
    /// The checker could not decide.
    Unknown,
    /// The test broke (or the reference did not build).
    Crashed,
    /// A criterion failed.
    Failed,
}

/// Upstream's summary: the four lists (only those with entries), the counts.
pub fn summary(results: &[(String, Verdict)]) -> String {
    let mut out = String::from("\n");
    for (verdict, heading) in [
        (Verdict::Success, "# Successful tests"),
        (Verdict::Unknown, "# Indeterminate tests"),
        (Verdict::Crashed, "# Crashed tests"),
        (Verdict::Failed, "# Failed tests"),
    ] {
        let names: Vec<&str> = results
            .iter()
            .filter(|(_, v)| *v == verdict)
            .map(|(n, _)| n.as_str())
            .collect();
        if !names.is_empty() {
            out.push_str(&format!("\n{heading}\n\n"));
            for n in names {
                out.push_str(n);
                out.push('\n');
            }
        }
    }
    let count = |v: Verdict| results.iter().filter(|(_, r)| *r == v).count();
    out.push_str(&format!(
        "\n{} successes\n{} unknown\n{} crashed\n{} failures\n",
        count(Verdict::Success),
        count(Verdict::Unknown),
        count(Verdict::Crashed),
        count(Verdict::Failed)
    ));
    out
}

/// Upstream's exit code: 255 if any crashed, 2 if any unknown, 1 if any failed.
pub fn exit_code(results: &[(String, Verdict)]) -> i32 {
    let any = |v: Verdict| results.iter().any(|(_, r)| *r == v);
    if any(Verdict::Crashed) {
        EXIT_CRASH
    } else if any(Verdict::Unknown) {
        2
    } else if any(Verdict::Failed) {
        1
    } else {
        0
    }
}

/// Runs `maelstrom demo` and returns the exit code.
pub fn command(args: &DemoArgs) -> i32 {
    let started = Instant::now();
    let ws = match grade::workspace(args.exercises.as_deref()) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_ARGS;
        }
    };
    if ws.exercises.is_empty() {
        eprintln!("no exercises/*/grade.toml found");
        return EXIT_BAD_ARGS;
    }
    // One cargo call for every reference: cargo builds them in parallel.
    let packages: Vec<&str> = ws
        .exercises
        .iter()
        .map(|e| e.config.reference_package.as_str())
        .collect();
    let bins = match grade::build(&ws, &packages) {
        Ok(bins) => bins,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_CRASH;
        }
    };
    let mut results: Vec<(String, Verdict)> = Vec::new();
    let mut plans = Vec::new();
    let mut not_run = Vec::new();
    for ex in &ws.exercises {
        let cfg = &ex.config;
        let Some(path) = bins.get(&cfg.reference_bin) else {
            results.push((
                format!(
                    "{}: cargo built no binary {}",
                    cfg.exercise, cfg.reference_bin
                ),
                Verdict::Crashed,
            ));
            continue;
        };
        let bin = runner::Binary::probe(path.clone());
        let levels: Vec<_> = cfg.levels.iter().collect();
        for level in levels.iter().filter(|l| l.stage.is_some()) {
            let stage = level.stage.as_ref().unwrap_or(&Value::Null);
            let root = ws.root.as_deref();
            let reference_dir = ex.dir.join("reference");
            match root.filter(|_| grade::stages::has_stages_example(&reference_dir)) {
                // The reference's own stage scenarios, through its stages example.
                Some(root) => {
                    let name = match stage {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    eprintln!("  reference: {} stage {name}...", cfg.exercise);
                    let run = grade::stages::run(root, &cfg.reference_package, &name);
                    let verdict = if run.passed {
                        Verdict::Success
                    } else {
                        Verdict::Failed
                    };
                    let last = run.output.lines().last().unwrap_or_default().to_string();
                    results.push((
                        format!("{} {} ({}): {last}", cfg.exercise, level.name, level.title),
                        verdict,
                    ));
                }
                None => not_run.push(format!(
                    "{} {}: {}",
                    cfg.exercise,
                    level.label(),
                    grade::stage_note(cfg, stage, true)
                )),
            }
        }
        // One seed per level (the config's first): the demo shows the
        // references work; `maelstrom grade --reference` sweeps the seeds.
        let first = [cfg.seeds[0]];
        let store = args.store.join("demo").join(&cfg.exercise);
        plans.push((
            ex,
            Plan::new(cfg, &levels, Some(&first), &bin, &store, "reference"),
        ));
    }
    let jobs: Vec<_> = plans
        .iter()
        .flat_map(|(_, p)| p.jobs.iter().cloned())
        .collect();
    eprintln!("Running {} tests of the reference solutions...", jobs.len());
    let ran = runner::run_all(&jobs, &|job, ran| {
        let what = match ran {
            runner::Ran::Done { results, .. } => {
                super::grade::criteria::fmt_value(results.get("valid"))
            }
            runner::Ran::Crashed(_) => "crashed".into(),
        };
        eprintln!("  {}: valid {what}", job.label);
    });
    let mut at = 0;
    for (ex, plan) in &plans {
        let mine = &ran[at..at + plan.jobs.len()];
        let evals = plan.evaluate(mine);
        // As grading does: the runs' folders stay, their journals gzipped.
        plan.tidy(mine);
        at += plan.jobs.len();
        for (level, eval) in plan.levels.iter().zip(&evals) {
            if !eval.ran {
                continue;
            }
            let (verdict, place) = verdict(eval);
            let name = format!(
                "{} {} ({}): {}",
                ex.config.exercise, level.name, level.title, place
            );
            results.push((name, verdict));
        }
    }
    print!("{}", summary(&results));
    if !not_run.is_empty() {
        println!("\nNot run by the demo (the Raft stages are cargo tests of the core):");
        for line in &not_run {
            println!("  {line}");
        }
    }
    eprintln!("\nDemo took {:.0} s.", started.elapsed().as_secs_f64());
    exit_code(&results)
}

/// A level's place in upstream's lists, and where its test is.
fn verdict(eval: &Eval) -> (Verdict, String) {
    if let Some((job, why)) = &eval.crashed {
        let first = why.lines().last().unwrap_or_default();
        return (
            Verdict::Crashed,
            format!("{} ({first})", job.store.display()),
        );
    }
    let Some((_, results, dir)) = eval.done.first() else {
        return (Verdict::Crashed, "no test ran".into());
    };
    let place = dir.display().to_string();
    if eval.passed() {
        (Verdict::Success, place)
    } else if results.get("valid").is_some_and(|v| v == "unknown") {
        (Verdict::Unknown, place)
    } else {
        (Verdict::Failed, place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_summary_and_exit_codes() {
        let r = vec![
            ("echo a".to_string(), Verdict::Success),
            ("broadcast d".to_string(), Verdict::Failed),
            ("kafka-log a".to_string(), Verdict::Success),
        ];
        assert_eq!(
            summary(&r),
            "\n\n# Successful tests\n\necho a\nkafka-log a\n\n# Failed tests\n\nbroadcast d\n\n\
             2 successes\n0 unknown\n0 crashed\n1 failures\n"
        );
        assert_eq!(exit_code(&r), 1);
        let mut r2 = r.clone();
        r2.push(("x".into(), Verdict::Unknown));
        assert_eq!(exit_code(&r2), 2);
        r2.push(("y".into(), Verdict::Crashed));
        assert_eq!(exit_code(&r2), 255);
        assert_eq!(exit_code(&r[..1]), 0);
    }
}
