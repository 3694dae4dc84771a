//! The reference passes the pn-counter levels, run in simulation over the
//! seeds and judged by the criteria grade.toml gives (see exercise-testkit).

use exercise_testkit::Levels;
use pn_counter_reference::PnCounter;

fn levels() -> Levels {
    Levels::load(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_three_nodes() {
    levels().pass::<PnCounter>(&["a"]);
}

#[test]
fn b_partitions() {
    levels().pass::<PnCounter>(&["b"]);
}

#[test]
fn every_level_is_tested() {
    levels().assert_tested(&["a", "b"]);
}
