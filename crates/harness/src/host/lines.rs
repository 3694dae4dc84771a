//! Splitting a node's output into lines, with bounded memory and any bytes.
//!
//! tokio's `lines()` stops at the first invalid UTF-8 byte and buffers a line
//! of any length. A node's output is outside input: here a line is bytes
//! (the caller decides what invalid UTF-8 means), and a line longer than the
//! cap is skipped up to its newline without being buffered, reported by its
//! first bytes and its length.

use tokio::io::{AsyncRead, AsyncReadExt};

/// The longest line the harness reads from a node, in bytes (16 MiB). A longer
/// stdout line is a protocol violation; a longer stderr line is logged cut.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// How many leading bytes of a too-long line are kept, to show it.
pub const HEAD_BYTES: usize = 1024;

/// Above this capacity the line buffer is released after a line, so one long
/// line does not pin its memory for the rest of the test.
const KEEP_CAPACITY: usize = 1 << 20;

/// One line of output.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A line, without its `\n` (or `\r\n`).
    Line(&'a [u8]),
    /// A line longer than the cap: its first [`HEAD_BYTES`] bytes and its full
    /// length (without the newline).
    TooLong {
        /// The line's first bytes.
        head: &'a [u8],
        /// The line's length in bytes.
        len: u64,
    },
}

/// Splits chunks of bytes into [`Frame`]s; holds at most `max` bytes.
#[derive(Debug)]
pub struct LineFramer {
    max: usize,
    buf: Vec<u8>,
    /// Set while skipping a too-long line: its head and its length so far.
    skipping: Option<(Vec<u8>, u64)>,
}

impl LineFramer {
    /// A framer for lines of at most `max` bytes.
    pub fn new(max: usize) -> Self {
        LineFramer {
            max,
            buf: Vec::new(),
            skipping: None,
        }
    }

    /// Feeds the next chunk of output, calling `emit` for each complete line.
    pub fn feed(&mut self, mut chunk: &[u8], emit: &mut impl FnMut(Frame<'_>)) {
        while !chunk.is_empty() {
            let newline = chunk.iter().position(|&b| b == b'\n');
            let part = &chunk[..newline.unwrap_or(chunk.len())];
            if let Some((head, len)) = &mut self.skipping {
                // The head is already full unless the cap is below HEAD_BYTES.
                let room = HEAD_BYTES.saturating_sub(head.len());
                head.extend_from_slice(&part[..room.min(part.len())]);
                *len += part.len() as u64;
                if newline.is_some() {
                    emit(Frame::TooLong { head, len: *len });
                    self.skipping = None;
                }
            } else if self.buf.len() + part.len() > self.max {
                // Too long: keep the head, free the rest, skip to the newline.
                let len = (self.buf.len() + part.len()) as u64;
                let mut head = std::mem::take(&mut self.buf);
                head.truncate(HEAD_BYTES);
                let room = HEAD_BYTES - head.len();
                head.extend_from_slice(&part[..room.min(part.len())]);
                head.shrink_to_fit();
                if newline.is_some() {
                    emit(Frame::TooLong { head: &head, len });
                } else {
                    self.skipping = Some((head, len));
                }
            } else if newline.is_some() {
                if self.buf.is_empty() {
                    emit(Frame::Line(strip_cr(part)));
                } else {
                    self.buf.extend_from_slice(part);
                    emit(Frame::Line(strip_cr(&self.buf)));
                    self.release();
                }
            } else {
                self.buf.extend_from_slice(part);
            }
            chunk = match newline {
                Some(i) => &chunk[i + 1..],
                None => &[],
            };
        }
    }

    /// The end of the output: a last line without a newline is still a line.
    pub fn finish(&mut self, emit: &mut impl FnMut(Frame<'_>)) {
        if let Some((head, len)) = self.skipping.take() {
            emit(Frame::TooLong { head: &head, len });
        } else if !self.buf.is_empty() {
            emit(Frame::Line(strip_cr(&self.buf)));
        }
        self.release();
    }

    fn release(&mut self) {
        self.buf.clear();
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        }
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads `reader` to its end, calling `emit` for each line. Read errors other
/// than an interruption end the output, as end of file does.
pub async fn read_frames<R: AsyncRead + Unpin>(
    mut reader: R,
    max: usize,
    mut emit: impl FnMut(Frame<'_>),
) {
    let mut framer = LineFramer::new(max);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => framer.feed(&chunk[..n], &mut emit),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    framer.finish(&mut emit);
}

#[cfg(test)]
#[path = "lines_tests.rs"]
mod tests;
