//! The reference passes the g-counter level, run in simulation (see the
//! exercise-testkit crate) with seq-kv's stale reads, over grade.toml's seeds.

use exercise_testkit::assert_valid;
use g_counter_reference::GCounter;

#[test]
fn three_nodes_with_partitions() {
    for seed in [1, 2, 3] {
        let args = [
            "--node-count",
            "3",
            "--rate",
            "100",
            "--time-limit",
            "20",
            "--nemesis",
            "partition",
        ];
        assert_valid::<GCounter>("g-counter", &args, seed);
    }
}
