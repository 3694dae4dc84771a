//! The reference passes every level of grade.toml, run in simulation over the
//! seeds and judged by the criteria grade.toml gives (see exercise-testkit),
//! and keeps its ids unique when nodes crash and restart (beyond the graded
//! levels).

use exercise_testkit::{assert_valid, number, Levels};
use unique_ids_reference::UniqueIds;

fn levels() -> Levels {
    Levels::load(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_totally_available_under_partitions() {
    levels().pass::<UniqueIds>(&["a"]);
}

#[test]
fn every_level_is_tested() {
    levels().assert_tested(&["a"]);
}

#[test]
fn ids_stay_unique_across_crashes() {
    let args = [
        "--time-limit",
        "20",
        "--rate",
        "200",
        "--node-count",
        "3",
        "--nemesis",
        "kill",
        "--nemesis-interval",
        "2",
    ];
    for seed in [1, 2, 3] {
        let results = assert_valid::<UniqueIds>("unique-ids", &args, seed);
        assert_eq!(number(&results, "workload.duplicated-count"), 0.0);
    }
}
