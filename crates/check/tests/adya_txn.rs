//! The txn checker against a second opinion: the `adya` crate, an
//! independent Rust checker after Elle, on the random small histories of
//! `common::txn` (list-append and rw-register; serializable and strict).
//!
//! Wherever both checkers decide (neither says unknown), they must agree
//! on valid versus invalid. A disagreement is settled by the brute-force
//! oracle: if it sides with adya, this checker is wrong and the test
//! fails; if it sides with this checker, the case must be one of adya's
//! documented limits (see `adya_limit`), else the test fails too.

mod common;

use common::config;
use common::txn::{generate, oracle, to_history, St, M, T};
use maelstrom_check::history::{to_jsonl, Op, OpType};
use maelstrom_check::txn::{check, TxnKind, TxnOpts};
use maelstrom_check::Validity;
use proptest::prelude::*;
use serde_json::{json, Value};

/// adya's verdict on `h`. For rw-register it is told that writes follow
/// reads (`wfr_keys`), which this checker assumes too.
fn adya_verdict(h: &[Op], list: bool, model: &str) -> Validity {
    adya_report(h, list, model).0
}

/// adya's verdict and anomaly types.
fn adya_report(h: &[Op], list: bool, model: &str) -> (Validity, Vec<String>) {
    let text = to_jsonl(h);
    let Ok(ah) = adya::History::from_json(&text) else {
        return (Validity::Unknown, Vec::new());
    };
    let opts = adya::Opts {
        models: vec![model.to_string()],
        wfr_keys: !list,
        ..adya::Opts::default()
    };
    let workload = if list {
        adya::Workload::ListAppend
    } else {
        adya::Workload::RwRegister
    };
    let r = adya::check(&ah, workload, &opts);
    let v = match r.valid {
        adya::Valid::True => Validity::Valid,
        adya::Valid::False => Validity::Invalid,
        adya::Valid::Unknown => Validity::Unknown,
    };
    (v, r.anomaly_types)
}

/// How one history went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Both decided, the same way.
    Agree,
    /// One of them said unknown.
    Undecided,
    /// They disagreed, the oracle sided with this checker, and the case is
    /// the named limit of adya's.
    AdyaLimit(&'static str),
}

/// Why adya, not this checker, is wrong about `txns`, when the case is one
/// of adya's known limits.
fn adya_limit(txns: &[T], list: bool, ours: Validity) -> Option<&'static str> {
    let finals = txns.iter().any(|t| t.final_);
    // adya has no notion of a final read: the rw-register final state,
    // from which this checker orders versions, means nothing to it.
    if !list && finals && ours == Validity::Invalid {
        return Some("final-state");
    }
    // adya's rw-register takes writers from committed transactions only,
    // so a read of an indeterminate transaction's write links nothing; this
    // checker counts such a write as having taken effect, as it must have.
    let info_write_read = txns.iter().filter(|t| t.st == St::Ok).any(|r| {
        r.mops.iter().any(|m| match m {
            M::R(k, v) => txns.iter().filter(|t| t.st == St::Info).any(|w| {
                w.mops
                    .iter()
                    .any(|x| matches!(x, M::W(k2, v2) if k2 == k && v.as_i64() == Some(*v2)))
            }),
            M::W(..) => false,
        })
    });
    if !list && info_write_read && ours == Validity::Invalid {
        return Some("indeterminate-writer");
    }
    None
}

fn compare(seed: u64, list: bool, model: &str) -> Result<Outcome, TestCaseError> {
    let realtime = model == "strict-serializable";
    let txns = generate(seed, list);
    let h = to_history(&txns, list);
    let kind = if list {
        TxnKind::ListAppend
    } else {
        TxnKind::RwRegister
    };
    let opts = TxnOpts {
        consistency_models: vec![model.to_string()],
        ..TxnOpts::default()
    };
    let ours = check(&h, kind, &opts).valid;
    let theirs = adya_verdict(&h, list, model);
    if ours == Validity::Unknown || theirs == Validity::Unknown {
        return Ok(Outcome::Undecided);
    }
    if ours == theirs {
        return Ok(Outcome::Agree);
    }
    let serial = oracle(&txns, list, realtime);
    prop_assert_eq!(
        ours == Validity::Valid,
        serial,
        "seed {}: this checker says {:?}, adya {:?}, the oracle {}\n{:#?}",
        seed,
        ours,
        theirs,
        serial,
        txns
    );
    match adya_limit(&txns, list, ours) {
        Some(why) => Ok(Outcome::AdyaLimit(why)),
        None => Err(TestCaseError::fail(format!(
            "seed {seed}: adya says {theirs:?}, this checker and the oracle {ours:?}\n{txns:#?}"
        ))),
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn list_append_serializable(seed in any::<u64>()) {
        compare(seed, true, "serializable")?;
    }

    #[test]
    fn list_append_strict(seed in any::<u64>()) {
        compare(seed, true, "strict-serializable")?;
    }

    #[test]
    fn rw_register_serializable(seed in any::<u64>()) {
        compare(seed, false, "serializable")?;
    }

    #[test]
    fn rw_register_strict(seed in any::<u64>()) {
        compare(seed, false, "strict-serializable")?;
    }
}

/// Both checkers decide often, both ways, so agreement means something.
#[test]
fn both_decide_often() {
    for list in [true, false] {
        let (mut agree, mut undecided, mut limits, mut invalid) = (0, 0, 0, 0);
        for seed in 0..400 {
            match compare(seed, list, "serializable").unwrap() {
                Outcome::Agree => agree += 1,
                Outcome::Undecided => undecided += 1,
                Outcome::AdyaLimit(_) => limits += 1,
            }
            let h = to_history(&generate(seed, list), list);
            invalid += usize::from(adya_verdict(&h, list, "serializable") == Validity::Invalid);
        }
        eprintln!("list={list}: {agree} agree ({invalid} invalid by adya), {undecided} undecided, {limits} adya limits");
        assert!(
            agree > 200 && invalid > 60,
            "list={list}: {agree} agree, {invalid} invalid"
        );
    }
}

/// A history from `(process, type, value)` events: "invoke", "ok", "fail".
fn hist(events: &[(i64, &str, Value)]) -> Vec<Op> {
    events
        .iter()
        .enumerate()
        .map(|(i, (p, t, v))| {
            let kind = match *t {
                "invoke" => OpType::Invoke,
                "ok" => OpType::Ok,
                _ => OpType::Fail,
            };
            Op::new(i as u64, kind, *p, "txn", v.clone())
        })
        .collect()
}

/// Transactions run one after another, each invoked then completed ok.
fn serial(txns: &[(i64, Value)]) -> Vec<Op> {
    let ev: Vec<(i64, &str, Value)> = txns
        .iter()
        .flat_map(|(p, v)| [(*p, "invoke", v.clone()), (*p, "ok", v.clone())])
        .collect();
    hist(&ev)
}

/// Planted anomalies: both checkers find each, under their own names.
#[test]
fn planted_anomalies() {
    let cases: Vec<(&str, &str, &str, Vec<Op>)> = vec![
        (
            "G0",
            "G0",
            "serializable",
            serial(&[
                (0, json!([["append", "x", 1], ["append", "y", 1]])),
                (1, json!([["append", "x", 2], ["append", "y", 2]])),
                (2, json!([["r", "x", [1, 2]], ["r", "y", [2, 1]]])),
            ]),
        ),
        (
            "G1c",
            "G1c",
            "serializable",
            hist(&[
                (0, "invoke", json!([["append", "x", 1], ["r", "y", null]])),
                (1, "invoke", json!([["append", "y", 1], ["r", "x", null]])),
                (0, "ok", json!([["append", "x", 1], ["r", "y", [1]]])),
                (1, "ok", json!([["append", "y", 1], ["r", "x", [1]]])),
            ]),
        ),
        (
            "G-single",
            "G-single-item",
            "serializable",
            hist(&[
                (0, "invoke", json!([["append", "x", 1], ["append", "y", 1]])),
                (1, "invoke", json!([["r", "x", null], ["r", "y", null]])),
                (0, "ok", json!([["append", "x", 1], ["append", "y", 1]])),
                (1, "ok", json!([["r", "x", []], ["r", "y", [1]]])),
                (2, "invoke", json!([["r", "x", null]])),
                (2, "ok", json!([["r", "x", [1]]])),
            ]),
        ),
        (
            "G2-item",
            "G2-item",
            "serializable",
            hist(&[
                (0, "invoke", json!([["r", "x", null], ["append", "y", 1]])),
                (1, "invoke", json!([["r", "y", null], ["append", "x", 1]])),
                (0, "ok", json!([["r", "x", []], ["append", "y", 1]])),
                (1, "ok", json!([["r", "y", []], ["append", "x", 1]])),
                (2, "invoke", json!([["r", "x", null], ["r", "y", null]])),
                (2, "ok", json!([["r", "x", [1]], ["r", "y", [1]]])),
            ]),
        ),
        (
            "G1a",
            "G1a",
            "serializable",
            hist(&[
                (0, "invoke", json!([["append", "x", 1]])),
                (0, "fail", json!([["append", "x", 1]])),
                (1, "invoke", json!([["r", "x", null]])),
                (1, "ok", json!([["r", "x", [1]]])),
            ]),
        ),
        (
            "lost-update",
            "lost-update",
            "serializable",
            hist(&[
                (0, "invoke", json!([["r", "x", null], ["append", "x", 1]])),
                (1, "invoke", json!([["r", "x", null], ["append", "x", 2]])),
                (0, "ok", json!([["r", "x", []], ["append", "x", 1]])),
                (1, "ok", json!([["r", "x", []], ["append", "x", 2]])),
                (2, "invoke", json!([["r", "x", null]])),
                (2, "ok", json!([["r", "x", [1, 2]]])),
            ]),
        ),
        (
            "G-single-realtime",
            "G-single-item-realtime",
            "strict-serializable",
            serial(&[
                (0, json!([["append", "x", 1]])),
                (1, json!([["r", "x", []]])),
                (2, json!([["r", "x", [1]]])),
            ]),
        ),
    ];
    for (ours_name, adya_name, model, h) in cases {
        let opts = TxnOpts {
            consistency_models: vec![model.to_string()],
            ..TxnOpts::default()
        };
        let ours = check(&h, TxnKind::ListAppend, &opts);
        let (theirs, types) = adya_report(&h, true, model);
        assert_eq!(ours.valid, Validity::Invalid, "{ours_name}: {ours:?}");
        assert_eq!(theirs, Validity::Invalid, "{adya_name}: {types:?}");
        assert!(
            ours.anomaly_types.iter().any(|t| t == ours_name),
            "{ours_name}: {:?}",
            ours.anomaly_types
        );
        assert!(
            types.iter().any(|t| t == adya_name),
            "{adya_name}: {types:?}"
        );
    }
}
