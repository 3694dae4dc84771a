//! Checking histories that were recorded earlier: `maelstrom check` (any
//! history, against a model named on the command line) and `maelstrom
//! analyze` (a stored test, checked again by today's checkers).
//!
//! A stored test keeps what its checkers need in `test.json` (the
//! [`TestConfig`], which holds every workload option, and the command that
//! reruns it), beside `history.jsonl`; [`analyze`] rebuilds the workload from
//! it, checks the history again and rewrites results.json, results.edn and
//! index.html.

use std::collections::BTreeSet;
use std::path::Path;

use maelstrom_check::history::{parse_jsonl, Op, OpType};
use maelstrom_check::linearizable::{self, LinOpts, LinResult, ModelKind};
use maelstrom_check::set_full::{self, SetFullOpts};
use maelstrom_check::stats::{availability, stats};
use maelstrom_check::txn::{self, models, TxnKind, TxnOpts};
use maelstrom_check::{counter, Budget, Validity};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::TestConfig;
use crate::error::HarnessError;
use crate::run::Outcome;
use crate::workload::{self, CheckOutput};

/// The models `maelstrom check` knows, by the names it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// A register with read and write, per key.
    Register,
    /// A register with read, write and compare-and-set, per key (lin-kv's).
    CasRegister,
    /// Porcupine's string register with get, put and append, per key.
    Kv,
    /// A grow-only set: adds (or broadcasts) and reads (set-full).
    Set,
    /// A counter: adds of deltas and reads.
    Counter,
    /// Transactions of appends to lists and reads (Elle's list-append).
    ListAppend,
    /// Transactions of writes and reads of registers (Elle's rw-register).
    RwRegister,
}

impl Model {
    /// Every model, by its name.
    pub const ALL: [(&'static str, Model); 7] = [
        ("register", Model::Register),
        ("cas-register", Model::CasRegister),
        ("kv", Model::Kv),
        ("set", Model::Set),
        ("counter", Model::Counter),
        ("list-append", Model::ListAppend),
        ("rw-register", Model::RwRegister),
    ];

    /// The model's name, as `--model` takes it.
    pub fn name(self) -> &'static str {
        Model::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |(n, _)| n)
    }
}

impl std::str::FromStr for Model {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // Also the names the workloads and Jepsen use for the same checkers.
        let s = match s {
            "set-full" | "g-set" | "broadcast" => "set",
            "g-counter" | "pn-counter" => "counter",
            "txn-list-append" => "list-append",
            "txn-rw-register" => "rw-register",
            "lin-kv" => "cas-register",
            other => other,
        };
        Model::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                format!(
                    "unknown model {s:?}: expected one of {}",
                    Model::ALL.map(|(n, _)| n).join(", ")
                )
            })
    }
}

/// What a check may use and assume besides the history.
#[derive(Debug, Clone)]
pub struct ModelOpts {
    /// Time and memory limits; past them the verdict is unknown.
    pub budget: Budget,
    /// Every key's initial value (register, cas-register and kv only).
    pub initial_value: Option<Value>,
    /// The consistency models a transactional history must satisfy.
    pub consistency_models: Vec<String>,
}

impl Default for ModelOpts {
    fn default() -> Self {
        ModelOpts {
            budget: Budget::default(),
            initial_value: None,
            consistency_models: vec![models::DEFAULT_MODEL.to_string()],
        }
    }
}

/// The key a history of one register is checked under.
pub const SINGLE_KEY: &str = "register";

fn client_fs(ops: &[Op]) -> BTreeSet<&str> {
    ops.iter()
        .filter(|o| o.is_client())
        .map(|o| o.f.as_str())
        .collect()
}

/// The model a history's functions call for, or why none can be told.
pub fn infer_model(ops: &[Op]) -> Result<Model, String> {
    let fs = client_fs(ops);
    let within = |allowed: &[&str]| fs.iter().all(|f| allowed.contains(f));
    let ask = |why: String| Err(format!("{why}; say which with --model"));
    if fs.is_empty() {
        return ask("the history has no client operations to tell the model by".into());
    }
    if within(&["read", "write", "cas"]) {
        return Ok(if fs.contains("cas") {
            Model::CasRegister
        } else {
            Model::Register
        });
    }
    if within(&["get", "put", "append"]) {
        return Ok(Model::Kv);
    }
    if within(&["broadcast", "read"]) {
        return Ok(Model::Set);
    }
    let micro_ops = || {
        ops.iter()
            .filter(|o| o.f == "txn")
            .filter_map(|o| o.value.as_array())
            .flatten()
            .filter_map(|m| m.get(0).and_then(Value::as_str))
    };
    if within(&["txn"]) {
        let kinds: BTreeSet<&str> = micro_ops().collect();
        if kinds.contains("append") {
            return Ok(Model::ListAppend);
        }
        if kinds.contains("w") {
            return Ok(Model::RwRegister);
        }
        return ask("the transactions only read, which fits list-append and rw-register".into());
    }
    if within(&["add", "read"]) {
        let read = ops
            .iter()
            .find(|o| o.f == "read" && o.kind == OpType::Ok && !o.value.is_null());
        return match read.map(|o| &o.value) {
            Some(Value::Array(_)) => Ok(Model::Set),
            Some(Value::Number(_)) => Ok(Model::Counter),
            _ => {
                ask("no read tells a set (reads of lists) from a counter (reads of numbers)".into())
            }
        };
    }
    ask(format!(
        "no model has the functions {}",
        fs.into_iter().collect::<Vec<_>>().join(", ")
    ))
}

/// Whether every client invocation's value is a `[key, value]` tuple (a
/// `cas`'s value a `[from, to]` pair), as Jepsen's independent checker and
/// lin-kv write them; otherwise the history is of one register.
fn is_per_key(ops: &[Op]) -> bool {
    let mut invokes = ops
        .iter()
        .filter(|o| o.is_client() && o.kind == OpType::Invoke)
        .peekable();
    invokes.peek().is_some()
        && invokes.all(|o| match o.value.as_array().map(Vec::as_slice) {
            Some([_, v]) => o.f != "cas" || v.as_array().is_some_and(|p| p.len() == 2),
            _ => false,
        })
}

/// A history of one register with every client value put under
/// [`SINGLE_KEY`], the shape the per-key checkers read.
fn under_one_key(ops: &[Op]) -> Vec<Op> {
    ops.iter()
        .map(|o| {
            let mut o = o.clone();
            if o.is_client() {
                o.value = json!([SINGLE_KEY, o.value]);
            }
            o
        })
        .collect()
}

/// A linearizability result as a workload's check output, with the words
/// lin-kv prints when it fails.
pub fn lin_output(r: &LinResult) -> CheckOutput {
    CheckOutput::from_result(r.valid, r).with_summary(|| workload::lin_kv_summary(r))
}

/// Checks `ops` against `model`. `Err` when the options do not fit the
/// model (never for what the history holds: that is a verdict).
pub fn check_model(model: Model, ops: &[Op], opts: &ModelOpts) -> Result<CheckOutput, String> {
    let lin = |kind: ModelKind| {
        let per_key;
        let history = if is_per_key(ops) {
            ops
        } else {
            per_key = under_one_key(ops);
            &per_key
        };
        let lin_opts = LinOpts {
            budget: opts.budget,
            initial_value: opts.initial_value.clone(),
            ..LinOpts::default()
        };
        lin_output(&linearizable::check(history, kind, &lin_opts))
    };
    if opts.initial_value.is_some()
        && !matches!(model, Model::Register | Model::CasRegister | Model::Kv)
    {
        return Err(format!(
            "--initial-value applies to the register, cas-register and kv models, not {}",
            model.name()
        ));
    }
    Ok(match model {
        Model::Register => lin(ModelKind::Register),
        Model::CasRegister => lin(ModelKind::CasRegister),
        Model::Kv => lin(ModelKind::KvRegister),
        Model::Set => {
            let mut set_opts = if client_fs(ops).contains("broadcast") {
                SetFullOpts::broadcast()
            } else {
                SetFullOpts::g_set()
            };
            set_opts.budget = opts.budget;
            let r = set_full::check(ops, &set_opts);
            CheckOutput::from_result(r.valid, &r)
        }
        Model::Counter => {
            let r = counter::check(
                ops,
                &counter::CounterOpts {
                    budget: opts.budget,
                },
            );
            CheckOutput::from_result(r.valid, &r)
        }
        Model::ListAppend | Model::RwRegister => {
            if let Some(m) = opts
                .consistency_models
                .iter()
                .find(|m| !models::is_known(m))
            {
                return Err(format!(
                    "unknown consistency model {m:?}: expected one of {}",
                    models::known_models().join(", ")
                ));
            }
            let kind = if model == Model::ListAppend {
                TxnKind::ListAppend
            } else {
                TxnKind::RwRegister
            };
            let txn_opts = TxnOpts {
                consistency_models: opts.consistency_models.clone(),
                // As the txn-rw-register workload: any anomaly reported is one
                // the models forbid.
                allowed_anomalies_valid: kind == TxnKind::RwRegister,
                budget: opts.budget,
                ..TxnOpts::default()
            };
            let r = txn::check(ops, kind, &txn_opts);
            CheckOutput::from_result(r.valid, &r).with_summary(|| workload::txn_summary(&r))
        }
    })
}

/// The file in a test's folder that holds what [`analyze`] needs.
pub const TEST_FILE: &str = "test.json";

/// `test.json`: a test's configuration and the command that reruns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredTest {
    /// Everything the test was run with (the program aside).
    pub config: TestConfig,
    /// The `maelstrom test` command that reruns it.
    pub command: String,
}

/// Writes `test.json` into a test's folder.
pub fn write_test_file(dir: &Path, cfg: &TestConfig) -> Result<(), HarnessError> {
    let stored = StoredTest {
        config: cfg.clone(),
        command: crate::report::command_line(cfg),
    };
    let path = dir.join(TEST_FILE);
    let text = serde_json::to_string_pretty(&stored).unwrap_or_default();
    std::fs::write(&path, text + "\n").map_err(|source| HarnessError::Store {
        path: path.display().to_string(),
        source,
    })
}

fn read(dir: &Path, name: &str) -> Result<String, HarnessError> {
    let path = dir.join(name);
    std::fs::read_to_string(&path).map_err(|source| HarnessError::Store {
        path: path.display().to_string(),
        source,
    })
}

/// Checks a stored test again: rebuilds its workload from `test.json`, runs
/// the checkers over `history.jsonl`, and rewrites results.json, results.edn
/// and index.html. The network statistics, exceptions and protocol record
/// come from the journal and the nodes, not the history, so they are kept
/// from the results.json being replaced (a protocol violation still fails
/// the test).
pub fn analyze(dir: &Path) -> Result<Outcome, HarnessError> {
    if !dir.join(TEST_FILE).is_file() {
        return Err(HarnessError::Config(format!(
            "{} has no {TEST_FILE}: it is not a test folder, or its test was stored by a \
             maelstrom too old to keep its configuration (run the test again)",
            dir.display()
        )));
    }
    let stored: StoredTest = serde_json::from_str(&read(dir, TEST_FILE)?)
        .map_err(|e| HarnessError::Config(format!("{}: {e}", dir.join(TEST_FILE).display())))?;
    let ops = parse_jsonl(&read(dir, "history.jsonl")?).map_err(|e| {
        HarnessError::Config(format!("{}: {e}", dir.join("history.jsonl").display()))
    })?;
    // Sections the history cannot rebuild; absent when there is no results.json.
    let old: Value = read(dir, "results.json")
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let cfg = stored.config;
    let workload = workload::by_name(&cfg.workload, &cfg).map_err(HarnessError::Config)?;
    let checked = workload.check(&ops);
    let st = stats(&ops);
    let av = availability(&ops, cfg.availability);
    let protocol_valid = serde_json::from_value::<Validity>(old["protocol"]["valid"].clone())
        .unwrap_or(Validity::Valid);
    let valid = Validity::merge_all([checked.valid, st.valid, av.valid, protocol_valid]);
    let kept = |k: &str| match &old[k] {
        Value::Null => json!({"valid": true}),
        v => v.clone(),
    };
    let results = crate::run::ResultsJson {
        valid,
        seed: cfg.seed,
        workload: checked.details,
        stats: st,
        availability: av,
        net: kept("net"),
        exceptions: kept("exceptions"),
        protocol: kept("protocol"),
    }
    .to_value();
    let path = dir.join("results.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&results).unwrap_or_default(),
    )
    .map_err(|source| HarnessError::Store {
        path: path.display().to_string(),
        source,
    })?;
    let body = crate::report::html::render_body(&results, &ops);
    crate::report::write_page(dir, &cfg.workload, &stored.command, &results, &body).map_err(
        |source| HarnessError::Store {
            path: dir.display().to_string(),
            source,
        },
    )?;
    Ok(Outcome {
        valid,
        words: Some(crate::explain::verdict_words(&results, &ops, valid)),
        results,
        store_dir: Some(dir.to_path_buf()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(i: u64, kind: OpType, p: i64, f: &str, v: Value) -> Op {
        Op::new(i, kind, p, f, v)
    }

    #[test]
    fn models_are_named_and_inferred() {
        for (name, m) in Model::ALL {
            assert_eq!(name.parse::<Model>(), Ok(m));
            assert_eq!(m.name(), name);
        }
        assert_eq!("set-full".parse::<Model>(), Ok(Model::Set));
        assert!("queue"
            .parse::<Model>()
            .unwrap_err()
            .contains("cas-register"));
        let h = |f: &str, v: Value| {
            vec![
                op(0, OpType::Invoke, 0, f, Value::Null),
                op(1, OpType::Ok, 0, f, v),
            ]
        };
        assert_eq!(infer_model(&h("read", json!(1))), Ok(Model::Register));
        assert_eq!(
            infer_model(&h("cas", json!([1, 2]))),
            Ok(Model::CasRegister)
        );
        assert_eq!(infer_model(&h("get", json!("x"))), Ok(Model::Kv));
        let mut add = h("add", json!(1));
        add.extend(h("read", json!(5)));
        assert_eq!(infer_model(&add), Ok(Model::Counter));
        add.extend(h("read", json!(null)));
        add[3].value = json!([1]);
        assert_eq!(infer_model(&add), Ok(Model::Set));
        let txn = h("txn", json!([["append", 1, 2]]));
        assert_eq!(infer_model(&txn), Ok(Model::ListAppend));
        let txn = h("txn", json!([["r", 1, 2], ["w", 1, 3]]));
        assert_eq!(infer_model(&txn), Ok(Model::RwRegister));
        assert!(infer_model(&h("frob", json!(1)))
            .unwrap_err()
            .contains("--model"));
    }

    #[test]
    fn one_register_or_many_keys() {
        // One register: a read of 2 after a write of 1, sequentially.
        let one = vec![
            op(1, OpType::Invoke, 0, "write", json!(1)),
            op(2, OpType::Ok, 0, "write", json!(1)),
            op(3, OpType::Invoke, 1, "read", Value::Null),
            op(4, OpType::Ok, 1, "read", json!(2)),
        ];
        assert!(!is_per_key(&one));
        let out = check_model(Model::Register, &one, &ModelOpts::default()).unwrap();
        assert_eq!(out.valid, Validity::Invalid);
        assert_eq!(out.details["failures"], json!([SINGLE_KEY]));
        // The blocking op is named by its index: here the line it came from.
        let summary = out.details["summary"].as_str().unwrap();
        assert!(summary.contains("Op 3 "), "{summary}");
        // Per key: the same ops on two different keys are fine.
        let many = vec![
            op(1, OpType::Invoke, 0, "write", json!([0, 1])),
            op(2, OpType::Ok, 0, "write", json!([0, 1])),
            op(3, OpType::Invoke, 1, "read", json!([1, null])),
            op(4, OpType::Ok, 1, "read", json!([1, null])),
        ];
        assert!(is_per_key(&many));
        let out = check_model(Model::CasRegister, &many, &ModelOpts::default()).unwrap();
        assert_eq!(out.valid, Validity::Valid);
        // An initial value makes the first history's read of 2 no better,
        // and fits no set.
        let opts = ModelOpts {
            initial_value: Some(json!(2)),
            ..ModelOpts::default()
        };
        assert!(check_model(Model::Set, &one, &opts).is_err());
    }
}
