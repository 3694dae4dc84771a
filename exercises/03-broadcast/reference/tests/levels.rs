//! The reference passes every level of grade.toml, run in simulation over the
//! seeds and judged by the criteria grade.toml gives (see exercise-testkit).

use broadcast_reference::Broadcast;
use exercise_testkit::Levels;

fn levels() -> Levels {
    Levels::load(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_one_node() {
    levels().pass::<Broadcast>(&["a"]);
}

#[test]
fn b_five_nodes() {
    levels().pass::<Broadcast>(&["b"]);
}

#[test]
fn c_partitions() {
    levels().pass::<Broadcast>(&["c"]);
}

/// Levels d and e run the same flags (only their thresholds differ), so they
/// share one run per seed.
#[test]
fn d_and_e_efficiency() {
    levels().pass::<Broadcast>(&["d", "e"]);
}

#[test]
fn d_still_valid_with_partitions() {
    levels().pass::<Broadcast>(&["d-partition"]);
}

#[test]
fn every_level_is_tested() {
    levels().assert_tested(&["a", "b", "c", "d", "e", "d-partition"]);
}
