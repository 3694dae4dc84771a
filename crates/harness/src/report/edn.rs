//! `results.edn`: results.json written with upstream's EDN keys and shapes, so
//! commands and pages written for upstream's results work on ours.
//!
//! The mapping, from our results.json to upstream's results map:
//! - every key named `valid` becomes `:valid?`; its `true`/`false` stay, its
//!   `"unknown"` becomes `:unknown`;
//! - other keys are already upstream's kebab-case names (`ok-count`,
//!   `msgs-per-op`, `stable-latencies`, ...) and become keywords when they are
//!   valid keyword text, numbers when they are numeric (quantiles such as
//!   `"0.5"`, lin-kv's integer keys), strings otherwise;
//! - top level: `:exceptions :stats :availability :net :workload` as upstream,
//!   our extras `:protocol` and `:seed` after them, `:valid?` last (upstream's
//!   `:perf` and `:timeline` graphs are not drawn, so they are left out);
//! - strings under `type`, `f`, `outcome` and `anomaly-types` are keywords
//!   upstream (`:ok`, `:read`, `:stable`, `:G-single`), and `not`/`also-not`
//!   are sets of keywords (`#{:serializable}`);
//! - JSON arrays are vectors, `null` is `nil`, numbers are written as JSON
//!   wrote them.

use serde_json::{Map, Value};

/// Keys whose string values are keywords upstream.
const KEYWORD_VALUES: &[&str] = &["type", "f", "outcome", "anomaly-types"];
/// Keys whose array values are sets of keywords upstream.
const KEYWORD_SETS: &[&str] = &["not", "also-not"];
/// Upstream's top-level order; anything else goes before `:valid?`.
const TOP_ORDER: &[&str] = &[
    "exceptions",
    "stats",
    "availability",
    "net",
    "workload",
    "protocol",
    "seed",
];

/// The whole results map as EDN: one top-level entry per line, `:valid?` last.
pub fn results_edn(results: &Value) -> String {
    let Value::Object(map) = results else {
        let mut out = String::new();
        write_value(&mut out, results, None);
        out.push('\n');
        return out;
    };
    let mut keys: Vec<&String> = map.keys().filter(|k| *k != "valid").collect();
    keys.sort_by_key(|k| {
        TOP_ORDER
            .iter()
            .position(|t| t == k)
            .unwrap_or(TOP_ORDER.len())
    });
    let mut out = String::from("{");
    let mut first = true;
    let entries = keys
        .into_iter()
        .map(|k| (k.as_str(), &map[k]))
        .chain(map.get("valid").map(|v| ("valid", v)));
    for (k, v) in entries {
        if !first {
            out.push_str("\n ");
        }
        first = false;
        write_entry(&mut out, k, v);
    }
    out.push_str("}\n");
    out
}

/// Any JSON value as EDN, with the key mapping above.
pub fn to_edn(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, None);
    out
}

fn write_entry(out: &mut String, key: &str, v: &Value) {
    write_key(out, key);
    out.push(' ');
    write_value(out, v, Some(key));
}

fn write_value(out: &mut String, v: &Value, key: Option<&str>) {
    match v {
        Value::Null => out.push_str("nil"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => match key {
            Some("valid") if s == "unknown" => out.push_str(":unknown"),
            Some(k)
                if (KEYWORD_VALUES.contains(&k) || KEYWORD_SETS.contains(&k))
                    && is_keyword_text(s) =>
            {
                out.push(':');
                out.push_str(s);
            }
            _ => write_string(out, s),
        },
        Value::Array(items) => {
            let set = key.is_some_and(|k| KEYWORD_SETS.contains(&k));
            out.push_str(if set { "#{" } else { "[" });
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                // Elements keep the key's keyword rule (anomaly types, models).
                write_value(out, item, key.filter(|_| item.is_string()));
            }
            out.push(if set { '}' } else { ']' });
        }
        Value::Object(map) => write_map(out, map),
    }
}

fn write_map(out: &mut String, map: &Map<String, Value>) {
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_entry(out, k, v);
    }
    out.push('}');
}

fn write_key(out: &mut String, key: &str) {
    if key == "valid" {
        out.push_str(":valid?");
    } else if is_number_text(key) {
        out.push_str(key);
    } else if is_keyword_text(key) {
        out.push(':');
        out.push_str(key);
    } else {
        write_string(out, key);
    }
}

/// An EDN string literal.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Text that reads back as the same EDN number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`
/// (no leading zeros, which a Clojure reader takes for octal).
fn is_number_text(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    digits(int) && (int == "0" || !int.starts_with('0')) && frac.is_none_or(digits)
}

/// Text that reads back as the same keyword after a `:`: a symbol without a
/// namespace, not starting with a digit (nor `+`/`-` then a digit).
fn is_keyword_text(s: &str) -> bool {
    const PUNCT: &[char] = &['*', '+', '!', '-', '_', '?', '<', '>', '=', '.'];
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let sign_then_digit =
        (first == '+' || first == '-') && chars.next().is_some_and(|c| c.is_ascii_digit());
    let start_ok =
        first.is_ascii_alphabetic() || (PUNCT.contains(&first) && first != '.' && !sign_then_digit);
    start_ok
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || PUNCT.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn report_edn_scalars_and_escaping() {
        assert_eq!(to_edn(&json!(null)), "nil");
        assert_eq!(to_edn(&json!(true)), "true");
        assert_eq!(to_edn(&json!(false)), "false");
        assert_eq!(to_edn(&json!(42)), "42");
        assert_eq!(to_edn(&json!(-7)), "-7");
        assert_eq!(to_edn(&json!(0.5)), "0.5");
        assert_eq!(to_edn(&json!(1.0)), "1.0");
        assert_eq!(to_edn(&json!(u64::MAX)), "18446744073709551615");
        assert_eq!(
            to_edn(&json!("a \"q\" \\ b\nc\td\u{1}")),
            r#""a \"q\" \\ b\nc\td\u0001""#
        );
        assert_eq!(to_edn(&json!("ünï")), "\"ünï\"");
    }

    #[test]
    fn report_edn_nesting_and_keys() {
        let v = json!({
            "valid": "unknown",
            "by-f": {"read": {"ok-count": 3, "valid": false}},
            "stable-latencies": {"0": 0, "0.5": 12, "1": 40},
            "lost": [1, [2, 3], null],
            "weird key": 1,
            "01": 2,
            "n1": 3,
            "-1": 4,
            "-x": 5,
        });
        assert_eq!(
            to_edn(&v),
            "{-1 4, :-x 5, \"01\" 2, :by-f {:read {:ok-count 3, :valid? false}}, \
             :lost [1 [2 3] nil], :n1 3, :stable-latencies {0 0, 0.5 12, 1 40}, \
             :valid? :unknown, \"weird key\" 1}"
        );
    }

    #[test]
    fn report_edn_keyword_values_and_sets() {
        let v = json!({
            "anomaly-types": ["G-single", "G1c"],
            "not": ["serializable", "strict-serializable"],
            "op": {"type": "info", "f": "read", "value": "info"},
            "outcome": "has space",
        });
        assert_eq!(
            to_edn(&v),
            "{:anomaly-types [:G-single :G1c], :not #{:serializable :strict-serializable}, \
             :op {:f :read, :type :info, :value \"info\"}, :outcome \"has space\"}"
        );
    }

    #[test]
    fn report_edn_results_shape() {
        let results = json!({
            "valid": true,
            "seed": 1,
            "workload": {"valid": true, "lost-count": 0,
                         "stable-latencies": {"0": 0, "0.5": 2450, "1": 4920}},
            "stats": {"valid": true, "count": 58, "ok-count": 58,
                      "by-f": {"add": {"valid": true, "count": 29}}},
            "availability": {"valid": true, "ok-fraction": 1.0},
            "net": {"valid": true,
                    "all": {"msg-count": 222, "msgs-per-op": 3.8},
                    "servers": {"msg-count": 96, "msgs-per-op": 1.6551724137931034}},
            "exceptions": {"valid": true},
            "protocol": {"valid": true, "count": 0, "first": [], "nodes": {}},
        });
        let edn = results_edn(&results);
        let lines: Vec<&str> = edn.lines().collect();
        assert!(lines[0].starts_with("{:exceptions {:valid? true}"), "{edn}");
        assert!(lines[1].starts_with(" :stats {"));
        assert!(lines[2].starts_with(" :availability {"));
        assert!(lines[3].starts_with(" :net {"));
        assert!(lines[4].starts_with(" :workload {"));
        assert!(lines[5].starts_with(" :protocol {"));
        assert_eq!(lines[6], " :seed 1");
        assert_eq!(lines[7], " :valid? true}");
        assert!(edn.contains(":servers {:msg-count 96, :msgs-per-op 1.6551724137931034}"));
        assert!(edn.contains(":stable-latencies {0 0, 0.5 2450, 1 4920}"));
        assert!(edn.contains(":by-f {:add {:count 29, :valid? true}}"));
        assert!(edn.contains(":ok-fraction 1.0"));
        assert!(!edn.contains("\"valid\""));
        // Balanced delimiters: a reader would take it whole.
        let opens = edn.matches(['{', '[']).count();
        let closes = edn.matches(['}', ']']).count();
        assert_eq!(opens, closes);
    }
}
