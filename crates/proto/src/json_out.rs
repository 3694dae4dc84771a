//! Compact JSON written straight into a byte buffer: the same bytes as
//! `serde_json::to_writer`, without its serializer machinery for the common
//! cases (integers, strings that need no escape, arrays and objects of
//! them). The message journal writes every body of a test this way; serde's
//! serializer was most of its thread's time.

use serde_json::Value;

use crate::Map;

/// Appends `v` as compact JSON.
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                write_u64(out, u);
            } else if let Some(i) = n.as_i64() {
                write_i64(out, i);
            } else {
                // Floats as serde_json formats them; writing to memory cannot fail.
                let _ = serde_json::to_writer(&mut *out, n);
            }
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // The common element (every value of a broadcast read), a
                // non-negative integer, without the recursive call.
                match item.as_u64() {
                    Some(u) => write_u64(out, u),
                    None => write_value(out, item),
                }
            }
            out.push(b']');
        }
        Value::Object(map) => write_map(out, map),
    }
}

/// Two decimal digits of every number below 100.
const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// The number of decimal digits of `n` (1 for 0): the bit length gives the
/// power of ten just below, and one comparison settles it. (`ilog10`
/// compares against powers of ten one by one, and was a quarter of the
/// time spent writing an integer.)
#[inline]
fn decimal_len(n: u64) -> usize {
    const POW10: [u64; 20] = {
        let mut p = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            p[i] = p[i - 1] * 10;
            i += 1;
        }
        p
    };
    let n = n | 1;
    // 1233 / 4096 is just above log10(2).
    let t = (((64 - n.leading_zeros()) * 1233) >> 12) as usize;
    t + usize::from(n >= POW10[t])
}

/// Appends `n` in decimal, as `itoa` (and so serde_json) writes it.
///
/// The digits are written straight into `out`'s spare capacity, four at a
/// time as `itoa` does: copying them out of a formatting buffer was a
/// `memcpy` call per integer, and a broadcast test writes a million integers
/// (every read's values).
#[inline]
pub fn write_u64(out: &mut Vec<u8>, n: u64) {
    let len = decimal_len(n);
    out.reserve(len);
    let start = out.len();
    let pairs = DIGIT_PAIRS.as_ptr();
    // SAFETY: `reserve` made room for `len` bytes after `start`; the writes
    // below go backwards from `start + len`, and the digit count is exact,
    // so they fill exactly `start..start + len` (each pair read is below
    // 200), before the length covers those bytes.
    unsafe {
        let mut end = out.as_mut_ptr().add(start + len);
        let mut n = n;
        while n >= 10_000 {
            let rem = (n % 10_000) as usize;
            n /= 10_000;
            end = end.sub(4);
            std::ptr::copy_nonoverlapping(pairs.add(rem / 100 * 2), end, 2);
            std::ptr::copy_nonoverlapping(pairs.add(rem % 100 * 2), end.add(2), 2);
        }
        let mut n = n as usize;
        if n >= 100 {
            end = end.sub(2);
            std::ptr::copy_nonoverlapping(pairs.add(n % 100 * 2), end, 2);
            n /= 100;
        }
        if n >= 10 {
            end = end.sub(2);
            std::ptr::copy_nonoverlapping(pairs.add(n * 2), end, 2);
        } else {
            end = end.sub(1);
            *end = b'0' + n as u8;
        }
        debug_assert_eq!(end, out.as_mut_ptr().add(start));
        out.set_len(start + len);
    }
}

/// Appends `n` in decimal, as `itoa` writes it (a `-` first when negative).
#[inline]
pub fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

/// [`write_u64`] onto a `String`.
#[inline]
pub fn push_u64(s: &mut String, n: u64) {
    // SAFETY: only ASCII digits are appended, so the string stays UTF-8.
    write_u64(unsafe { s.as_mut_vec() }, n);
}

/// [`write_i64`] onto a `String`.
#[inline]
pub fn push_i64(s: &mut String, n: i64) {
    // SAFETY: only `-` and ASCII digits are appended: the string stays UTF-8.
    write_i64(unsafe { s.as_mut_vec() }, n);
}

/// Appends `map` as a compact JSON object, in its iteration order.
pub fn write_map(out: &mut Vec<u8>, map: &Map) {
    out.push(b'{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_value(out, v);
    }
    out.push(b'}');
}

/// Appends `s` as a JSON string, escaped as serde_json escapes it.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // Rare: serde's own escaping, so the bytes agree exactly.
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values() -> Vec<Value> {
        vec![
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-1),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!(-0.0),
            json!(1e300),
            json!(2.5e-8),
            json!(""),
            json!("plain é日本 \u{7f}"),
            json!("quote\" back\\slash \n\t\r\u{8}\u{c}\u{1}\u{1f}"),
            json!([]),
            json!({}),
            json!([1, [2, [3, []]], {"a": [4, "x"]}, null, 2.25]),
            json!({"z": 1, "a": {"nested": ["\"", -7]}, "m": []}),
            Value::Array((0..300).map(|i| json!(i * 7919)).collect()),
        ]
    }

    #[test]
    fn writes_what_serde_json_writes() {
        for v in values() {
            let mut ours = Vec::new();
            write_value(&mut ours, &v);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
        }
    }

    #[test]
    fn integers_are_written_as_itoa_writes_them() {
        let mut edges = vec![0, u64::MAX];
        for p in 1..20 {
            let ten = 10u64.pow(p);
            edges.extend([ten - 1, ten, ten + 1]);
        }
        for n in edges {
            let mut ours = b"x".to_vec();
            write_u64(&mut ours, n);
            assert_eq!(ours, format!("x{n}").into_bytes());
        }
    }

    proptest::proptest! {
        #[test]
        fn any_signed_integer_is_pushed_as_itoa_writes_it(n: i64, prefix in "[a-zé]{0,5}") {
            let mut ours = prefix.clone();
            push_i64(&mut ours, n);
            proptest::prop_assert_eq!(ours, format!("{prefix}{n}"));
        }

        #[test]
        fn any_integer_is_written_as_itoa_writes_it(n: u64, prefix in 0usize..40) {
            let mut ours = vec![b' '; prefix];
            write_u64(&mut ours, n);
            let mut theirs = vec![b' '; prefix];
            theirs.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            proptest::prop_assert_eq!(ours, theirs);
        }

        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(s in "\\PC*|[\\x00-\\x7f]*") {
            let mut ours = Vec::new();
            write_str(&mut ours, &s);
            proptest::prop_assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&s).unwrap()
            );
        }
    }
}
