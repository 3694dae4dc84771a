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

/// The widest the table may be: it must fit a 100-column terminal.
pub const WIDTH: usize = 100;

/// The narrowest the level column gets, however wide the criteria are.
const MIN_LEVEL: usize = 12;

/// What follows the level column on one line: the cells of a criterion or a
/// note spanning the criterion columns.
enum Body {
    Cells(Vec<String>),
    Note(String),
}

/// Renders the table, at most [`WIDTH`] columns wide: level titles and notes
/// wrap onto further lines. The reference column is left out when there is
/// none (grading the reference itself).
pub fn render(rows: &[LevelRow], with_reference: bool) -> String {
    let mut header = vec!["result", "criterion", "measured", "needs"];
    if with_reference {
        header.push("reference");
    }
    // Per level: the result word, then the criterion cells or a note.
    let mut levels: Vec<(String, Vec<(String, Body)>)> = vec![(
        "level".into(),
        vec![(
            header[0].into(),
            Body::Cells(header[1..].iter().map(|s| s.to_string()).collect()),
        )],
    )];
    for row in rows {
        let mut lines = Vec::new();
        for c in &row.criteria {
            let mut cells = vec![
                c.path.clone(),
                format!("{}{}", c.measured, if c.ok { "" } else { MISS }),
                c.threshold.clone(),
            ];
            if with_reference {
                cells.push(c.reference.clone().unwrap_or_else(|| "-".into()));
            }
            lines.push((String::new(), Body::Cells(cells)));
        }
        if let Some(note) = &row.note {
            lines.push((String::new(), Body::Note(note.clone())));
        }
        if lines.is_empty() {
            lines.push((String::new(), Body::Cells(vec![])));
        }
        lines[0].0 = row.status.word().to_string();
        levels.push((row.label.clone(), lines));
    }
    let len = |s: &String| s.chars().count();
    let result_w = levels
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|(r, _)| len(r)))
        .max()
        .unwrap_or(0);
    let mut cell_w: Vec<usize> = vec![0; header.len() - 1];
    for (_, lines) in &levels {
        for (_, body) in lines {
            if let Body::Cells(cells) = body {
                for (w, c) in cell_w.iter_mut().zip(cells) {
                    *w = (*w).max(len(c));
                }
            }
        }
    }
    let cells_total: usize = cell_w.iter().map(|w| w + 2).sum::<usize>();
    let label_max = levels.iter().map(|(l, _)| len(l)).max().unwrap_or(0);
    let level_w = label_max.min(
        WIDTH
            .saturating_sub(cells_total + result_w + 4)
            .max(MIN_LEVEL),
    );
    let note_at = level_w + 2 + result_w + 2;
    let mut out = String::new();
    for (label, lines) in &levels {
        // Notes wrap within the criterion columns.
        let mut body: Vec<(String, Option<&Body>, Option<String>)> = Vec::new();
        for (result, b) in lines {
            match b {
                Body::Note(note) => {
                    for (i, part) in wrap(note, WIDTH.saturating_sub(note_at))
                        .into_iter()
                        .enumerate()
                    {
                        let result = if i == 0 {
                            result.clone()
                        } else {
                            String::new()
                        };
                        body.push((result, None, Some(part)));
                    }
                }
                cells => body.push((result.clone(), Some(cells), None)),
            }
        }
        let label_lines = wrap(label, level_w);
        for i in 0..body.len().max(label_lines.len()) {
            let mut text = pad(label_lines.get(i).map_or("", String::as_str), level_w);
            let (result, cells, note) = body.get(i).cloned().unwrap_or_default();
            text.push_str(&pad(&result, result_w));
            if let Some(Body::Cells(cells)) = cells {
                for (c, w) in cells.iter().zip(&cell_w) {
                    text.push_str(&pad(c, *w));
                }
            }
            if let Some(note) = note {
                text.push_str(&note);
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
    }
    out
}

/// `s` padded to `width` and the two-space gap between columns.
fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n) + 2))
}

/// Splits `text` into lines of at most `width` characters at spaces; a word
/// longer than that is cut.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word wider than the column: cut it.
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
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
level         result   criterion                      measured  needs   reference
a one node    pass     valid                          true      = true  true
                       net.servers.msgs-per-op        0         < 30    0
d efficiency  FAIL     valid                          true      = true  true
                       workload.stable-latencies.0.5  512 ✗     < 400   213.5
e crash       FAIL     the test crashed (seed 2)
s1 election   not run  run `cargo run -p raft-kv-starter --example stages -- 1`
";
        assert_eq!(render(&rows(), true), expected);
    }

    #[test]
    fn long_titles_and_notes_wrap_within_100_columns() {
        let mut rows = rows();
        rows[0].label = "b unique ids on three nodes, totally available under partitions".into();
        rows[0].criteria.push(crit(
            "availability.ok-fraction",
            "0.96667",
            false,
            "= 1",
            Some("1"),
        ));
        rows[3].note = Some(
            "Raft stage 1: run with `cargo run -p raft-kv-starter --example stages -- 1` \
             (the core's own scenarios, not a harness run)"
                .into(),
        );
        let text = render(&rows, true);
        for line in text.lines() {
            assert!(
                line.chars().count() <= WIDTH,
                "{} columns: {line}\n{text}",
                line.chars().count()
            );
        }
        let expected = "\
level                         result   criterion                      measured   needs   reference
b unique ids on three nodes,  pass     valid                          true       = true  true
totally available under                net.servers.msgs-per-op        0          < 30    0
partitions                             availability.ok-fraction       0.96667 ✗  = 1     1
d efficiency                  FAIL     valid                          true       = true  true
                                       workload.stable-latencies.0.5  512 ✗      < 400   213.5
e crash                       FAIL     the test crashed (seed 2)
s1 election                   not run  Raft stage 1: run with `cargo run -p raft-kv-starter
                                       --example stages -- 1` (the core's own scenarios, not a
                                       harness run)
";
        assert_eq!(text, expected);
    }

    #[test]
    fn wrapping_splits_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), vec![""]);
    }

    #[test]
    fn layout_without_the_reference_column() {
        let expected = "\
level       result  criterion  measured  needs
a one node  pass    valid      true      = true
";
        let mut rows = rows();
        rows.truncate(1);
        rows[0].criteria.truncate(1);
        assert_eq!(render(&rows, false), expected);
    }
}
