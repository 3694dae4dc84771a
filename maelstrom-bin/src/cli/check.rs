//! `maelstrom check FILE`: a history from anywhere (our history.jsonl, a
//! Jepsen or Knossos EDN history, a Porcupine log) checked against a model;
//! and `maelstrom analyze TEST_FOLDER`: a stored test checked again.
//!
//! Both end as `maelstrom test` does: results, the same explanations, the
//! same closing line and exit codes. In `check`'s explanations an operation's
//! number is the line of the file it came from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use maelstrom_check::history::{parse_jsonl_by_line, Op};
use maelstrom_check::jepsen::parse_edn_history;
use maelstrom_check::linearizable::{check_partitions, LinOpts};
use maelstrom_check::porcupine::{parse_etcd, parse_kv};
use maelstrom_check::stats::stats;
use maelstrom_check::{edn, Budget, Validity};
use maelstrom_harness::analysis::{self, check_model, infer_model, lin_output, Model, ModelOpts};
use maelstrom_harness::workload::CheckOutput;
use maelstrom_harness::HarnessError;
use serde_json::{json, Value};

use super::{report, EXIT_BAD_ARGS};

/// `maelstrom check` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The history: history.jsonl, a Jepsen/Knossos EDN history, or a Porcupine log.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The model to check against: register, cas-register, kv, set, counter,
    /// list-append or rw-register (default: told from the operations).
    #[arg(long = "model", value_name = "MODEL")]
    pub model: Option<String>,
    /// Every key's initial value, as JSON or EDN (register, cas-register and kv;
    /// default nil, or "" for kv).
    #[arg(long = "initial-value", value_name = "VALUE")]
    pub initial_value: Option<String>,
    /// The file's format: auto, jsonl, edn or porcupine.
    #[arg(long = "format", value_name = "FORMAT", default_value = "auto")]
    pub format: String,
    /// Consistency models a transactional history must satisfy.
    #[arg(
        long = "consistency-models",
        value_name = "MODELS",
        default_value = "strict-serializable"
    )]
    pub consistency_models: String,
    /// Seconds the checker may take before it answers unknown.
    #[arg(
        long = "check-time-limit",
        value_name = "SECONDS",
        default_value_t = 60.0
    )]
    pub check_time_limit: f64,
    /// Megabytes of bookkeeping the checker may use before it answers unknown.
    #[arg(long = "check-memory", value_name = "MB", default_value_t = 1024)]
    pub check_memory: usize,
}

/// `maelstrom analyze` options.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The stored test's folder (store/<workload>/<time>).
    #[arg(value_name = "TEST_FOLDER", conflicts_with = "test")]
    pub dir: Option<PathBuf>,
    /// As upstream: a test folder, or an index into the store's tests by
    /// time (-1, the default, is the newest; 0 the oldest).
    #[arg(
        short = 't',
        long = "test",
        value_name = "INDEX_OR_PATH",
        allow_hyphen_values = true
    )]
    pub test: Option<String>,
    /// The store holding the tests an index counts.
    #[arg(long = "store", value_name = "DIR", default_value = "store")]
    pub store: PathBuf,
}

/// The store's test folders (`<workload>/<stamp>`), oldest first.
fn stored_tests(store: &Path) -> Vec<PathBuf> {
    let mut tests: Vec<(String, PathBuf)> = Vec::new();
    for w in std::fs::read_dir(store).into_iter().flatten().flatten() {
        if !w.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        for t in std::fs::read_dir(w.path()).into_iter().flatten().flatten() {
            let name = t.file_name().to_string_lossy().into_owned();
            if t.file_type().is_ok_and(|t| t.is_dir()) && t.path().join("history.jsonl").is_file() {
                tests.push((name, t.path()));
            }
        }
    }
    // Stamps sort as times.
    tests.sort();
    tests.into_iter().map(|(_, p)| p).collect()
}

/// The test folder `maelstrom analyze` was asked for.
fn analyzed_folder(args: &AnalyzeArgs) -> Result<PathBuf, String> {
    if let Some(dir) = &args.dir {
        return Ok(dir.clone());
    }
    let spec = args.test.as_deref().unwrap_or("-1");
    let Ok(i) = spec.parse::<i64>() else {
        return Ok(PathBuf::from(spec));
    };
    let tests = stored_tests(&args.store);
    let n = tests.len() as i64;
    let at = if i < 0 { n + i } else { i };
    usize::try_from(at)
        .ok()
        .and_then(|at| tests.get(at).cloned())
        .ok_or_else(|| {
            format!(
                "--test {i}: {} holds {n} stored test{}",
                args.store.display(),
                if n == 1 { "" } else { "s" }
            )
        })
}

/// How a history file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON operation a line, as history.jsonl.
    Jsonl,
    /// Jepsen's or Knossos's EDN operation maps.
    Edn,
    /// Porcupine's test logs: Jepsen etcd logs or kv EDN logs.
    Porcupine,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Edn => "edn",
            Format::Porcupine => "porcupine",
        }
    }
}

/// A checked history: what `maelstrom check` prints.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The verdict.
    pub valid: Validity,
    /// results.json's shape: `valid`, `format`, `model`, `workload` (the
    /// checker's result) and, for operation histories, `stats`.
    pub results: Value,
    /// The operations, numbered by line (empty for Porcupine logs, which
    /// are checked without becoming operations).
    pub ops: Vec<Op>,
    /// The format read.
    pub format: Format,
    /// The model checked against.
    pub model: Model,
}

/// The first character that is not whitespace or inside a `;` comment,
/// and the one after it.
fn first_chars(text: &str) -> (Option<char>, Option<char>) {
    let mut lines = text.lines();
    for line in lines.by_ref() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with(';') {
            continue;
        }
        let mut cs = t.chars();
        let first = cs.next();
        let second = cs.find(|c| !c.is_whitespace());
        return (first, second);
    }
    (None, None)
}

/// Tells the format from the text (and the file name when the text is empty).
pub fn detect_format(path: &Path, text: &str) -> Result<Format, String> {
    if text.contains("jepsen.util - ") {
        return Ok(Format::Porcupine);
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match first_chars(text) {
        (None, _) => Ok(match ext {
            "log" => Format::Porcupine,
            "edn" => Format::Edn,
            _ => Format::Jsonl,
        }),
        (Some('{'), Some('"')) => Ok(Format::Jsonl),
        (Some('{'), _) => {
            // Porcupine's kv logs are EDN maps with a `:key`.
            let first = edn::Reader::new(text).next_value().ok().flatten();
            Ok(match first {
                Some((_, v)) if v.get("key").is_some() => Format::Porcupine,
                _ => Format::Edn,
            })
        }
        (Some('[' | '('), _) => Ok(Format::Edn),
        (Some(c), _) => Err(format!(
            "cannot tell the format of a file starting with {c:?}; say --format jsonl, edn or \
             porcupine"
        )),
    }
}

fn parse_format(s: &str) -> Result<Option<Format>, String> {
    Ok(match s {
        "auto" => None,
        "jsonl" | "json" => Some(Format::Jsonl),
        "edn" => Some(Format::Edn),
        "porcupine" => Some(Format::Porcupine),
        other => {
            return Err(format!(
                "unknown --format {other:?}: expected auto, jsonl, edn or porcupine"
            ))
        }
    })
}

/// `--initial-value`: JSON, or else EDN (`nil`, keywords, vectors).
fn parse_value(s: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<Value>(s) {
        return Ok(v);
    }
    match edn::read_all(s) {
        Ok(values) if values.len() == 1 => Ok(values[0].1.to_json()),
        Ok(_) => Err(format!("--initial-value {s:?}: expected one value")),
        Err(e) => Err(format!("--initial-value {s:?}: {e}")),
    }
}

fn budget(args: &CheckArgs) -> Result<Budget, String> {
    if !(args.check_time_limit.is_finite() && args.check_time_limit >= 0.0) {
        return Err(format!(
            "--check-time-limit must be a non-negative number, not {}",
            args.check_time_limit
        ));
    }
    Ok(Budget {
        time: Duration::from_secs_f64(args.check_time_limit),
        memory_bytes: args.check_memory.saturating_mul(1 << 20),
    })
}

/// Reads and checks `args.file`. `Err` is bad input or options, in words
/// that name the file and, for a malformed history, the line (and column).
pub fn check_file(args: &CheckArgs) -> Result<Checked, String> {
    let file = args.file.display();
    let text =
        std::fs::read_to_string(&args.file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let format = match parse_format(&args.format)? {
        Some(f) => f,
        None => detect_format(&args.file, &text)?,
    };
    let model = args.model.as_deref().map(str::parse::<Model>).transpose()?;
    let opts = ModelOpts {
        budget: budget(args)?,
        initial_value: args.initial_value.as_deref().map(parse_value).transpose()?,
        consistency_models: args
            .consistency_models
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    let (ops, model, out) = match format {
        Format::Porcupine => {
            let (model, out) =
                check_porcupine(&text, model, &opts).map_err(|e| format!("{file}: {e}"))?;
            (Vec::new(), model, out)
        }
        Format::Jsonl | Format::Edn => {
            let ops = if format == Format::Jsonl {
                parse_jsonl_by_line(&text).map_err(|e| format!("{file}: {e}"))?
            } else {
                parse_edn_history(&text).map_err(|e| format!("{file}: {e}"))?
            };
            let model = match model {
                Some(m) => m,
                None => infer_model(&ops).map_err(|e| format!("{file}: {e}"))?,
            };
            let out = check_model(model, &ops, &opts)?;
            (ops, model, out)
        }
    };
    let mut results = json!({
        "valid": out.valid,
        "format": format.name(),
        "model": model.name(),
        "workload": out.details,
    });
    if !ops.is_empty() {
        // The counts help explain a verdict; `stats`'s own validity (every
        // function had an ok) is a test's concern, not a history's.
        let mut st = serde_json::to_value(stats(&ops)).unwrap_or(Value::Null);
        if let Some(map) = st.as_object_mut() {
            map.remove("valid");
        }
        results["stats"] = st;
    }
    Ok(Checked {
        valid: out.valid,
        results,
        ops,
        format,
        model,
    })
}

/// A Porcupine log checked with Porcupine's own reading of it: an etcd log
/// is one cas-register from nil, a kv log a string register per key from "".
fn check_porcupine(
    text: &str,
    model: Option<Model>,
    opts: &ModelOpts,
) -> Result<(Model, CheckOutput), String> {
    if opts.initial_value.is_some() {
        return Err("Porcupine's logs start from nil (etcd) or \"\" (kv): \
                    --initial-value does not apply"
            .into());
    }
    // As Porcupine, stop at the first key found not linearizable: the
    // verdict is then known, and the other keys may take long to decide.
    let lin = LinOpts {
        budget: opts.budget,
        stop_on_first_invalid: true,
        ..LinOpts::default()
    };
    let etcd = text.contains("jepsen.util - ") || text.trim().is_empty();
    let want = if etcd { Model::CasRegister } else { Model::Kv };
    if let Some(m) = model.filter(|m| *m != want) {
        return Err(format!(
            "a Porcupine {} log is checked with the {} model, not {}",
            if etcd { "etcd" } else { "kv" },
            want.name(),
            m.name()
        ));
    }
    let r = if etcd {
        check_partitions(vec![parse_etcd(text).map_err(|e| e.to_string())?], &lin)
    } else {
        check_partitions(parse_kv(text).map_err(|e| e.to_string())?, &lin)
    };
    Ok((want, lin_output(&r)))
}

/// `maelstrom check`: prints the results and why, and exits as `test` would.
pub fn command(args: &CheckArgs) -> i32 {
    let checked = match check_file(args) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{msg}");
            return EXIT_BAD_ARGS;
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&checked.results).unwrap_or_default()
    );
    println!();
    println!(
        "Checked {} ({}, {}) against the {} model. Operations are numbered by their line in \
         that file.",
        args.file.display(),
        checked.format.name(),
        if checked.ops.is_empty() {
            "a Porcupine log".to_string()
        } else {
            format!("{} operations", checked.ops.len())
        },
        checked.model.name()
    );
    report::verdict(&checked.results, &checked.ops, checked.valid);
    checked.valid.exit_code()
}

/// `maelstrom analyze`: checks a stored test again and rewrites its results.
pub fn analyze_command(args: &AnalyzeArgs) -> i32 {
    let dir = match analyzed_folder(args) {
        Ok(d) => d,
        Err(msg) => {
            eprintln!("{msg}");
            return EXIT_BAD_ARGS;
        }
    };
    match analysis::analyze(&dir) {
        Ok(outcome) => {
            report::summary(&outcome, report::RunMode::Stored);
            outcome.valid.exit_code()
        }
        Err(HarnessError::Config(msg)) => {
            eprintln!("{msg}");
            EXIT_BAD_ARGS
        }
        Err(e) => report::crash(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_from_the_text() {
        let p = Path::new("h");
        let d = |t: &str| detect_format(p, t);
        assert_eq!(d("{\"type\":\"invoke\"}"), Ok(Format::Jsonl));
        assert_eq!(d("; x\n{:type :invoke}"), Ok(Format::Edn));
        assert_eq!(d("\n[{:type :invoke}]"), Ok(Format::Edn));
        assert_eq!(
            d("{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}"),
            Ok(Format::Porcupine)
        );
        assert_eq!(
            d("INFO  jepsen.util - 0\t:invoke\t:read\tnil"),
            Ok(Format::Porcupine)
        );
        assert_eq!(detect_format(Path::new("x.log"), ""), Ok(Format::Porcupine));
        assert!(d("hello").unwrap_err().contains("--format"));
    }

    #[test]
    fn analyze_finds_a_test_by_index_or_path() {
        let store = tempfile::tempdir().unwrap();
        for t in [
            "echo/20250101T000000.000Z",
            "broadcast/20250102T000000.000Z",
        ] {
            std::fs::create_dir_all(store.path().join(t)).unwrap();
            std::fs::write(store.path().join(t).join("history.jsonl"), "").unwrap();
        }
        // A folder without a history is no test.
        std::fs::create_dir_all(store.path().join("echo/notes")).unwrap();
        let args = |test: Option<&str>| AnalyzeArgs {
            dir: None,
            test: test.map(str::to_string),
            store: store.path().to_path_buf(),
        };
        let at = |test| analyzed_folder(&args(test)).unwrap();
        assert!(at(None).ends_with("broadcast/20250102T000000.000Z"));
        assert!(at(Some("0")).ends_with("echo/20250101T000000.000Z"));
        assert!(at(Some("-2")).ends_with("echo/20250101T000000.000Z"));
        assert_eq!(at(Some("some/dir")), PathBuf::from("some/dir"));
        let e = analyzed_folder(&args(Some("2"))).unwrap_err();
        assert!(e.contains("holds 2 stored tests"), "{e}");
    }

    #[test]
    fn initial_values_read_as_json_or_edn() {
        assert_eq!(parse_value("0"), Ok(json!(0)));
        assert_eq!(parse_value("null"), Ok(Value::Null));
        assert_eq!(parse_value("nil"), Ok(Value::Null));
        assert_eq!(parse_value("\"x\""), Ok(json!("x")));
        assert_eq!(parse_value("[1 :a]"), Ok(json!([1, "a"])));
        assert!(parse_value("1 2").is_err());
    }
}
