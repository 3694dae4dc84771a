//! Raft stage levels: the exercise's own scenario tests of a Raft core, run by
//! the crate's `stages` example (`cargo run -p PKG --example stages -- STAGE`)
//! rather than as a `maelstrom test` of a node binary.

use std::path::Path;
use std::process::Command;

/// The outcome of one stage run.
#[derive(Debug, Clone, PartialEq)]
pub struct StageRun {
    /// Whether the example exited 0.
    pub passed: bool,
    /// Its last lines of output (the failing scenario, seed and reason).
    pub output: String,
}

/// How many trailing lines of a stage's output a report shows.
const SHOWN_LINES: usize = 8;

/// Whether `package_dir` has a `stages` example to run.
pub fn has_stages_example(package_dir: &Path) -> bool {
    package_dir.join("examples").join("stages.rs").is_file()
}

/// Runs stage `stage` of `package`'s `stages` example in the workspace at `root`
/// (release, so hundreds of simulated seeds take seconds).
pub fn run(root: &Path, package: &str, stage: &str) -> StageRun {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root)
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            package,
            "--example",
            "stages",
            "--",
            stage,
        ])
        .output();
    match out {
        Ok(out) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            StageRun {
                passed: out.status.success(),
                output: last_lines(&text, SHOWN_LINES),
            }
        }
        Err(e) => StageRun {
            passed: false,
            output: format!("cannot run cargo: {e}"),
        },
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines() {
        assert_eq!(last_lines("a\n\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a", 5), "a");
    }
}
