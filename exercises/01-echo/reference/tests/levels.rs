//! The reference passes every level of grade.toml, run in simulation (see the
//! exercise-testkit crate) over the same seeds.

use echo_reference::Echo;
use exercise_testkit::{assert_valid, number};

#[test]
fn a_echo_on_one_node() {
    for seed in [1, 2, 3] {
        let results =
            assert_valid::<Echo>("echo", &["--node-count", "1", "--time-limit", "10"], seed);
        // Every request answered: no timeouts hide behind a valid verdict.
        assert_eq!(number(&results, "stats.info-count"), 0.0, "seed {seed}");
    }
}
