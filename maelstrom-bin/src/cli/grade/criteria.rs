//! Criteria: dotted paths into results.json and the conditions on them.

use serde_json::Value;

use super::config::Criterion;

/// One criterion judged against one test's results.json.
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    /// The value found, or `None` when the path is missing.
    pub measured: Option<Value>,
    /// Whether the condition holds.
    pub pass: bool,
    /// Why it does not, when the value itself does not say (a missing path,
    /// a value that is not a number).
    pub problem: Option<String>,
}

/// The value at a dotted `path` in `root`, or a sentence saying where the path
/// stops. A key may itself contain dots (the latency quantiles `0.5`,
/// `0.95`): at each step the longest run of segments that names a key wins.
/// Numeric segments index arrays.
pub fn lookup<'a>(root: &'a Value, path: &str) -> Result<&'a Value, String> {
    let segments: Vec<&str> = path.split('.').collect();
    if let Some(v) = descend(root, &segments) {
        return Ok(v);
    }
    // Explain with the longest prefix that exists and what it holds.
    let (mut at, mut here) = ("results.json".to_string(), root);
    for k in (1..segments.len()).rev() {
        if let Some(v) = descend(root, &segments[..k]) {
            at = format!("`{}`", segments[..k].join("."));
            here = v;
            break;
        }
    }
    let holds = match here {
        Value::Object(map) if map.is_empty() => "nothing".to_string(),
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            format!("the keys {}", keys.join(", "))
        }
        Value::Array(a) => format!("an array of {} items", a.len()),
        other => format!("the value {other}"),
    };
    Err(format!("results.json has no `{path}` ({at} holds {holds})"))
}

fn descend<'a>(v: &'a Value, segments: &[&str]) -> Option<&'a Value> {
    if segments.is_empty() {
        return Some(v);
    }
    for k in (1..=segments.len()).rev() {
        let key = segments[..k].join(".");
        let child = match v {
            Value::Object(map) => map.get(&key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        if let Some(found) = child.and_then(|c| descend(c, &segments[k..])) {
            return Some(found);
        }
    }
    None
}

/// Judges `criterion` against one results.json.
pub fn judge(criterion: &Criterion, results: &Value) -> Judged {
    let report_only =
        criterion.equals.is_none() && criterion.below.is_none() && criterion.above.is_none();
    let value = match lookup(results, &criterion.path) {
        Ok(v) => v,
        Err(problem) => {
            return Judged {
                measured: None,
                pass: report_only,
                problem: Some(problem),
            }
        }
    };
    if report_only {
        return Judged {
            measured: Some(value.clone()),
            pass: true,
            problem: None,
        };
    }
    let measured = Some(value.clone());
    if let Some(expected) = &criterion.equals {
        return Judged {
            pass: json_equal(value, expected),
            measured,
            problem: None,
        };
    }
    let Some(x) = value.as_f64() else {
        return Judged {
            measured,
            pass: false,
            problem: Some(format!("`{}` is {value}, not a number", criterion.path)),
        };
    };
    let pass = match (criterion.below, criterion.above) {
        (Some(limit), _) => x < limit,
        (_, Some(limit)) => x > limit,
        (None, None) => false,
    };
    Judged {
        measured,
        pass,
        problem: None,
    }
}

/// Equality where numbers compare as numbers (`1` equals `1.0`: TOML writes
/// floats and results.json integers).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The index of the worst of several seeds' judgements of one criterion: a
/// failure before a pass, then the value furthest on the wrong side (the
/// largest for `below`, the smallest for `above`). Ties keep the first seed.
pub fn worst(criterion: &Criterion, judged: &[Judged]) -> Option<usize> {
    let badness = |j: &Judged| -> f64 {
        let x = j.measured.as_ref().and_then(Value::as_f64);
        match (x, criterion.below, criterion.above) {
            (Some(x), Some(_), _) => x,
            (Some(x), _, Some(_)) => -x,
            _ => 0.0,
        }
    };
    let mut best: Option<usize> = None;
    for (i, j) in judged.iter().enumerate() {
        best = match best {
            None => Some(i),
            Some(b) => {
                let cur = &judged[b];
                let worse =
                    (cur.pass && !j.pass) || (cur.pass == j.pass && badness(j) > badness(cur));
                Some(if worse { i } else { b })
            }
        };
    }
    best
}

/// A number as the table shows it: integers without decimals, others with at
/// most two.
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A measured value as the table shows it: short, one line.
pub fn fmt_value(v: Option<&Value>) -> String {
    match v {
        None => "missing".into(),
        Some(Value::Number(n)) => n.as_f64().map(fmt_num).unwrap_or_else(|| n.to_string()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let s = other.to_string();
            if s.chars().count() > 24 {
                format!("{}...", s.chars().take(21).collect::<String>())
            } else {
                s
            }
        }
    }
}

/// The condition as the table shows it: `= true`, `< 30`, `> 0.9`.
pub fn fmt_threshold(c: &Criterion) -> String {
    match (&c.equals, c.below, c.above) {
        (Some(v), _, _) => format!("= {}", fmt_value(Some(v))),
        (_, Some(x), _) => format!("< {}", fmt_num(x)),
        (_, _, Some(x)) => format!("> {}", fmt_num(x)),
        _ => "(reported)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn results() -> Value {
        json!({
            "valid": true,
            "net": {"servers": {"msgs-per-op": 12.5}},
            "workload": {
                "valid": true,
                "stable-latencies": {"0": 0, "0.5": 312, "0.95": 480, "1": 590},
                "lost": [3, 7],
            },
        })
    }

    fn crit(path: &str) -> Criterion {
        Criterion {
            path: path.into(),
            equals: None,
            below: None,
            above: None,
        }
    }

    #[test]
    fn dotted_paths_find_keys_with_dots_and_array_items() {
        let r = results();
        assert_eq!(lookup(&r, "valid"), Ok(&json!(true)));
        assert_eq!(lookup(&r, "net.servers.msgs-per-op"), Ok(&json!(12.5)));
        assert_eq!(lookup(&r, "workload.stable-latencies.0.5"), Ok(&json!(312)));
        assert_eq!(lookup(&r, "workload.stable-latencies.0"), Ok(&json!(0)));
        assert_eq!(lookup(&r, "workload.stable-latencies.1"), Ok(&json!(590)));
        assert_eq!(lookup(&r, "workload.lost.1"), Ok(&json!(7)));
    }

    #[test]
    fn a_missing_path_says_where_it_stops() {
        let e = lookup(&results(), "net.servers.msgs-per-opp").unwrap_err();
        assert_eq!(
            e,
            "results.json has no `net.servers.msgs-per-opp` (`net.servers` holds the keys msgs-per-op)"
        );
        let e = lookup(&results(), "nope").unwrap_err();
        assert!(
            e.contains("results.json holds the keys net, valid, workload"),
            "{e}"
        );
    }

    #[test]
    fn equals_below_above() {
        let r = results();
        let eq = Criterion {
            equals: Some(json!(true)),
            ..crit("valid")
        };
        assert!(judge(&eq, &r).pass);
        let eq = Criterion {
            equals: Some(json!(false)),
            ..crit("valid")
        };
        assert!(!judge(&eq, &r).pass);
        let below = Criterion {
            below: Some(400.0),
            ..crit("workload.stable-latencies.0.5")
        };
        assert!(judge(&below, &r).pass);
        let below = Criterion {
            below: Some(312.0),
            ..crit("workload.stable-latencies.0.5")
        };
        assert!(!judge(&below, &r).pass, "below is strict");
        let above = Criterion {
            above: Some(10.0),
            ..crit("net.servers.msgs-per-op")
        };
        assert_eq!(judge(&above, &r).measured, Some(json!(12.5)));
        assert!(judge(&above, &r).pass);
        // TOML floats equal JSON integers.
        let eq = Criterion {
            equals: Some(json!(0.0)),
            ..crit("workload.stable-latencies.0")
        };
        assert!(judge(&eq, &r).pass);
    }

    #[test]
    fn a_path_alone_is_reported_and_never_fails() {
        let r = results();
        let j = judge(&crit("net.servers.msgs-per-op"), &r);
        assert_eq!((j.measured, j.pass), (Some(json!(12.5)), true));
        assert!(judge(&crit("net.nothing"), &r).pass);
        assert_eq!(fmt_threshold(&crit("x")), "(reported)");
    }

    #[test]
    fn missing_paths_and_non_numbers_fail_clearly() {
        let r = results();
        let j = judge(
            &Criterion {
                below: Some(1.0),
                ..crit("net.clients.msgs-per-op")
            },
            &r,
        );
        assert!(!j.pass);
        assert_eq!(j.measured, None);
        assert!(j.problem.unwrap().contains("no `net.clients.msgs-per-op`"));
        let j = judge(
            &Criterion {
                below: Some(1.0),
                ..crit("valid")
            },
            &r,
        );
        assert!(!j.pass);
        assert_eq!(j.problem.as_deref(), Some("`valid` is true, not a number"));
    }

    #[test]
    fn worst_prefers_failures_then_the_wrong_side() {
        let c = Criterion {
            below: Some(10.0),
            ..crit("x")
        };
        let j = |x: f64, pass| Judged {
            measured: Some(json!(x)),
            pass,
            problem: None,
        };
        assert_eq!(
            worst(&c, &[j(3.0, true), j(7.0, true), j(5.0, true)]),
            Some(1)
        );
        assert_eq!(
            worst(&c, &[j(3.0, true), j(12.0, false), j(15.0, false)]),
            Some(2)
        );
        let c = Criterion {
            above: Some(1.0),
            ..crit("x")
        };
        assert_eq!(worst(&c, &[j(3.0, true), j(2.0, true)]), Some(1));
        assert_eq!(worst(&c, &[]), None);
    }

    #[test]
    fn formatting() {
        assert_eq!(fmt_num(30.0), "30");
        assert_eq!(fmt_num(5.0123), "5.01");
        assert_eq!(fmt_num(0.5), "0.5");
        assert_eq!(fmt_value(Some(&json!(false))), "false");
        assert_eq!(fmt_value(None), "missing");
        assert_eq!(
            fmt_threshold(&Criterion {
                equals: Some(json!(true)),
                ..crit("v")
            }),
            "= true"
        );
        assert_eq!(
            fmt_threshold(&Criterion {
                below: Some(400.0),
                ..crit("v")
            }),
            "< 400"
        );
    }
}
