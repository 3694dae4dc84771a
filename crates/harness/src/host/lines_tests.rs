//! The line framer: examples, and properties on random output split into
//! random chunks (`PROPTEST_CASES` sets the number of cases).

use proptest::prelude::*;

use super::*;

/// A frame, owned: `Ok(line)` or `Err((head, len))` for a too-long line.
type Owned = Result<Vec<u8>, (Vec<u8>, u64)>;

/// What the framer makes of `chunks`.
fn frames(max: usize, chunks: &[&[u8]]) -> Vec<Owned> {
    let mut out = Vec::new();
    let mut emit = |f: Frame<'_>| {
        out.push(match f {
            Frame::Line(l) => Ok(l.to_vec()),
            Frame::TooLong { head, len } => Err((head.to_vec(), len)),
        })
    };
    let mut framer = LineFramer::new(max);
    for c in chunks {
        framer.feed(c, &mut emit);
        assert!(framer.buf.len() <= max, "buffered more than the cap");
    }
    framer.finish(&mut emit);
    out
}

/// The reference: split on `\n`, a last line without newline counts, `\r` before
/// the newline is dropped, lines over `max` become (head, len).
fn expected(max: usize, bytes: &[u8]) -> Vec<Owned> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
        .into_iter()
        .map(|l| {
            if l.len() > max {
                Err((l[..HEAD_BYTES.min(l.len())].to_vec(), l.len() as u64))
            } else {
                Ok(l.strip_suffix(b"\r").unwrap_or(l).to_vec())
            }
        })
        .collect()
}

#[test]
fn lines_invalid_utf8_and_a_last_line_without_newline() {
    let got = frames(100, &[b"a\r\nb\xff", b"\xfe\n\nlast"]);
    assert_eq!(
        got,
        vec![
            Ok(b"a".to_vec()),
            Ok(b"b\xff\xfe".to_vec()),
            Ok(vec![]),
            Ok(b"last".to_vec())
        ]
    );
}

#[test]
fn a_too_long_line_is_skipped_and_reading_goes_on() {
    let long = vec![b'x'; 5000];
    let got = frames(2000, &[b"ok\n", &long[..3000], &long[3000..], b"\nnext\n"]);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], Ok(b"ok".to_vec()));
    assert_eq!(got[1], Err((vec![b'x'; HEAD_BYTES], 5000)));
    assert_eq!(got[2], Ok(b"next".to_vec()));
}

#[test]
fn a_line_of_exactly_the_cap_is_a_line() {
    let line = vec![b'y'; 64];
    assert_eq!(frames(64, &[&line, b"\n"]), vec![Ok(line.clone())]);
    let longer = vec![b'y'; 65];
    assert_eq!(frames(64, &[&longer]), vec![Err((longer.clone(), 65))]);
}

#[test]
fn read_frames_reads_an_async_reader_to_its_end() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let input: &[u8] = b"one\n\xc3\x28two\nthree";
    let mut got = Vec::new();
    rt.block_on(read_frames(input, 16, |f| {
        if let Frame::Line(l) = f {
            got.push(String::from_utf8_lossy(l).into_owned());
        }
    }));
    assert_eq!(got, ["one", "\u{fffd}(two", "three"]);
}

/// Output that is mostly short lines, with long runs and invalid UTF-8.
fn output() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..40),
        2 => Just(b"\n".to_vec()),
        1 => Just(b"\r\n".to_vec()),
        1 => (1usize..3000).prop_map(|n| vec![b'z'; n]),
        1 => Just(br#"{"src":"n1","dest":"c1","body":{"type":"x"}}"#.to_vec()),
    ];
    prop::collection::vec(piece, 0..30).prop_map(|ps| ps.concat())
}

proptest! {
    #[test]
    fn framing_matches_a_plain_split_whatever_the_chunking(
        bytes in output(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        max in prop_oneof![Just(16usize), Just(1500), Just(MAX_LINE_BYTES)],
    ) {
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        at.sort_unstable();
        let mut chunks = Vec::new();
        let mut from = 0;
        for to in at {
            chunks.push(&bytes[from..to]);
            from = to;
        }
        chunks.push(&bytes[from..]);
        prop_assert_eq!(frames(max, &chunks), expected(max, &bytes));
    }
}
