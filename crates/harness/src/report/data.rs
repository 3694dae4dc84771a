//! Helpers shared by the pages that carry their data as JSON inside a
//! `<script type="application/json">` element (timeline.html, messages.html):
//! strings written so that nothing in them can close the element, and values
//! shown cut to a few hundred characters without serialising the whole value.

use serde::Serialize;
use serde_json::Value;

/// Appends `s` as a JSON string literal. `<`, `>` and `&` are written as
/// `\u003c`-style escapes, so a value holding `</script>` stays data; control
/// characters are escaped as JSON requires.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        // One table lookup a byte: most bytes need no escape, and a match
        // over the escapes per byte cost the pages' data most of its time.
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'<' => out.push_str("\\u003c"),
            b'>' => out.push_str("\\u003e"),
            b'&' => out.push_str("\\u0026"),
            _ => out.push_str(&format!("\\u{b:04x}")),
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The bytes [`push_json_str`] escapes: control characters, `"`, `\\`, and
/// `<`, `>`, `&` (all ASCII, so never inside a multi-byte character).
static NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'&' as usize] = true;
    t
};

/// A writer that takes `left` more characters, then fails, so serialising a
/// long value stops as soon as enough of it is written. It counts characters
/// (bytes that start one), not bytes: a list of numbers is cut after as many
/// bytes as characters shown, not four times as many.
pub(crate) struct Limited<'a> {
    pub(crate) buf: &'a mut Vec<u8>,
    pub(crate) left: usize,
}

impl std::io::Write for Limited<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // Up to the first byte of the character past the budget; the bytes
        // that continue the last character taken are taken with it.
        let mut n = 0;
        for &b in bytes {
            let starts_a_char = b & 0xC0 != 0x80;
            if starts_a_char {
                if self.left == 0 {
                    break;
                }
                self.left -= 1;
            }
            n += 1;
        }
        if n == 0 && !bytes.is_empty() {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        self.buf.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `v` as compact JSON, cut to at most `max` characters (the last one "…"
/// when cut). Only about `max` characters of it are ever serialised.
pub fn cut_json<T: Serialize + ?Sized>(v: &T, max: usize) -> String {
    let mut buf = Vec::new();
    // One more character than kept, so the cut below sees whether anything
    // was left out.
    let limited = Limited {
        buf: &mut buf,
        left: max + 1,
    };
    let _ = serde_json::to_writer(limited, v);
    // Cut between characters, so whole UTF-8.
    let text = String::from_utf8(buf)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    cut_chars(&text, max)
}

/// A value as shown to a reader: strings without their quotes, the rest as
/// JSON; cut like [`cut_json`].
pub fn show_value(v: &Value, max: usize) -> String {
    match v {
        Value::String(s) => cut_chars(s, max),
        Value::Array(items) if items.iter().take(max).all(Value::is_u64) => {
            cut_chars(&u64_list_prefix(items, max), max)
        }
        other => cut_json(other, max),
    }
}

/// The compact JSON of `items`, whose first `max` are non-negative integers
/// (a read's elements, the common long value), written directly and only
/// until it is longer than `max` characters: whole if it is not.
fn u64_list_prefix(items: &[Value], max: usize) -> String {
    let mut s = String::with_capacity(max + 24);
    s.push('[');
    for (i, item) in items.iter().enumerate() {
        if s.len() > max {
            return s;
        }
        if i > 0 {
            s.push(',');
        }
        maelstrom_proto::json_out::push_u64(&mut s, item.as_u64().unwrap_or_default());
    }
    s.push(']');
    s
}

/// Cuts `s` to at most `max` characters, the last being "…" when anything was cut.
pub fn cut_chars(s: &str, max: usize) -> String {
    // Sliced, not collected char by char: this runs for every message label.
    if s.len() <= max {
        // No more bytes than `max`, so no more characters.
        return s.to_string();
    }
    if s.as_bytes()[..max].is_ascii() {
        // One byte a character, and there is a character past `max`.
        let keep = max.saturating_sub(1);
        let mut out = String::with_capacity(keep + '…'.len_utf8());
        out.push_str(&s[..keep]);
        out.push('…');
        return out;
    }
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some(_) => {
            let keep = s
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(s.len(), |(i, _)| i);
            let mut out = String::with_capacity(keep + '…'.len_utf8());
            out.push_str(&s[..keep]);
            out.push('…');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Arrays of integers take a short cut that must show what the general
    /// path shows, at every length around the cut.
    #[test]
    fn integer_lists_show_as_their_json_does() {
        for n in 0..60u64 {
            let list = Value::Array((0..n).map(|i| json!(i * 37)).collect());
            for max in [1, 2, 5, 10, 40, 120] {
                assert_eq!(show_value(&list, max), cut_json(&list, max), "{n} {max}");
            }
        }
        let mixed = json!([1, 2, "three", 4]);
        assert_eq!(show_value(&mixed, 120), cut_json(&mixed, 120));
        assert_eq!(
            show_value(&json!([u64::MAX, 0]), 30),
            "[18446744073709551615,0]"
        );
    }

    #[test]
    fn json_strings_cannot_close_a_script() {
        let mut out = String::new();
        push_json_str(&mut out, "</script>&\"\\\n\u{1}é");
        assert_eq!(out, r#""\u003c/script\u003e\u0026\"\\\n\u0001é""#);
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, "</script>&\"\\\n\u{1}é");
    }

    #[test]
    fn cut_chars_counts_characters_not_bytes() {
        // What the function did before its fast paths: the reference.
        let slow = |s: &str, max: usize| match s.char_indices().nth(max) {
            None => s.to_string(),
            Some(_) => {
                let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
                out.push('…');
                out
            }
        };
        for s in ["", "a", "abcdef", "ééééé", "abé", "éab", "a…b…c", "😀😀abc"] {
            for max in 0..8 {
                assert_eq!(cut_chars(s, max), slow(s, max), "{s:?} {max}");
            }
        }
    }

    #[test]
    fn values_are_cut_without_serialising_everything() {
        let big = json!((0..100_000).collect::<Vec<_>>());
        let s = cut_json(&big, 20);
        assert_eq!(s.chars().count(), 20);
        assert!(s.starts_with("[0,1,2,3"), "{s}");
        assert!(s.ends_with('…'));
        assert_eq!(cut_json(&json!({"a": 1}), 20), r#"{"a":1}"#);
        assert_eq!(show_value(&json!("hé"), 5), "hé");
        assert_eq!(show_value(&json!("abcdefgh"), 5), "abcd…");
        assert_eq!(cut_chars("ééé", 3), "ééé");
    }

    #[test]
    fn escapes_as_the_match_over_every_byte_did() {
        // The escapes before the table, byte by byte.
        let slow = |s: &str| {
            let mut out = String::from('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '<' => out.push_str("\\u003c"),
                    '>' => out.push_str("\\u003e"),
                    '&' => out.push_str("\\u0026"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        };
        let every_ascii: String = (0u8..128).map(char::from).collect();
        for s in [
            every_ascii.as_str(),
            "",
            "plain",
            "é<😀>\"\\\u{1}",
            "</script>",
        ] {
            let mut fast = String::new();
            push_json_str(&mut fast, s);
            assert_eq!(fast, slow(s), "{s:?}");
        }
    }

    #[test]
    fn a_cut_counts_characters_and_keeps_them_whole() {
        let slow = |v: &serde_json::Value, max: usize| cut_chars(&v.to_string(), max);
        for v in [
            json!(["é", "😀😀", "abc", 12345]),
            json!({"k": "ééééééé", "n": [1, 2, 3]}),
            json!((0..50).collect::<Vec<_>>()),
            json!("x"),
        ] {
            for max in 0..40 {
                assert_eq!(cut_json(&v, max), slow(&v, max), "{v} {max}");
            }
        }
    }
}
