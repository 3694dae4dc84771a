//! The reference passes every level of grade.toml, run in simulation (see the
//! exercise-testkit crate) over the same seeds, and keeps its ids unique when nodes
//! crash and restart (beyond the graded levels).

use exercise_testkit::{assert_valid, number};
use unique_ids_reference::UniqueIds;

const LEVEL_A: [&str; 10] = [
    "--time-limit",
    "30",
    "--rate",
    "1000",
    "--node-count",
    "3",
    "--availability",
    "total",
    "--nemesis",
    "partition",
];

#[test]
fn a_totally_available_under_partitions() {
    for seed in [1, 2, 3] {
        let results = assert_valid::<UniqueIds>("unique-ids", &LEVEL_A, seed);
        assert_eq!(number(&results, "workload.duplicated-count"), 0.0);
        assert_eq!(number(&results, "availability.ok-fraction"), 1.0);
    }
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
