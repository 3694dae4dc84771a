//! The log of an in-process node: its file in node-logs/, as a process's stderr.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;

/// Where an in-process node's log lines go: appended to `node-logs/<id>.log`
/// (if the test keeps a store), and queued for the harness's log when
/// `--log-stderr` asks for them. Cheap to clone; `Send` and `Sync`, so a
/// `tracing` subscriber can hold it.
#[derive(Clone)]
pub struct NodeLog {
    inner: Arc<Inner>,
}

struct Inner {
    id: String,
    test_start: Instant,
    file: Mutex<Option<File>>,
    /// Lines waiting to be echoed with `--log-stderr`, `None` without it. A
    /// line is written from inside the node's `tracing` dispatcher, where
    /// tracing drops any event of the harness's own, so the echo waits until
    /// the harness has left the node (see `ChannelHost`).
    echo: Option<Mutex<Vec<String>>>,
}

impl NodeLog {
    /// The log of node `id`, appending to `file` if given (a restarted node
    /// continues the log of its previous life), echoed if `echo`.
    pub fn new(id: &str, test_start: Instant, file: Option<&Path>, echo: bool) -> Self {
        let file = file.and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        NodeLog {
            inner: Arc::new(Inner {
                id: id.to_string(),
                test_start,
                file: Mutex::new(file),
                echo: echo.then(Mutex::default),
            }),
        }
    }

    /// The node's id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// When the test started, on the test's clock: log lines stamped with the
    /// time since then match the `time` of history.jsonl and messages.jsonl.
    pub fn test_start(&self) -> Instant {
        self.inner.test_start
    }

    /// Appends one line (without its newline).
    pub fn write_line(&self, line: &str) {
        if let Some(f) = lock(&self.inner.file).as_mut() {
            // One write per line on an unbuffered file: a line is never split,
            // and nothing written is lost if the harness panics.
            let mut buf = String::with_capacity(line.len() + 1);
            buf.push_str(line);
            buf.push('\n');
            let _ = f.write_all(buf.as_bytes());
        }
        if let Some(echo) = &self.inner.echo {
            lock(echo).push(line.to_string());
        }
    }

    /// Echoes the queued lines as the harness's own events (`--log-stderr`).
    /// Must be called outside the node's dispatcher.
    pub(crate) fn echo_queued(&self) {
        let Some(echo) = &self.inner.echo else {
            return;
        };
        let lines = std::mem::take(&mut *lock(echo));
        for line in lines {
            echo_line(&self.inner.id, &line);
        }
    }
}

/// `--log-stderr`: one line of a node's log as an event of the harness's log,
/// as upstream logs it under the thread `<node> stderr`.
pub(crate) fn echo_line(node: &str, line: &str) {
    tracing::info!(target: "maelstrom::node", "[{node} stderr] {line}");
}

/// A poisoned lock only means another thread panicked mid-line; the log
/// itself is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
