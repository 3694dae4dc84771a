//! The reference passes the pn-counter levels, run in simulation (see the
//! exercise-testkit crate) over the same seeds as grade.toml.

use exercise_testkit::assert_valid;
use pn_counter_reference::PnCounter;

const SEEDS: [u64; 3] = [1, 2, 3];

#[test]
fn a_three_nodes() {
    for seed in SEEDS {
        let args = ["--node-count", "3", "--rate", "100", "--time-limit", "20"];
        assert_valid::<PnCounter>("pn-counter", &args, seed);
    }
}

#[test]
fn b_partitions() {
    for seed in SEEDS {
        let args = [
            "--node-count",
            "3",
            "--rate",
            "100",
            "--time-limit",
            "30",
            "--nemesis",
            "partition",
        ];
        assert_valid::<PnCounter>("pn-counter", &args, seed);
    }
}
