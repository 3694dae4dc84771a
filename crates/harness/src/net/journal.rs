//! The message journal: every send and every delivery, one JSON object per line.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `messages.jsonl`, or nothing when the test keeps no store.
#[derive(Debug, Default)]
pub struct Journal {
    out: Option<BufWriter<File>>,
    failed: bool,
}

impl Journal {
    /// A journal that records nothing.
    pub fn disabled() -> Self {
        Journal::default()
    }

    /// A journal writing to `path`.
    pub fn to_file(path: &Path) -> std::io::Result<Self> {
        Ok(Journal {
            out: Some(BufWriter::with_capacity(1 << 16, File::create(path)?)),
            failed: false,
        })
    }

    /// Appends one event; `message` is the already-serialised envelope.
    pub fn record(&mut self, kind: &str, time_ns: u64, message: &str) {
        if let Some(out) = &mut self.out {
            let r = writeln!(
                out,
                "{{\"type\":\"{kind}\",\"time\":{time_ns},\"message\":{message}}}"
            );
            // A full disk must not stop the test; remember it and report once.
            if r.is_err() && !self.failed {
                self.failed = true;
                eprintln!("warning: could not write the message journal: {r:?}");
            }
        }
    }

    /// Flushes buffered events.
    pub fn flush(&mut self) {
        if let Some(out) = &mut self.out {
            let _ = out.flush();
        }
    }
}
