//! Where a learner stands: each graded level leaves a small record in the store
//! (`grade/EXERCISE/yours/LEVEL/last.json`), and `maelstrom progress` lists
//! every exercise and level with its last result.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::config::{Exercise, Level};
use super::table::{wrap, LevelRow, Status, WIDTH};
use super::EXIT_BAD_ARGS;

/// The record's file name inside a level's store folder.
const RECORD: &str = "last.json";

/// The last grading of one level of the learner's node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelRecord {
    /// Whether every seed passed.
    pub passed: bool,
    /// When it was graded (UTC, `YYYYMMDDTHHMMSS.mmmZ`).
    pub when: String,
    /// `simulation` or `processes`.
    pub mode: String,
    /// The seeds it ran.
    pub seeds: Vec<u64>,
    /// The seeds that failed (a crash counts).
    pub failed_seeds: Vec<u64>,
}

impl LevelRecord {
    /// The record of a level that ran (`None` for one `grade` did not run).
    /// `results` pairs each seed with whether it passed.
    pub fn new(row: &LevelRow, results: &[(u64, bool)], mode: &str) -> Option<LevelRecord> {
        if row.status == Status::NotRun {
            return None;
        }
        Some(LevelRecord {
            passed: row.status == Status::Pass,
            when: maelstrom_harness::store::basic_date_time(std::time::SystemTime::now()),
            mode: mode.to_string(),
            seeds: results.iter().map(|(s, _)| *s).collect(),
            failed_seeds: results
                .iter()
                .filter(|(_, ok)| !ok)
                .map(|(s, _)| *s)
                .collect(),
        })
    }

    /// Writes the record into the level's folder; a failure only costs the
    /// overview a line, so it is a warning.
    pub fn save(&self, level_dir: &Path) {
        let path = level_dir.join(RECORD);
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        let written = std::fs::create_dir_all(level_dir).and_then(|()| std::fs::write(&path, text));
        if let Err(e) = written {
            eprintln!(
                "warning: could not record the result in {}: {e}",
                path.display()
            );
        }
    }

    /// The record in a level's folder, if it has a readable one.
    pub fn load(level_dir: &Path) -> Option<LevelRecord> {
        let text = std::fs::read_to_string(level_dir.join(RECORD)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// `pass`/`FAIL` and what else a learner wants to know, in one line:
    /// which seeds failed, the mode, when.
    fn describe(&self) -> (String, String) {
        let when = readable_time(&self.when);
        let n = self.seeds.len();
        let what = if self.passed {
            format!("all {n} seed{}", if n == 1 { "" } else { "s" })
        } else if self.failed_seeds.is_empty() {
            "failed".to_string()
        } else {
            let seeds: Vec<String> = self.failed_seeds.iter().map(u64::to_string).collect();
            format!(
                "seed{} {} failed (of {n})",
                if seeds.len() == 1 { "" } else { "s" },
                seeds.join(", ")
            )
        };
        let result = if self.passed { "pass" } else { "FAIL" };
        (result.into(), format!("{what}, {}, {when}", self.mode))
    }
}

/// `20250102T030405.678Z` as `2025-01-02 03:04 UTC`; anything else unchanged.
fn readable_time(stamp: &str) -> String {
    let b = stamp.as_bytes();
    if b.len() >= 13 && b[8] == b'T' && b.iter().take(8).all(u8::is_ascii_digit) {
        format!(
            "{}-{}-{} {}:{} UTC",
            &stamp[0..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[9..11],
            &stamp[11..13]
        )
    } else {
        stamp.to_string()
    }
}

/// One exercise in the overview: its name and, per level, the label and the
/// last record.
pub type ExerciseProgress = (String, Vec<(String, Option<LevelRecord>)>);

/// The learner's store folder of a level: where `maelstrom grade` records it.
pub fn level_dir(store: &Path, exercise: &str, level: &str) -> PathBuf {
    store.join("grade").join(exercise).join("yours").join(level)
}

/// The overview: per exercise, each level's label and its last record.
pub fn overview(exercises: &[ExerciseProgress]) -> String {
    let name_w = exercises
        .iter()
        .map(|(n, _)| n.chars().count())
        .chain(["exercise".len()])
        .max()
        .unwrap_or(0);
    // Level titles wrap so the whole line fits; the detail follows them.
    let level_w = exercises
        .iter()
        .flat_map(|(_, levels)| levels.iter().map(|(l, _)| l.chars().count()))
        .chain(["level".len()])
        .max()
        .unwrap_or(0)
        .min(40);
    let result_w = "result".len();
    let detail_w = WIDTH - name_w - level_w - result_w - 6;
    let mut out = String::new();
    let mut line = |cols: [&str; 4]| {
        let text = format!(
            "{:name_w$}  {:level_w$}  {:result_w$}  {}",
            cols[0], cols[1], cols[2], cols[3]
        );
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(["exercise", "level", "result", "last graded"]);
    let (mut passed, mut total) = (0, 0);
    for (name, levels) in exercises {
        for (i, (label, record)) in levels.iter().enumerate() {
            total += 1;
            let (result, detail) = match record {
                Some(r) => {
                    passed += usize::from(r.passed);
                    r.describe()
                }
                None => ("-".into(), "not graded yet".into()),
            };
            let labels = wrap(label, level_w);
            let details = wrap(&detail, detail_w);
            for j in 0..labels.len().max(details.len()) {
                line([
                    if i == 0 && j == 0 { name } else { "" },
                    labels.get(j).map_or("", String::as_str),
                    if j == 0 { &result } else { "" },
                    details.get(j).map_or("", String::as_str),
                ]);
            }
        }
    }
    out.push_str(&format!("\n{passed} of {total} levels pass.\n"));
    out
}

/// `maelstrom progress` options.
#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// The exercises folder (default: `exercises/` of the workspace around the
    /// current directory).
    #[arg(long = "exercises", value_name = "DIR")]
    pub exercises: Option<PathBuf>,
    /// Directory holding the store `maelstrom grade` wrote to.
    #[arg(long = "store", value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
}

/// The overview's rows for `exercises`, read from the store.
pub fn records(exercises: &[Exercise], store: &Path) -> Vec<ExerciseProgress> {
    exercises
        .iter()
        .map(|ex| {
            let cfg = &ex.config;
            let levels = cfg
                .levels
                .iter()
                .map(|l: &Level| {
                    let record = LevelRecord::load(&level_dir(store, &cfg.exercise, &l.name));
                    (l.label(), record)
                })
                .collect();
            (cfg.exercise.clone(), levels)
        })
        .collect()
}

/// Runs `maelstrom progress`: prints every exercise and level with its last
/// result. Exit code 0 (it reports; it judges nothing).
pub fn command(args: &ProgressArgs) -> i32 {
    let ws = match super::workspace(args.exercises.as_deref()) {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_ARGS;
        }
    };
    println!(
        "Last results of `maelstrom grade` (from {}):\n",
        args.store.join("grade").display()
    );
    print!("{}", overview(&records(&ws.exercises, &args.store)));
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(passed: bool, failed: &[u64]) -> LevelRecord {
        LevelRecord {
            passed,
            when: "20250102T030405.678Z".into(),
            mode: "simulation".into(),
            seeds: vec![1, 2, 3],
            failed_seeds: failed.to_vec(),
        }
    }

    #[test]
    fn records_round_trip_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let at = level_dir(dir.path(), "echo", "a");
        assert_eq!(LevelRecord::load(&at), None);
        record(false, &[2]).save(&at);
        assert_eq!(LevelRecord::load(&at), Some(record(false, &[2])));
        let row = LevelRow {
            label: "a".into(),
            status: Status::Fail,
            criteria: vec![],
            note: None,
        };
        let r = LevelRecord::new(&row, &[(1, true), (2, false)], "processes").unwrap();
        assert_eq!(
            (r.passed, r.seeds, r.failed_seeds),
            (false, vec![1, 2], vec![2])
        );
        let not_run = LevelRow {
            status: Status::NotRun,
            ..row
        };
        assert_eq!(LevelRecord::new(&not_run, &[], "simulation"), None);
    }

    #[test]
    fn overview_snapshot() {
        let rows = vec![
            (
                "echo".to_string(),
                vec![("a echo on one node".to_string(), Some(record(true, &[])))],
            ),
            (
                "unique-ids".to_string(),
                vec![
                    (
                        "b unique ids on three nodes, totally available under partitions"
                            .to_string(),
                        Some(record(false, &[2, 3])),
                    ),
                    ("c something".to_string(), None),
                ],
            ),
        ];
        let text = overview(&rows);
        let expected = "\
exercise    level                                     result  last graded
echo        a echo on one node                        pass    all 3 seeds, simulation, 2025-01-02
                                                              03:04 UTC
unique-ids  b unique ids on three nodes, totally      FAIL    seeds 2, 3 failed (of 3), simulation,
            available under partitions                        2025-01-02 03:04 UTC
            c something                               -       not graded yet

1 of 3 levels pass.
";
        assert_eq!(text, expected);
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
    }
}
