//! Time and memory budgets for checks.

use std::time::{Duration, Instant};

/// Limits a check must respect; past them it answers `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time allowed for the whole check.
    pub time: Duration,
    /// Approximate memory the check may use for its own bookkeeping
    /// (memo tables, indexes), in bytes.
    pub memory_bytes: usize,
}

impl Default for Budget {
    /// 60 s and 1 GiB.
    fn default() -> Self {
        Budget {
            time: Duration::from_secs(60),
            memory_bytes: 1 << 30,
        }
    }
}

impl Budget {
    /// A budget with the given time and the default memory limit.
    #[must_use]
    pub fn with_time(time: Duration) -> Self {
        Budget {
            time,
            ..Budget::default()
        }
    }

    /// Starts the clock: the returned deadline is now + `time`.
    #[must_use]
    pub fn start(&self) -> Deadline {
        Deadline {
            at: Instant::now().checked_add(self.time),
        }
    }
}

/// A point in time after which a check gives up.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Option<Instant>,
}

impl Deadline {
    /// True once the deadline has passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.at.is_some_and(|at| Instant::now() >= at)
    }
}

/// Counts work and checks the deadline every so often.
#[derive(Debug, Clone)]
pub(crate) struct Meter {
    deadline: Deadline,
    ticks: u32,
}

impl Meter {
    pub(crate) fn new(budget: &Budget) -> Self {
        Meter {
            deadline: budget.start(),
            ticks: 0,
        }
    }

    /// Moves the deadline `by` later: time the check did not spend.
    pub(crate) fn extend(&mut self, by: std::time::Duration) {
        self.deadline.at = self.deadline.at.and_then(|at| at.checked_add(by));
    }

    /// Counts one unit of work; true when the time is up (checked on the
    /// first tick, so a zero budget stops at once, then every 4096 ticks).
    pub(crate) fn tick(&mut self) -> bool {
        self.ticks = self.ticks.wrapping_add(1);
        self.ticks & 4095 == 1 && self.deadline.passed()
    }
}
