//! The txn checker against a brute-force serializability oracle.
//!
//! Histories of up to 6 transactions over 2 keys, each built from a seed:
//! half of them come from a real serial execution (often serializable),
//! half read random prefixes of random orders (often not). The oracle
//! tries every order of the committed transactions, with every subset of
//! the indeterminate ones, and replays it: a history is serializable iff
//! some order explains every read (and strictly serializable iff such an
//! order also respects real time). Final reads, when present, must come
//! last. Where the oracle finds an order, the checker must find nothing
//! the model forbids.

mod common;

use common::config;
use common::txn::{generate, oracle, to_history, St, M, T};
use maelstrom_check::txn::{check, TxnKind, TxnOpts};
use maelstrom_check::Validity;
use proptest::prelude::*;
use serde_json::json;

fn agree(
    seed: u64,
    list: bool,
    model: &str,
    realtime: bool,
) -> Result<(bool, Validity), TestCaseError> {
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
    let r = check(&h, kind, &opts);
    let serial = oracle(&txns, list, realtime);
    if serial {
        prop_assert_eq!(
            r.valid,
            Validity::Valid,
            "oracle found an order; checker said {:?}\n{:#?}",
            r,
            txns
        );
    }
    Ok((serial, r.valid))
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn list_append_serializable(seed in any::<u64>()) {
        agree(seed, true, "serializable", false)?;
    }

    #[test]
    fn list_append_strict(seed in any::<u64>()) {
        agree(seed, true, "strict-serializable", true)?;
    }

    #[test]
    fn rw_register_serializable(seed in any::<u64>()) {
        agree(seed, false, "serializable", false)?;
    }

    #[test]
    fn rw_register_strict(seed in any::<u64>()) {
        agree(seed, false, "strict-serializable", true)?;
    }
}

/// The generator gives every outcome often, so agreement means something:
/// serializable histories, and non-serializable ones the checker catches.
#[test]
fn generator_covers_both_verdicts() {
    for list in [true, false] {
        let (mut serial, mut caught, mut missed) = (0, 0, 0);
        for seed in 0..400 {
            match agree(seed, list, "serializable", false).unwrap() {
                (true, _) => serial += 1,
                (false, Validity::Invalid) => caught += 1,
                (false, _) => missed += 1,
            }
        }
        eprintln!("list={list}: {serial} serial, {caught} caught, {missed} missed");
        assert!(
            serial > 100 && caught > 60,
            "list={list}: {serial} serial, {caught} caught, {missed} missed"
        );
    }
}

#[test]
fn oracle_on_hand_made_cases() {
    let t = |st, mops| T {
        st,
        mops,
        final_: false,
        invoke: 0,
        complete: 1,
    };
    // Write skew is not serializable; the plain sequence is.
    let skew = vec![
        t(St::Ok, vec![M::R(0, json!([])), M::W(1, 1)]),
        t(St::Ok, vec![M::R(1, json!([])), M::W(0, 1)]),
        t(St::Ok, vec![M::R(0, json!([1])), M::R(1, json!([1]))]),
    ];
    assert!(!oracle(&skew, true, false));
    let fine = vec![
        t(St::Ok, vec![M::W(0, 1)]),
        t(St::Info, vec![M::W(0, 2)]),
        t(St::Ok, vec![M::R(0, json!([1, 2]))]),
    ];
    assert!(oracle(&fine, true, false));
    let aborted = vec![
        t(St::Fail, vec![M::W(0, 1)]),
        t(St::Ok, vec![M::R(0, json!(1))]),
    ];
    assert!(!oracle(&aborted, false, false));
}
