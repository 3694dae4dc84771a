//! Porcupine's benchmark data as this project keeps it beside the repository:
//! `jepsen/*.log` (etcd), `kv/*.txt` and `EXPECTED.md`, whose tables give each
//! file's verdict. The tests, `lin-bench` and `maelstrom check`'s tests read
//! it through here, so the folder is found and the table read one way.

use std::path::{Path, PathBuf};

use crate::Validity;

/// Where the data is looked for: `$MAELSTROM_PORCUPINE_DATA`, else
/// `shared/data/porcupine` beside the repository.
pub fn default_dir() -> PathBuf {
    std::env::var_os("MAELSTROM_PORCUPINE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/porcupine")
        })
}

/// Whether `dir` holds the data (its `EXPECTED.md`).
pub fn is_data_dir(dir: &Path) -> bool {
    dir.join("EXPECTED.md").is_file()
}

/// For test suites: the data folder, or `None` after printing that the test
/// is skipped. A fresh clone has no `../shared`, so tests skip there; with
/// `MAELSTROM_REQUIRE_SHARED=1` (as CI sets) a missing folder panics instead,
/// so that CI cannot pass by skipping.
pub fn dir_or_skip() -> Option<PathBuf> {
    let dir = default_dir();
    if is_data_dir(&dir) {
        return Some(dir);
    }
    let why = format!(
        "Porcupine data not found at {}: set MAELSTROM_PORCUPINE_DATA or put shared/ beside \
         the repo (expected <repo>/../shared/data/porcupine/EXPECTED.md)",
        dir.display()
    );
    assert!(
        std::env::var("MAELSTROM_REQUIRE_SHARED").as_deref() != Ok("1"),
        "{why}; MAELSTROM_REQUIRE_SHARED=1 makes this a failure"
    );
    eprintln!("skipped: {why}");
    None
}

/// One history file listed in `EXPECTED.md`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The file's name, e.g. `etcd_000.log` or `c10-bad.txt`.
    pub name: String,
    /// Its path: `jepsen/` for etcd logs, `kv/` for kv logs.
    pub path: PathBuf,
    /// The verdict the table gives it.
    pub valid: Validity,
}

impl Expected {
    /// Whether this is a Jepsen etcd log (else a kv log).
    pub fn is_etcd(&self) -> bool {
        self.name.ends_with(".log")
    }
}

/// Every row of `EXPECTED.md`'s tables, in the order listed.
pub fn expected(dir: &Path) -> Result<Vec<Expected>, String> {
    let file = dir.join("EXPECTED.md");
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut rows = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(&name) = cells.get(1) else { continue };
        let sub = if name.ends_with(".log") {
            "jepsen"
        } else if name.ends_with(".txt") {
            "kv"
        } else {
            continue;
        };
        let Some(&verdict) = cells.get(2) else {
            continue;
        };
        let valid = match verdict {
            "linearizable" => Validity::Valid,
            "NOT linearizable" => Validity::Invalid,
            // The empty etcd_095 is trivially linearizable.
            s if s.starts_with("untested") => Validity::Valid,
            other => return Err(format!("unexpected verdict {other:?} for {name}")),
        };
        rows.push(Expected {
            name: name.to_string(),
            path: dir.join(sub).join(name),
            valid,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tables_rows_and_skips_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("EXPECTED.md"),
            "# Verdicts\n\n| file | verdict |\n|---|---|\n| etcd_000.log | NOT linearizable |\n\
             | etcd_095.log | untested (empty) |\n| c10-ok.txt | linearizable |\n| notes | x |\n",
        )
        .unwrap();
        let rows = expected(dir.path()).unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.is_etcd(), r.valid))
            .collect();
        assert_eq!(
            got,
            [
                ("etcd_000.log", true, Validity::Invalid),
                ("etcd_095.log", true, Validity::Valid),
                ("c10-ok.txt", false, Validity::Valid),
            ]
        );
        assert_eq!(rows[2].path, dir.path().join("kv").join("c10-ok.txt"));
    }

    #[test]
    fn an_unknown_verdict_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("EXPECTED.md"), "| a.log | maybe |\n").unwrap();
        assert!(expected(dir.path()).unwrap_err().contains("maybe"));
    }
}
