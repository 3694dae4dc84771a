//! The message journal: every send and every delivery, one JSON object per line.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Bytes gathered before a chunk goes to the writer thread.
const CHUNK: usize = 1 << 18;

/// What the test thread hands the writer thread.
enum Job {
    /// Bytes to append.
    Write(Vec<u8>),
    /// Answer once everything sent so far is in the file.
    Flush(SyncSender<()>),
}

/// Writes `messages.jsonl`, or nothing when the test keeps no store.
///
/// Events are gathered in memory and written by a thread of their own, so
/// the test's thread (which runs the whole simulation) never waits for the
/// file system: a broadcast test journals megabytes.
#[derive(Debug, Default)]
pub struct Journal {
    out: Option<Writer>,
}

#[derive(Debug)]
struct Writer {
    buf: Vec<u8>,
    jobs: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Journal {
    /// A journal that records nothing.
    pub fn disabled() -> Self {
        Journal::default()
    }

    /// A journal writing to `path`.
    pub fn to_file(path: &Path) -> std::io::Result<Self> {
        let file = File::create(path)?;
        // Bounded so memory stays bounded if the disk is slow, but deep enough
        // (4 MiB) that the simulation rarely waits when the writer thread
        // waits for a CPU on a busy machine.
        let (jobs, rx) = sync_channel(16);
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || write_jobs(file, rx))?;
        Ok(Journal {
            out: Some(Writer {
                buf: Vec::with_capacity(CHUNK),
                jobs: Some(jobs),
                thread: Some(thread),
            }),
        })
    }

    /// Appends one event; `message` is the already-serialised envelope.
    pub fn record(&mut self, kind: &str, time_ns: u64, message: &str) {
        let Some(out) = &mut self.out else {
            return;
        };
        let buf = &mut out.buf;
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(kind.as_bytes());
        buf.extend_from_slice(b"\",\"time\":");
        // Writing to a Vec cannot fail.
        let _ = write!(buf, "{time_ns}");
        buf.extend_from_slice(b",\"message\":");
        buf.extend_from_slice(message.as_bytes());
        buf.extend_from_slice(b"}\n");
        if buf.len() >= CHUNK {
            out.send();
        }
    }

    /// Returns once every event recorded so far is in the file.
    pub fn flush(&mut self) {
        if let Some(out) = &mut self.out {
            out.send();
            let (done, wait) = sync_channel(1);
            if let Some(jobs) = &out.jobs {
                if jobs.send(Job::Flush(done)).is_ok() {
                    let _ = wait.recv();
                }
            }
        }
    }
}

impl Writer {
    fn send(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        if let Some(jobs) = &self.jobs {
            // The writer only stops when this side hangs up.
            let _ = jobs.send(Job::Write(chunk));
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.send();
        // Hanging up ends the writer thread once it has written the rest.
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The writer thread: appends chunks until the journal hangs up.
fn write_jobs(mut file: File, jobs: Receiver<Job>) {
    let mut failed = false;
    for job in jobs {
        match job {
            Job::Write(chunk) if !failed => {
                // A full disk must not stop the test; say so once, write no more.
                if let Err(e) = file.write_all(&chunk) {
                    failed = true;
                    eprintln!("warning: could not write the message journal: {e}");
                }
            }
            Job::Write(_) => {}
            Job::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_json_object_per_event() {
        let path = std::env::temp_dir().join(format!("journal-test-{}.jsonl", std::process::id()));
        let mut j = Journal::to_file(&path).unwrap();
        j.record(
            "send",
            12,
            r#"{"id":0,"src":"c1","dest":"n1","body":{"type":"x"}}"#,
        );
        j.record("recv", 0, "{}");
        j.flush();
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            text,
            "{\"type\":\"send\",\"time\":12,\"message\":{\"id\":0,\"src\":\"c1\",\"dest\":\"n1\",\"body\":{\"type\":\"x\"}}}\n\
             {\"type\":\"recv\",\"time\":0,\"message\":{}}\n"
        );
    }
}
