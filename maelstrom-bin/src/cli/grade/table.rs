//! The grade table: a pure function of the measured values, so its layout is
//! snapshot-tested.

/// A level's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every criterion held on every seed.
    Pass,
    /// Some criterion failed, or the test crashed.
    Fail,
    /// Not run by `maelstrom grade` (a Raft stage): the note says how to run it.
    NotRun,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::NotRun => "not run",
        }
    }
}

/// One row of a level: a criterion, its worst value over the seeds, the
/// threshold and the reference's worst value.
#[derive(Clone, Debug, PartialEq)]
pub struct CriterionRow {
    /// The dotted path.
    pub path: String,
    /// The measured value, formatted.
    pub measured: String,
    /// Whether it meets the threshold.
    pub ok: bool,
    /// `= true`, `< 30`, ...
    pub threshold: String,
    /// The reference's value on the same seeds, if it ran.
    pub reference: Option<String>,
}

/// One level of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelRow {
    /// Name and title.
    pub label: String,
    /// The verdict.
    pub status: Status,
    /// One row per criterion.
    pub criteria: Vec<CriterionRow>,
    /// A line shown instead of criteria (a crash, a stage to run by hand).
    pub note: Option<String>,
}

/// Marks a measured value that misses its threshold.
const MISS: &str = " ✗";

/// Renders the table. The reference column is left out when there is none
/// (grading the reference itself).
pub fn render(rows: &[LevelRow], with_reference: bool) -> String {
    let mut header = vec!["level", "result", "criterion", "measured", "threshold"];
    if with_reference {
        header.push("reference");
    }
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    // Notes span the criterion columns; they are appended after padding.
    let mut notes: Vec<Option<String>> = vec![None];
    for row in rows {
        let mut first = true;
        let head = |first: &mut bool| -> Vec<String> {
            if std::mem::take(first) {
                vec![row.label.clone(), row.status.word().to_string()]
            } else {
                vec![String::new(), String::new()]
            }
        };
        for c in &row.criteria {
            let mut line = head(&mut first);
            line.push(c.path.clone());
            line.push(format!("{}{}", c.measured, if c.ok { "" } else { MISS }));
            line.push(c.threshold.clone());
            if with_reference {
                line.push(c.reference.clone().unwrap_or_else(|| "-".into()));
            }
            lines.push(line);
            notes.push(None);
        }
        if let Some(note) = &row.note {
            lines.push(head(&mut first));
            notes.push(Some(note.clone()));
        }
        if first {
            lines.push(head(&mut first));
            notes.push(None);
        }
    }
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            lines
                .iter()
                .filter_map(|l| l.get(i))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (line, note) in lines.iter().zip(&notes) {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            text.push_str(cell);
            let pad = widths[i] - cell.chars().count();
            text.push_str(&" ".repeat(pad + 2));
        }
        if let Some(note) = note {
            text.push_str(note);
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crit(
        path: &str,
        measured: &str,
        ok: bool,
        threshold: &str,
        r: Option<&str>,
    ) -> CriterionRow {
        CriterionRow {
            path: path.into(),
            measured: measured.into(),
            ok,
            threshold: threshold.into(),
            reference: r.map(String::from),
        }
    }

    fn rows() -> Vec<LevelRow> {
        vec![
            LevelRow {
                label: "a one node".into(),
                status: Status::Pass,
                criteria: vec![
                    crit("valid", "true", true, "= true", Some("true")),
                    crit("net.servers.msgs-per-op", "0", true, "< 30", Some("0")),
                ],
                note: None,
            },
            LevelRow {
                label: "d efficiency".into(),
                status: Status::Fail,
                criteria: vec![
                    crit("valid", "true", true, "= true", Some("true")),
                    crit(
                        "workload.stable-latencies.0.5",
                        "512",
                        false,
                        "< 400",
                        Some("213.5"),
                    ),
                ],
                note: None,
            },
            LevelRow {
                label: "e crash".into(),
                status: Status::Fail,
                criteria: vec![],
                note: Some("the test crashed (seed 2)".into()),
            },
            LevelRow {
                label: "s1 election".into(),
                status: Status::NotRun,
                criteria: vec![],
                note: Some("run `cargo run -p raft-kv-starter --example stages -- 1`".into()),
            },
        ]
    }

    #[test]
    fn layout_snapshot() {
        let expected = "\
level         result   criterion                      measured  threshold  reference
a one node    pass     valid                          true      = true     true
                       net.servers.msgs-per-op        0         < 30       0
d efficiency  FAIL     valid                          true      = true     true
                       workload.stable-latencies.0.5  512 ✗     < 400      213.5
e crash       FAIL     the test crashed (seed 2)
s1 election   not run  run `cargo run -p raft-kv-starter --example stages -- 1`
";
        assert_eq!(render(&rows(), true), expected);
    }

    #[test]
    fn layout_without_the_reference_column() {
        let expected = "\
level       result  criterion  measured  threshold
a one node  pass    valid      true      = true
";
        let mut rows = rows();
        rows.truncate(1);
        rows[0].criteria.truncate(1);
        assert_eq!(render(&rows, false), expected);
    }
}
