//! The store: `store/<workload>/<timestamp>/` with results, history, journal and
//! node logs, and `latest` symlinks to the newest test.

use std::fs::File;
use std::io::{BufWriter, Write};
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

    /// Writes `name` in the test directory through a buffered writer, for
    /// files too big to build as one string first.
    pub fn write_with(
        &self,
        name: &str,
        contents: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<(), HarnessError> {
        let p = self.path.join(name);
        let file = File::create(&p).map_err(io_err(&p))?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        contents(&mut out)
            .and_then(|()| out.flush())
            .map_err(io_err(&p))
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
    fn formats_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_612_713_811_972);
        assert_eq!(basic_date_time(t), "20210207T160331.972Z");
        assert_eq!(basic_date_time(UNIX_EPOCH), "19700101T000000.000Z");
    }
}
