//! The message journal: every send, every delivery and every drop, one JSON
//! object per line.
//!
//! ```text
//! {"type":"send","time":1200,"message":{"id":7,"src":"n1","dest":"n2","body":{…}}}
//! {"type":"recv","time":5300,"message":{"id":7,"src":"n1","dest":"n2","body":{…}}}
//! {"type":"drop","time":5300,"reason":"partitioned","id":7,"src":"n1","dest":"n2"}
//! {"type":"duplicate","time":1200,"id":7,"src":"n1","dest":"n2"}
//! ```
//!
//! `time` is nanoseconds since the test started. A drop or a duplicate names
//! its message by id (its body is in the `send` line), so lines that carry a
//! `message` are exactly the sends and deliveries, which is all the Lamport
//! diagram reads. Over a finished test, per message class, sends + duplicates
//! = deliveries + drops: nothing leaves the network unrecorded.

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
            // Written in pieces: formatting machinery for a line that is mostly
            // one long, already serialised message cost more than the copy.
            let r = (|| {
                out.write_all(b"{\"type\":\"")?;
                out.write_all(kind.as_bytes())?;
                write!(out, "\",\"time\":{time_ns},\"message\":")?;
                out.write_all(message.as_bytes())?;
                out.write_all(b"}\n")
            })();
            // A full disk must not stop the test; remember it and report once.
            if r.is_err() && !self.failed {
                self.failed = true;
                tracing::warn!("could not write the message journal: {r:?}");
            }
        }
    }

    /// Appends a `drop` (with its reason) or `duplicate` event for message `m`.
    pub fn record_fate(&mut self, kind: &str, reason: Option<&str>, time_ns: u64, m: MsgRef) {
        if let Some(out) = &mut self.out {
            let reason = reason
                .map(|r| format!("\"reason\":\"{r}\","))
                .unwrap_or_default();
            // Escaped: a test may register any string as an id.
            let (src, dest) = (json_str(m.src), json_str(m.dest));
            let r = writeln!(
                out,
                "{{\"type\":\"{kind}\",\"time\":{time_ns},{reason}\"id\":{},\"src\":{src},\"dest\":{dest}}}",
                m.id
            );
            if r.is_err() && !self.failed {
                self.failed = true;
                tracing::warn!("could not write the message journal: {r:?}");
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

/// The identity of a journaled message, for events that do not repeat its body.
#[derive(Debug, Clone, Copy)]
pub struct MsgRef<'a> {
    /// The network's message id.
    pub id: u64,
    /// Sender.
    pub src: &'a str,
    /// Recipient.
    pub dest: &'a str,
}

fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}
