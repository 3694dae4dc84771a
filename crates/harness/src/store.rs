//! The store: `store/<workload>/<timestamp>/` with results, history, journal and
//! node logs, and `latest` symlinks to the newest test.

use std::path::{Path, PathBuf};

use crate::error::HarnessError;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
    move |source| HarnessError::Store {
        path: path.display().to_string(),
        source,
    }
}

/// A test's directory in the store.
#[derive(Debug, Clone)]
pub struct TestDir {
    /// `store/<workload>/<timestamp>`.
    pub path: PathBuf,
    root: PathBuf,
    workload: String,
    stamp: String,
}

impl TestDir {
    /// Creates `root/<workload>/<timestamp>/node-logs/`. The wall clock only names
    /// the directory; it never shapes the test.
    pub fn create(root: &Path, workload: &str) -> Result<Self, HarnessError> {
        let base = basic_date_time(std::time::SystemTime::now());
        let mut stamp = base.clone();
        let mut n = 1;
        while root.join(workload).join(&stamp).exists() {
            n += 1;
            stamp = format!("{base}-{n}");
        }
        let path = root.join(workload).join(&stamp);
        let logs = path.join("node-logs");
        std::fs::create_dir_all(&logs).map_err(io_err(&logs))?;
        Ok(TestDir {
            path,
            root: root.to_path_buf(),
            workload: workload.to_string(),
            stamp,
        })
    }

    /// The node-logs directory.
    pub fn node_logs(&self) -> PathBuf {
        self.path.join("node-logs")
    }

    /// Writes `name` in the test directory.
    pub fn write(&self, name: &str, contents: &str) -> Result<(), HarnessError> {
        let p = self.path.join(name);
        std::fs::write(&p, contents).map_err(io_err(&p))
    }

    /// Points `store/latest` and `store/<workload>/latest` at this test.
    pub fn link_latest(&self) {
        let links = [
            (
                self.root.join("latest"),
                PathBuf::from(&self.workload).join(&self.stamp),
            ),
            (
                self.root.join(&self.workload).join("latest"),
                PathBuf::from(&self.stamp),
            ),
        ];
        for (link, target) in links {
            let _ = std::fs::remove_file(&link);
            #[cfg(unix)]
            let _ = std::os::unix::fs::symlink(&target, &link);
        }
    }
}

/// What [`prune`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// Test folders removed.
    pub folders: usize,
    /// Their size in bytes.
    pub bytes: u64,
    /// Test folders kept.
    pub kept: usize,
}

/// Whether a folder name is a test's timestamp (`20250102T030405.678Z`,
/// perhaps with a `-N` suffix), the only folders [`prune`] removes.
fn is_stamp(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 20 && b[..8].iter().all(u8::is_ascii_digit) && b[8] == b'T' && b[19] == b'Z'
}

/// The size of everything under `path`, not following symlinks.
pub fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| size_of(&e.path()))
        .sum()
}

/// Shrinks a store: in every `root/<workload>/` it keeps the newest `keep`
/// test folders and removes the older ones; under `root/grade/` it removes the
/// reference's folders (grading runs the reference again each time) and
/// leaves the learner's, which grading keeps small itself. `latest` links that
/// pointed at a removed folder are pointed at the newest kept one, or removed.
pub fn prune(root: &Path, keep: usize) -> Result<Pruned, HarnessError> {
    let mut out = Pruned::default();
    let entries = std::fs::read_dir(root).map_err(io_err(root))?;
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        if dir.file_name().is_some_and(|n| n == "grade") {
            for exercise in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let reference = exercise.path().join("reference");
                if reference.is_dir() {
                    out.bytes += size_of(&reference);
                    std::fs::remove_dir_all(&reference).map_err(io_err(&reference))?;
                    out.folders += 1;
                }
            }
            continue;
        }
        let mut tests: Vec<String> = std::fs::read_dir(&dir)
            .map_err(io_err(&dir))?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| is_stamp(n))
            .collect();
        // Stamps sort as times; a `-N` suffix sorts after its base.
        tests.sort();
        let old = tests.len().saturating_sub(keep);
        for name in &tests[..old] {
            let path = dir.join(name);
            out.bytes += size_of(&path);
            std::fs::remove_dir_all(&path).map_err(io_err(&path))?;
            out.folders += 1;
        }
        out.kept += tests.len() - old;
        let link = dir.join("latest");
        if std::fs::symlink_metadata(&link).is_ok() && !link.exists() {
            let _ = std::fs::remove_file(&link);
            #[cfg(unix)]
            if let Some(newest) = tests.last() {
                let _ = std::os::unix::fs::symlink(newest, &link);
            }
        }
    }
    // `root/latest` points into a workload folder: drop it if that test is gone.
    let link = root.join("latest");
    if std::fs::symlink_metadata(&link).is_ok() && !link.exists() {
        let _ = std::fs::remove_file(&link);
    }
    Ok(out)
}

/// `YYYYMMDDTHHMMSS.mmmZ` in UTC, like upstream's basic-date-time.
pub fn basic_date_time(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, day) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{day:02}T{:02}{:02}{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn prune_keeps_the_newest_tests_and_fixes_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let stamps = [
            "20250101T000000.000Z",
            "20250101T000000.000Z-2",
            "20250102T000000.000Z",
        ];
        for s in stamps {
            let logs = root.join("echo").join(s).join("node-logs");
            std::fs::create_dir_all(&logs).unwrap();
            std::fs::write(root.join("echo").join(s).join("results.json"), "0123456789").unwrap();
        }
        // Not a test folder: left alone whatever its age.
        std::fs::create_dir_all(root.join("echo/notes")).unwrap();
        let grade = root.join("grade/echo");
        std::fs::create_dir_all(grade.join("reference/a/seed-1")).unwrap();
        std::fs::write(grade.join("reference/a/seed-1/x"), "12345").unwrap();
        std::fs::create_dir_all(grade.join("yours/a/seed-1")).unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("20250101T000000.000Z", root.join("echo/latest")).unwrap();
            std::os::unix::fs::symlink("echo/20250101T000000.000Z", root.join("latest")).unwrap();
        }
        let pruned = prune(root, 1).unwrap();
        assert_eq!(
            pruned,
            Pruned {
                folders: 3,
                bytes: 25,
                kept: 1
            }
        );
        assert!(root.join("echo/20250102T000000.000Z").is_dir());
        assert!(!root.join("echo/20250101T000000.000Z-2").exists());
        assert!(root.join("echo/notes").is_dir());
        assert!(!grade.join("reference").exists());
        assert!(grade.join("yours/a/seed-1").is_dir());
        #[cfg(unix)]
        {
            let latest = std::fs::read_link(root.join("echo/latest")).unwrap();
            assert_eq!(latest, PathBuf::from("20250102T000000.000Z"));
            assert!(std::fs::symlink_metadata(root.join("latest")).is_err());
        }
        // Nothing more to do the second time.
        assert_eq!(prune(root, 1).unwrap().folders, 0);
    }

    #[test]
    fn formats_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_612_713_811_972);
        assert_eq!(basic_date_time(t), "20210207T160331.972Z");
        assert_eq!(basic_date_time(UNIX_EPOCH), "19700101T000000.000Z");
    }
}
