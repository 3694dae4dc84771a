//! A node's stderr: saved to its log file, the last lines kept for error messages.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

/// How many trailing lines error messages show, as upstream.
pub const TAIL_LINES: usize = 32;

/// The last lines a node wrote to stderr, and where the full log is.
#[derive(Clone, Default)]
pub struct StderrTail {
    lines: Rc<RefCell<VecDeque<String>>>,
    /// The full log file, if the test keeps a store.
    pub path: Option<PathBuf>,
}

impl StderrTail {
    /// A tail that also appends to `path`, if given.
    pub fn new(path: Option<PathBuf>) -> Self {
        StderrTail {
            lines: Rc::default(),
            path,
        }
    }

    /// Opens the log file for appending (a restarted node continues its log).
    pub fn open_log(&self) -> Option<File> {
        self.path.as_ref().and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        })
    }

    /// Records one line: kept in the tail, written to `log`, mirrored if asked.
    pub fn push(&self, node: &str, line: &str, log: &mut Option<File>, mirror: bool) {
        if let Some(f) = log {
            // Flushed per line (File is unbuffered) so a crash loses nothing.
            let _ = writeln!(f, "{line}");
        }
        if mirror {
            super::node_log::echo_line(node, line);
        }
        let mut lines = self.lines.borrow_mut();
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(line.to_string());
    }

    /// The error-message context: the last lines and where the full log is.
    pub fn context(&self) -> String {
        let lines = self.lines.borrow();
        let mut out = String::new();
        if lines.is_empty() {
            out.push_str("\n\nIt wrote nothing to STDERR.");
        } else {
            out.push_str("\n\nIts last lines on STDERR were:\n");
            for l in lines.iter() {
                out.push_str("    ");
                out.push_str(l);
                out.push('\n');
            }
        }
        if let Some(p) = &self.path {
            out.push_str(&format!(
                "\nFull STDERR logs are available in {}",
                p.display()
            ));
        }
        out
    }
}
