//! Test time: nanoseconds since the test started, on tokio's clock.
//!
//! Only tokio time is used so that a paused runtime (simulation) advances it
//! virtually; the wall clock never shapes behaviour.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// The environment variable that tells a node process when its test started:
/// Unix time in nanoseconds, so its log lines can carry the test's clock
/// (the `time` of history.jsonl and messages.jsonl) although it cannot read
/// the harness's.
pub const TEST_START_ENV: &str = "MAELSTROM_TEST_START_NS";

/// The test's clock, started when the test starts.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    /// The wall-clock moment of `start`, for node processes only: nothing the
    /// harness decides or writes depends on it.
    wall_start: SystemTime,
}

impl Clock {
    /// A clock starting now.
    pub fn start() -> Self {
        Clock {
            start: Instant::now(),
            wall_start: SystemTime::now(),
        }
    }

    /// The start as Unix time in nanoseconds: what node processes get in
    /// [`TEST_START_ENV`].
    pub fn wall_start_ns(&self) -> u128 {
        self.wall_start
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    }

    /// Nanoseconds since the start.
    pub fn now_ns(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// The instant the clock started.
    pub fn started_at(&self) -> Instant {
        self.start
    }
}
