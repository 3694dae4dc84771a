//! Every exercise README agrees with its grade.toml.
//!
//! The convention each `exercises/NN-name/README.md` follows, and this test checks:
//!
//! - A code block holds the build command, `cargo build --release -p maelstrom -p
//!   STARTER_PACKAGE`, and one holds the grade command, `cargo run --release -p
//!   maelstrom -- grade EXERCISE`.
//! - The seeds are written `seeds = [1, 2, 3]`, as grade.toml lists them; every
//!   `seeds = [...]` in the README is that list (or, inside a level's section, the
//!   level's own `seeds`).
//! - A `## Levels` section has one heading ``### Level `NAME`: title`` per level of
//!   grade.toml, in its order, and no other level heading.
//! - Under a level's heading, a code block holds its command, on one line or
//!   continued with `\`: `./target/release/maelstrom test -w WORKLOAD --bin
//!   ./target/release/STARTER_BIN ARGS`, ARGS being the level's `args` joined by
//!   spaces, nothing after them. A stage level (the Raft exercise) has `cargo run
//!   --release -p STARTER_PACKAGE --example stages -- STAGE` instead.
//! - Each criterion appears in its level's section as ``` `PATH` is VALUE ```
//!   (`equals`), ``` `PATH` below N ``` or ``` `PATH` above N ```, or ``` `PATH` ```
//!   for a criterion that is only reported; any other bound written on that path
//!   there is an error.
//! - Anywhere, "level `NAME`" names a level grade.toml has.
//! - No README (exercise, reference or the exercises index) cites an issue number.
//!
//! The Raft README also states how many seeds the stages example runs by
//! default, quoting its `passed with N seeds`; N is read from the example's
//! source, and any other "N seeds" in that README must be the same N.
//!
//! The last tests break real READMEs on purpose and check that the checker
//! notices, so a checker that stopped looking would fail here.

use std::path::{Path, PathBuf};

use maelstrom::cli::grade::config::{load_exercises, Exercise, GradeConfig, Level};
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("maelstrom-bin has a parent")
        .to_path_buf()
}

fn exercises() -> Vec<Exercise> {
    let all = load_exercises(&workspace().join("exercises")).expect("every grade.toml parses");
    assert!(
        all.len() >= 9,
        "expected the nine exercises, found {}",
        all.len()
    );
    all
}

fn readme_of(ex: &Exercise) -> String {
    let path = ex.dir.join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The default seed count of the Raft `stages` example, read from where the
/// example takes it: `example_main` in the reference's stages module.
fn stages_default_seeds() -> u64 {
    let path = workspace().join("exercises/07-raft-kv/reference/src/stages/mod.rs");
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let body = src
        .split_once("fn example_main")
        .unwrap_or_else(|| panic!("{}: no fn example_main", path.display()))
        .1;
    let after = body
        .split_once(".unwrap_or(")
        .unwrap_or_else(|| {
            panic!(
                "{}: example_main has no .unwrap_or(N) default",
                path.display()
            )
        })
        .1;
    // The README quotes the line the example prints when a stage passes.
    assert!(
        body.contains("passed with {seeds} seeds"),
        "{}: example_main no longer prints `passed with {{seeds}} seeds`, which the \
         Raft README quotes",
        path.display()
    );
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("{}: example_main's default is not a number", path.display()))
}

/// A fenced code block's commands: `\` continuations joined, whitespace collapsed.
fn code_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    let mut current = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            current.clear();
            continue;
        }
        if !in_code {
            continue;
        }
        let trimmed = line.trim_end();
        let (part, continued) = match trimmed.strip_suffix('\\') {
            Some(p) => (p, true),
            None => (trimmed, false),
        };
        current.push(' ');
        current.push_str(part);
        if !continued {
            out.push(collapse(&current));
            current.clear();
        }
    }
    out
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `[1, 2, 3]`, as the README writes a seed list.
fn seed_list(seeds: &[u64]) -> String {
    let items: Vec<String> = seeds.iter().map(u64::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// A number as the README writes it: `30` for 30.0, `0.5` for 0.5.
fn number(n: f64) -> String {
    format!("{n}")
}

/// The text between the first `## Levels` heading and the next `## ` heading.
fn levels_section(readme: &str) -> Option<String> {
    let mut lines = readme.lines().skip_while(|l| l.trim_end() != "## Levels");
    lines.next()?;
    Some(
        lines
            .take_while(|l| !l.starts_with("## "))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The `### Level `NAME`...` sections of the levels section, in order.
fn level_sections(levels: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in levels.lines() {
        if let Some(rest) = line.strip_prefix("### ") {
            let name = rest
                .strip_prefix("Level `")
                .and_then(|r| r.split_once('`'))
                .map(|(n, _)| n.to_string());
            out.push((name.unwrap_or_else(|| format!("?{rest}")), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

/// The command a level's section must show.
fn expected_command(cfg: &GradeConfig, level: &Level) -> String {
    if let Some(stage) = &level.stage {
        let stage = match stage {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        return format!(
            "cargo run --release -p {} --example stages -- {stage}",
            cfg.starter_package
        );
    }
    let args: Vec<String> = level
        .args
        .iter()
        .map(|a| {
            if a.contains(char::is_whitespace) {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect();
    format!(
        "./target/release/maelstrom test -w {} --bin ./target/release/{} {}",
        cfg.workload_of(level),
        cfg.starter_bin,
        args.join(" ")
    )
}

/// Every place `` `path` WORD `` occurs in `text`, with the token after WORD.
fn bounds_written(text: &str, path: &str, word: &str) -> Vec<String> {
    let needle = format!("`{path}` {word} ");
    text.match_indices(&needle)
        .map(|(i, _)| {
            text[i + needle.len()..]
                .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')' | ':'))
                .next()
                .unwrap_or("")
                .trim_end_matches('.')
                .to_string()
        })
        .collect()
}

/// What is wrong with `readme` against `cfg`; empty when they agree.
/// `stage_seeds` is the stages example's default seed count.
fn check_readme(readme: &str, cfg: &GradeConfig, stage_seeds: u64) -> Vec<String> {
    let mut problems = Vec::new();
    let commands = code_commands(readme);
    let has_command = |c: &str| commands.iter().any(|x| x == c);

    let build = format!(
        "cargo build --release -p maelstrom -p {}",
        cfg.starter_package
    );
    if !has_command(&build) {
        problems.push(format!("no code block runs `{build}`"));
    }
    let grade = format!("cargo run --release -p maelstrom -- grade {}", cfg.exercise);
    if !has_command(&grade) {
        problems.push(format!("no code block runs `{grade}`"));
    }

    // Seeds.
    let seeds = seed_list(&cfg.seeds);
    if !readme.contains(&format!("seeds = {seeds}")) {
        problems.push(format!("the seeds are not stated as `seeds = {seeds}`"));
    }
    let level_seeds: Vec<String> = cfg
        .levels
        .iter()
        .filter_map(|l| l.seeds.as_deref().map(seed_list))
        .collect();
    for (i, _) in readme.match_indices("seeds = [") {
        let rest = &readme[i + "seeds = ".len()..];
        let list = &rest[..rest.find(']').map_or(rest.len(), |j| j + 1)];
        if list != seeds && !level_seeds.iter().any(|s| s == list) {
            problems.push(format!(
                "`seeds = {list}`, but grade.toml has `seeds = {seeds}`"
            ));
        }
    }

    // Level names mentioned anywhere.
    let names: Vec<&str> = cfg.levels.iter().map(|l| l.name.as_str()).collect();
    let lower = readme.to_lowercase();
    for (i, _) in lower.match_indices("level `") {
        // "top-level `id`" is no level.
        if lower[..i].ends_with(|c: char| c.is_alphanumeric() || c == '-') {
            continue;
        }
        let rest = &readme[i + "level `".len()..];
        let name = rest.split('`').next().unwrap_or("");
        if !names.contains(&name) {
            problems.push(format!("names level `{name}`, which grade.toml lacks"));
        }
    }

    // Levels: headings, commands, criteria.
    let Some(levels) = levels_section(readme) else {
        problems.push("no `## Levels` section".into());
        return problems;
    };
    let sections = level_sections(&levels);
    let written: Vec<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
    if written != names {
        problems.push(format!(
            "level headings {written:?}, but grade.toml's levels are {names:?} \
             (each as ### Level `NAME`: title)"
        ));
    }
    for level in &cfg.levels {
        let Some((_, text)) = sections.iter().find(|(n, _)| *n == level.name) else {
            continue;
        };
        let expected = expected_command(cfg, level);
        if !code_commands(text).contains(&expected) {
            problems.push(format!(
                "level `{}`: no code block runs exactly `{expected}`",
                level.name
            ));
        }
        let prose = collapse(text);
        for c in &level.criteria {
            let (word, want) = match (&c.equals, c.below, c.above) {
                (Some(v), _, _) => ("is", v.to_string()),
                (_, Some(n), _) => ("below", number(n)),
                (_, _, Some(n)) => ("above", number(n)),
                _ => {
                    if !prose.contains(&format!("`{}`", c.path)) {
                        problems.push(format!(
                            "level `{}`: the reported value `{}` is not named",
                            level.name, c.path
                        ));
                    }
                    continue;
                }
            };
            let phrase = format!("`{}` {word} {want}", c.path);
            if !bounds_written(&prose, &c.path, word).contains(&want) {
                problems.push(format!("level `{}`: no `{phrase}`", level.name));
            }
            for other in ["is", "below", "above"] {
                for got in bounds_written(&prose, &c.path, other) {
                    if (other, got.as_str()) != (word, want.as_str()) {
                        problems.push(format!(
                            "level `{}`: says `{}` {other} {got}, grade.toml says {phrase}",
                            level.name, c.path
                        ));
                    }
                }
            }
        }
    }

    // The stages example's default seed count, where stages are graded.
    if cfg.levels.iter().any(|l| l.stage.is_some()) {
        let printed = format!("passed with {stage_seeds} seeds");
        if !readme.contains(&printed) {
            problems.push(format!(
                "the stages example runs {stage_seeds} seeds by default: \
                 the README should quote `{printed}`"
            ));
        }
        for (i, _) in readme.match_indices("passed with ") {
            let n: String = readme[i + "passed with ".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !n.is_empty() && n != stage_seeds.to_string() {
                problems.push(format!(
                    "says `passed with {n} seeds`; the stages example's default is {stage_seeds}"
                ));
            }
        }
        // Any "N seeds" in this README is the stages example's count.
        for (i, _) in readme.match_indices(" seeds") {
            let n: String = readme[..i]
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if !n.is_empty() && n != stage_seeds.to_string() {
                problems.push(format!(
                    "says `{n} seeds`; the stages example's default is {stage_seeds}"
                ));
            }
        }
    }
    problems
}

/// Issue numbers ("issue 5", "issue #5", "#5") in a document.
fn issue_numbers(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    for (i, _) in lower.match_indices("issue") {
        let rest = lower[i + "issue".len()..].trim_start_matches(['s', ' ', '#']);
        if rest.starts_with(|c: char| c.is_ascii_digit()) {
            found.push(text[i..(i + 12).min(text.len())].to_string());
        }
    }
    for (i, _) in text.match_indices('#') {
        let preceded_ok = i == 0 || !text[..i].ends_with(|c: char| c.is_alphanumeric());
        if preceded_ok && text[i + 1..].starts_with(|c: char| c.is_ascii_digit()) {
            found.push(text[i..(i + 6).min(text.len())].to_string());
        }
    }
    found
}

#[test]
fn every_readme_agrees_with_its_grade_toml() {
    let stage_seeds = stages_default_seeds();
    let mut report = String::new();
    for ex in exercises() {
        let problems = check_readme(&readme_of(&ex), &ex.config, stage_seeds);
        for p in problems {
            report.push_str(&format!("{}/README.md: {p}\n", ex.dir.display()));
        }
    }
    assert!(
        report.is_empty(),
        "READMEs drifted from grade.toml:\n{report}"
    );
}

#[test]
fn no_readme_cites_an_issue_number() {
    let root = workspace().join("exercises");
    let mut docs = vec![root.join("README.md")];
    for ex in exercises() {
        docs.push(ex.dir.join("README.md"));
        let reference = ex.dir.join("reference/README.md");
        if reference.is_file() {
            docs.push(reference);
        }
    }
    let mut report = String::new();
    for doc in docs {
        let text =
            std::fs::read_to_string(&doc).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
        for hit in issue_numbers(&text) {
            report.push_str(&format!("{}: {hit:?}\n", doc.display()));
        }
    }
    assert!(report.is_empty(), "issue numbers in docs:\n{report}");
}

// The checker notices drift: each case breaks a real README one way.

fn exercise(name: &str) -> (String, GradeConfig) {
    let ex = exercises()
        .into_iter()
        .find(|e| e.config.exercise == name)
        .unwrap_or_else(|| panic!("no exercise {name}"));
    (readme_of(&ex), ex.config)
}

/// Applies `edit` to `name`'s README (which must change it) and returns what
/// the checker says about the result.
fn problems_after(name: &str, edit: impl Fn(&str) -> String) -> Vec<String> {
    let (readme, cfg) = exercise(name);
    let edited = edit(&readme);
    assert!(edited != readme, "the edit did not change {name}'s README");
    check_readme(&edited, &cfg, stages_default_seeds())
}

#[test]
fn a_changed_flag_is_caught() {
    let p = problems_after("echo", |r| {
        r.replace(
            "--node-count 1 --time-limit 10",
            "--node-count 1 --time-limit 11",
        )
    });
    assert!(
        p.iter().any(|p| p.contains("level `a`: no code block")),
        "{p:?}"
    );
}

#[test]
fn an_extra_flag_is_caught() {
    let p = problems_after("unique-ids", |r| {
        r.replace(
            "--nemesis partition\n",
            "--nemesis partition --latency 10\n",
        )
    });
    assert!(
        p.iter().any(|p| p.contains("level `a`: no code block")),
        "{p:?}"
    );
}

#[test]
fn wrong_seeds_are_caught() {
    let p = problems_after("broadcast", |r| {
        r.replace("seeds = [1, 2, 3]", "seeds = [1, 2]")
    });
    assert!(p.iter().any(|p| p.contains("seeds")), "{p:?}");
}

#[test]
fn a_level_grade_toml_lacks_is_caught() {
    let p = problems_after("pn-counter", |r| {
        format!("{r}\n### Level `c`: five nodes\n\nSee level `c`.\n")
    });
    assert!(p.iter().any(|p| p.contains("level headings")), "{p:?}");
    assert!(p.iter().any(|p| p.contains("names level `c`")), "{p:?}");
}

#[test]
fn a_missing_level_is_caught() {
    let p = problems_after("kafka-log", |r| {
        let start = r.find("### Level `b`").expect("level b heading");
        let end = r.find("### Level `c`").expect("level c heading");
        format!("{}{}", &r[..start], &r[end..])
    });
    assert!(p.iter().any(|p| p.contains("level headings")), "{p:?}");
}

#[test]
fn a_changed_threshold_is_caught() {
    let p = problems_after("broadcast", |r| {
        r.replace(
            "`net.servers.msgs-per-op` below 20",
            "`net.servers.msgs-per-op` below 25",
        )
    });
    assert!(p.iter().any(|p| p.contains("level `e`")), "{p:?}");
}

#[test]
fn a_wrong_stage_default_is_caught() {
    let n = stages_default_seeds();
    let p = problems_after("raft-kv", |r| {
        r.replace(
            &format!("passed with {n} seeds"),
            &format!("passed with {} seeds", n + 50),
        )
    });
    assert!(p.iter().any(|p| p.contains("stages example")), "{p:?}");
}

#[test]
fn a_wrong_stage_command_is_caught() {
    let p = problems_after("raft-kv", |r| {
        r.replace("--example stages -- persistence", "--example stages -- 3")
    });
    assert!(p.iter().any(|p| p.contains("level `s3`")), "{p:?}");
}

#[test]
fn issue_numbers_are_found() {
    assert_eq!(issue_numbers("see issue 5's target").len(), 1);
    assert_eq!(issue_numbers("fixed in #12.").len(), 1);
    assert!(issue_numbers("## Levels, `a#b`, issues with ids").is_empty());
}
