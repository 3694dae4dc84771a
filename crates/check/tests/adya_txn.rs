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
use maelstrom_check::history::{to_jsonl, Op};
use maelstrom_check::txn::{check, TxnKind, TxnOpts};
use maelstrom_check::Validity;
use proptest::prelude::*;

/// adya's verdict on `h`. For rw-register it is told that writes follow
/// reads (`wfr_keys`), which this checker assumes too.
fn adya_verdict(h: &[Op], list: bool, model: &str) -> Validity {
    let text = to_jsonl(h);
    let Ok(ah) = adya::History::from_json(&text) else {
        return Validity::Unknown;
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
    match adya::check(&ah, workload, &opts).valid {
        adya::Valid::True => Validity::Valid,
        adya::Valid::False => Validity::Invalid,
        adya::Valid::Unknown => Validity::Unknown,
    }
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
