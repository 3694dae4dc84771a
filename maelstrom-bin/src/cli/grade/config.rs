//! An exercise's grading config (`exercises/NN-name/grade.toml`) and how to find it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// One exercise's `grade.toml`: which crates to build and the levels to pass.
#[derive(Clone, Debug, Deserialize)]
pub struct GradeConfig {
    /// The exercise's name, as `maelstrom grade NAME` takes it.
    pub exercise: String,
    /// The workload every level runs (a level may name another).
    pub workload: String,
    /// The learner's crate and binary.
    pub starter_package: String,
    /// The binary of `starter_package`.
    pub starter_bin: String,
    /// The reference solution's crate and binary.
    pub reference_package: String,
    /// The binary of `reference_package`.
    pub reference_bin: String,
    /// Seeds every simulated level runs with.
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
    /// The levels, in order.
    #[serde(rename = "level", default)]
    pub levels: Vec<Level>,
}

fn default_seeds() -> Vec<u64> {
    vec![1]
}

/// One level: a `maelstrom test` command line and what its results must show,
/// or a stage of the Raft exercise's own tests.
#[derive(Clone, Debug, Deserialize)]
pub struct Level {
    /// Short name (`a`, `b`, ...), as `--level` takes it.
    pub name: String,
    /// What the level is about, in a few words.
    #[serde(default)]
    pub title: String,
    /// `maelstrom test` flags, without `-w` and `--bin`.
    #[serde(default)]
    pub args: Vec<String>,
    /// A workload other than the exercise's.
    #[serde(default)]
    pub workload: Option<String>,
    /// Seeds other than the exercise's.
    #[serde(default)]
    pub seeds: Option<Vec<u64>>,
    /// What results.json must show.
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    /// A stage of the exercise's own tests (the Raft exercise) instead of a
    /// `maelstrom test` run: a number or a name.
    #[serde(default)]
    pub stage: Option<Value>,
}

impl Level {
    /// The level's name and title, as the table shows them.
    pub fn label(&self) -> String {
        if self.title.is_empty() {
            self.name.clone()
        } else {
            format!("{} {}", self.name, self.title)
        }
    }
}

/// A condition on one value of results.json: at most one of `equals`, `below`
/// and `above` (checked by [`GradeConfig::validate`]). With none, the value is
/// only reported, beside the reference's, and never fails the level.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// A dotted path into results.json, e.g. `workload.stable-latencies.0.5`.
    pub path: String,
    /// The value must be exactly this.
    #[serde(default)]
    pub equals: Option<Value>,
    /// The value must be a number strictly below this.
    #[serde(default)]
    pub below: Option<f64>,
    /// The value must be a number strictly above this.
    #[serde(default)]
    pub above: Option<f64>,
}

impl GradeConfig {
    /// Parses a grade.toml's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<GradeConfig, String> {
        let cfg: GradeConfig =
            toml::from_str(text).map_err(|e| format!("{}: {e}", origin.display()))?;
        let mut cfg = cfg;
        cfg.validate()
            .map_err(|e| format!("{}: {e}", origin.display()))?;
        cfg.require_valid();
        Ok(cfg)
    }

    /// Makes `valid = true` the first criterion of every `maelstrom test`
    /// level that does not state it: a level passes only on a valid run,
    /// whatever else its criteria measure.
    pub fn require_valid(&mut self) {
        for level in self.levels.iter_mut().filter(|l| l.stage.is_none()) {
            if !level.criteria.iter().any(|c| c.path == "valid") {
                level.criteria.insert(
                    0,
                    Criterion {
                        path: "valid".into(),
                        equals: Some(Value::Bool(true)),
                        below: None,
                        above: None,
                    },
                );
            }
        }
    }

    /// The checks serde cannot express: every level runs something, every
    /// criterion has one condition, names are unique.
    pub fn validate(&self) -> Result<(), String> {
        if self.levels.is_empty() {
            return Err("no [[level]]".into());
        }
        if self.seeds.is_empty() {
            return Err("`seeds` is empty".into());
        }
        let mut names = BTreeMap::new();
        for level in &self.levels {
            if names.insert(level.name.as_str(), ()).is_some() {
                return Err(format!("two levels are named {:?}", level.name));
            }
            match (&level.stage, level.args.is_empty()) {
                (Some(_), false) => {
                    return Err(format!(
                        "level {:?} has both `stage` and `args`: a level is one or the other",
                        level.name
                    ))
                }
                (None, true) => {
                    return Err(format!(
                        "level {:?} has no `args` (the maelstrom test flags)",
                        level.name
                    ))
                }
                _ => {}
            }
            if level.stage.is_none() && level.criteria.is_empty() {
                return Err(format!(
                    "level {:?} has no `criteria`: say what results.json must show \
                     (valid = true is required of every level in any case)",
                    level.name
                ));
            }
            if level.seeds.as_ref().is_some_and(Vec::is_empty) {
                return Err(format!("level {:?} has an empty `seeds`", level.name));
            }
            for c in &level.criteria {
                let set = [c.equals.is_some(), c.below.is_some(), c.above.is_some()];
                if c.path == "valid" && c.equals != Some(Value::Bool(true)) {
                    return Err(format!(
                        "level {:?}: the criterion on `valid` must be `equals = true`; \
                         no level passes an invalid or unknown run",
                        level.name
                    ));
                }
                if set.iter().filter(|s| **s).count() > 1 {
                    return Err(format!(
                        "level {:?}: criterion on {:?} takes at most one of equals, below, above",
                        level.name, c.path
                    ));
                }
            }
        }
        Ok(())
    }

    /// The seeds a level runs with.
    pub fn seeds_of<'a>(&'a self, level: &'a Level) -> &'a [u64] {
        level.seeds.as_deref().unwrap_or(&self.seeds)
    }

    /// The workload a level runs.
    pub fn workload_of<'a>(&'a self, level: &'a Level) -> &'a str {
        level.workload.as_deref().unwrap_or(&self.workload)
    }
}

/// Reads and parses (and validates) the grade.toml at `path`: the one lookup
/// `maelstrom grade` and the exercises' level tests share.
pub fn load_grade_config(path: &Path) -> Result<GradeConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    GradeConfig::parse(&text, path)
}

/// A grade.toml found on disk.
#[derive(Clone, Debug)]
pub struct Exercise {
    /// The exercise's directory (`exercises/01-echo`).
    pub dir: PathBuf,
    /// Its parsed config.
    pub config: GradeConfig,
}

/// The workspace root: the nearest directory at or above `start` that holds an
/// `exercises/` directory and a Cargo.toml (so `maelstrom grade` works from any
/// folder of a clone, as cargo does).
pub fn find_workspace_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join("Cargo.toml").is_file() && d.join("exercises").is_dir())
        .map(Path::to_path_buf)
}

/// Every `*/grade.toml` under `exercises_dir`, in directory order (`01-echo`
/// first). A config that does not parse is an error: a silently skipped
/// exercise would look like a missing one.
pub fn load_exercises(exercises_dir: &Path) -> Result<Vec<Exercise>, String> {
    let entries = std::fs::read_dir(exercises_dir)
        .map_err(|e| format!("cannot read {}: {e}", exercises_dir.display()))?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("grade.toml").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let config = load_grade_config(&dir.join("grade.toml"))?;
            Ok(Exercise { dir, config })
        })
        .collect()
}

/// The exercise named `name` (its `exercise` field, or its folder's name with
/// or without the number), or an error listing the ones there are.
pub fn find_exercise(exercises: &[Exercise], name: &str) -> Result<Exercise, String> {
    let folder = |e: &Exercise| {
        e.dir
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    exercises
        .iter()
        .find(|e| {
            let f = folder(e);
            e.config.exercise == name
                || f == name
                || f.split_once('-').is_some_and(|(_, rest)| rest == name)
        })
        .cloned()
        .ok_or_else(|| {
            let known: Vec<_> = exercises
                .iter()
                .map(|e| e.config.exercise.as_str())
                .collect();
            if known.is_empty() {
                format!("no exercise {name:?}: found no exercises/*/grade.toml")
            } else {
                format!(
                    "no exercise {name:?}; the exercises are: {}",
                    known.join(", ")
                )
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ECHO: &str = r#"
exercise = "echo"
workload = "echo"
starter_package = "echo-starter"
starter_bin = "echo"
reference_package = "echo-reference"
reference_bin = "echo-reference"
seeds = [1, 2]
[[level]]
name = "a"
title = "one node"
args = ["--node-count", "1", "--time-limit", "10"]
criteria = [ { path = "valid", equals = true }, { path = "net.servers.msgs-per-op", below = 30.0 } ]
[[level]]
name = "b"
stage = "election"
"#;

    #[test]
    fn parses_the_documented_format() {
        let cfg = GradeConfig::parse(ECHO, Path::new("grade.toml")).unwrap();
        assert_eq!(cfg.exercise, "echo");
        assert_eq!(cfg.seeds, vec![1, 2]);
        assert_eq!(cfg.levels.len(), 2);
        assert_eq!(cfg.levels[0].criteria[0].equals, Some(Value::Bool(true)));
        assert_eq!(cfg.levels[0].criteria[1].below, Some(30.0));
        assert_eq!(cfg.levels[1].stage, Some(Value::from("election")));
        assert_eq!(cfg.levels[0].label(), "a one node");
    }

    #[test]
    fn rejects_criteria_without_one_condition() {
        let bad = ECHO.replace("below = 30.0", "below = 30.0, above = 1.0");
        let e = GradeConfig::parse(&bad, Path::new("g.toml")).unwrap_err();
        assert!(e.contains("at most one of equals, below, above"), "{e}");
        let typo = ECHO.replace("below = 30.0", "bellow = 30.0");
        let e = GradeConfig::parse(&typo, Path::new("g.toml")).unwrap_err();
        assert!(e.contains("bellow"), "{e}");
    }

    #[test]
    fn every_level_requires_a_valid_run() {
        let no_valid = ECHO.replace(r#"{ path = "valid", equals = true }, "#, "");
        let cfg = GradeConfig::parse(&no_valid, Path::new("g.toml")).unwrap();
        let paths: Vec<&str> = cfg.levels[0]
            .criteria
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        assert_eq!(paths, ["valid", "net.servers.msgs-per-op"]);
        assert_eq!(cfg.levels[0].criteria[0].equals, Some(Value::Bool(true)));
        // Stage levels are judged by their own tests.
        assert!(cfg.levels[1].criteria.is_empty());

        let none = ECHO.replace(
            r#"criteria = [ { path = "valid", equals = true }, { path = "net.servers.msgs-per-op", below = 30.0 } ]"#,
            "",
        );
        let e = GradeConfig::parse(&none, Path::new("g.toml")).unwrap_err();
        assert!(e.contains(r#"level "a" has no `criteria`"#), "{e}");

        let lenient = ECHO.replace(r#"path = "valid", equals = true"#, r#"path = "valid""#);
        let e = GradeConfig::parse(&lenient, Path::new("g.toml")).unwrap_err();
        assert!(e.contains("must be `equals = true`"), "{e}");
    }
}
