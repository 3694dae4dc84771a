//! Test time: nanoseconds since the test started, on tokio's clock.
//!
//! Only tokio time is used so that a paused runtime (simulation) advances it
//! virtually; the wall clock never shapes behaviour.

use tokio::time::Instant;

/// The test's clock, started when the test starts.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    /// A clock starting now.
    pub fn start() -> Self {
        Clock {
            start: Instant::now(),
        }
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
