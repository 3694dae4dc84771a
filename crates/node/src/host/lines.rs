//! Splitting a byte stream into lines, in linear time and bounded memory.
//!
//! Bytes arrive in chunks of any size, cut anywhere. The splitter remembers where
//! its search for a newline stopped, so each byte is scanned once however long
//! its line grows, and it keeps at most one partial line of
//! [`MAX_LINE`] bytes (plus one chunk): a longer line is reported once and
//! thrown away up to its newline without being buffered.

/// The longest input line a node accepts, newline excluded: 16 MiB. Longer lines
/// are skipped (and logged); the node keeps serving the lines after them.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// How much of an over-long line is kept to show in the log.
const PREVIEW: usize = 80;

/// One piece of input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// A whole line, without its newline.
    Line(&'a [u8]),
    /// A line longer than the limit, skipped; its first bytes, for the log.
    TooLong(Vec<u8>),
}

/// Splits chunks of bytes into lines (see the module docs).
pub(crate) struct LineSplitter {
    buf: Vec<u8>,
    /// Where the current (unfinished) line starts in `buf`.
    start: usize,
    /// Up to where `buf` has been searched for a newline.
    scanned: usize,
    /// Inside an over-long line: dropping bytes until its newline.
    skipping: bool,
    max: usize,
}

impl LineSplitter {
    /// A splitter that skips lines longer than `max` bytes.
    pub(crate) fn new(max: usize) -> Self {
        LineSplitter {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            skipping: false,
            max,
        }
    }

    /// Adds a chunk. Take every piece out with [`LineSplitter::next_piece`]
    /// before pushing the next chunk.
    pub(crate) fn push(&mut self, mut chunk: &[u8]) {
        if self.skipping {
            match chunk.iter().position(|&b| b == b'\n') {
                None => return,
                Some(i) => {
                    self.skipping = false;
                    chunk = &chunk[i + 1..];
                }
            }
        }
        // What precedes `start` was handed out already. What follows it came
        // with the previous chunk (every earlier newline was found), so this
        // copy costs at most a chunk.
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next whole line (or over-long line) pushed so far, if any.
    pub(crate) fn next_piece(&mut self) -> Option<Piece<'_>> {
        let rest = &self.buf[self.scanned..];
        if let Some(offset) = rest.iter().position(|&b| b == b'\n') {
            let (start, end) = (self.start, self.scanned + offset);
            self.start = end + 1;
            self.scanned = end + 1;
            let line = &self.buf[start..end];
            return Some(if line.len() > self.max {
                Piece::TooLong(preview(line))
            } else {
                Piece::Line(line)
            });
        }
        self.scanned = self.buf.len();
        if self.buf.len() - self.start > self.max {
            // The unfinished line is already too long: drop it now rather than
            // buffer it until its newline comes, if ever.
            let piece = Piece::TooLong(preview(&self.buf[self.start..]));
            self.buf.clear();
            self.start = 0;
            self.scanned = 0;
            self.skipping = true;
            return Some(piece);
        }
        None
    }

    /// The input ended: its last line, if it had no newline.
    pub(crate) fn finish(&mut self) -> Option<Piece<'_>> {
        if self.skipping || self.start == self.buf.len() {
            return None;
        }
        let line = &self.buf[self.start..];
        self.start = self.buf.len();
        Some(if line.len() > self.max {
            Piece::TooLong(preview(line))
        } else {
            Piece::Line(line)
        })
    }

    /// Bytes held for the unfinished line (for tests of the memory bound).
    #[cfg(test)]
    fn buffered(&self) -> usize {
        self.buf.len()
    }
}

fn preview(line: &[u8]) -> Vec<u8> {
    line[..line.len().min(PREVIEW)].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the splitter makes of `input` cut at `cuts`: lines, and `None` for
    /// each skipped one.
    fn split(input: &[u8], cuts: &[usize], max: usize) -> Vec<Option<Vec<u8>>> {
        let mut splitter = LineSplitter::new(max);
        let mut out = Vec::new();
        let mut take = |piece: Piece<'_>| match piece {
            Piece::Line(line) => out.push(Some(line.to_vec())),
            Piece::TooLong(preview) => {
                assert!(preview.len() <= PREVIEW);
                out.push(None);
            }
        };
        let mut from = 0;
        for &cut in cuts.iter().chain([&input.len()]) {
            let cut = cut.clamp(from, input.len());
            splitter.push(&input[from..cut]);
            assert!(splitter.buffered() <= max + (cut - from));
            from = cut;
            while let Some(piece) = splitter.next_piece() {
                take(piece);
            }
        }
        if let Some(piece) = splitter.finish() {
            take(piece);
        }
        out
    }

    /// The lines of `input` as a reader should see them.
    fn expected(input: &[u8], max: usize) -> Vec<Option<Vec<u8>>> {
        let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
        // A trailing newline ends the last line; it does not start an empty one.
        if lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
            .into_iter()
            .map(|l| (l.len() <= max).then(|| l.to_vec()))
            .collect()
    }

    #[test]
    fn lines_across_chunks() {
        let input = b"{\"a\":1}\n\n{\"b\":2}\r\nlast";
        let got = split(input, &[3, 8, 9, 15], 100);
        let want: Vec<Option<Vec<u8>>> = vec![
            Some(b"{\"a\":1}".to_vec()),
            Some(Vec::new()),
            Some(b"{\"b\":2}\r".to_vec()),
            Some(b"last".to_vec()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn an_over_long_line_is_skipped_and_the_next_one_kept() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 50));
        input.extend(b"\nafter\n");
        let cuts: Vec<usize> = (0..input.len()).step_by(7).collect();
        let got = split(&input, &cuts, 10);
        assert_eq!(
            got,
            vec![Some(b"short".to_vec()), None, Some(b"after".to_vec())]
        );
    }

    /// A line of twice the real limit, in 64 KiB chunks, is dropped without the
    /// splitter ever holding more than the limit and a chunk, and the line after
    /// it arrives.
    #[test]
    fn a_line_beyond_the_real_limit_is_not_buffered() {
        const CHUNK: usize = 64 * 1024;
        let mut splitter = LineSplitter::new(MAX_LINE);
        let mut skipped = 0;
        let junk = vec![b'x'; CHUNK];
        for _ in 0..(2 * MAX_LINE / CHUNK) {
            splitter.push(&junk);
            while let Some(piece) = splitter.next_piece() {
                assert!(matches!(piece, Piece::TooLong(_)));
                skipped += 1;
            }
            assert!(splitter.buffered() <= MAX_LINE + CHUNK);
        }
        splitter.push(b"xxx\n{}\n");
        assert_eq!(splitter.next_piece(), Some(Piece::Line(b"{}")));
        assert_eq!(splitter.next_piece(), None);
        assert_eq!(skipped, 1, "one report per over-long line");
    }

    /// Input of random lines: random bytes (newlines aside, so anything from
    /// JSON to invalid UTF-8), some longer than the limit, maybe no final newline.
    fn input() -> impl Strategy<Value = (Vec<u8>, Vec<usize>, usize)> {
        let byte = prop_oneof![
            // Any byte but a newline (mapped, not filtered: a million cases would
            // exhaust proptest's budget of rejections).
            4 => any::<u8>().prop_map(|b| if b == b'\n' { 0 } else { b }),
            1 => Just(b'\r'),
            1 => Just(b'{'),
        ];
        let line = prop_oneof![
            8 => proptest::collection::vec(byte.clone(), 0..24),
            1 => proptest::collection::vec(byte, 24..300),
        ];
        (
            proptest::collection::vec(line, 0..12),
            any::<bool>(),
            proptest::collection::vec(0usize..4000, 0..16),
            0usize..64,
        )
            .prop_map(|(lines, final_newline, mut cuts, max)| {
                let mut input = lines.join(&b'\n');
                if final_newline && !lines.is_empty() {
                    input.push(b'\n');
                }
                cuts.sort_unstable();
                (input, cuts, max)
            })
    }

    proptest! {
        /// Wherever the chunks are cut, every line within the limit comes out
        /// exactly once and in order, each over-long one is reported once in
        /// its place, and nothing panics. `PROPTEST_CASES` raises the count.
        #[test]
        fn every_line_once_in_order((input, cuts, max) in input()) {
            prop_assert_eq!(split(&input, &cuts, max), expected(&input, max));
        }
    }
}
