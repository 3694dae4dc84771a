//! Drawing per-message latency from the configured distribution.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::Rng;

use crate::config::LatencyDist;

/// A latency source: a mean, a distribution and its own random stream.
#[derive(Debug)]
pub struct Latency {
    mean_ms: f64,
    dist: LatencyDist,
    rng: StdRng,
}

impl Latency {
    /// A latency source with the given mean and distribution.
    pub fn new(mean: Duration, dist: LatencyDist, rng: StdRng) -> Self {
        Latency {
            mean_ms: mean.as_secs_f64() * 1000.0,
            dist,
            rng,
        }
    }

    /// The next latency, in whole milliseconds as upstream truncates it.
    pub fn draw(&mut self) -> Duration {
        if self.mean_ms <= 0.0 {
            return Duration::ZERO;
        }
        let ms = match self.dist {
            LatencyDist::Constant => self.mean_ms.floor(),
            LatencyDist::Uniform => {
                let hi = (2.0 * self.mean_ms).floor().max(1.0) as u64;
                self.rng.random_range(0..hi) as f64
            }
            LatencyDist::Exponential => {
                // Inverse-CDF sampling; 1 - u is in (0, 1] so ln is finite.
                let u: f64 = self.rng.random();
                (-(1.0 - u).ln() * self.mean_ms).floor()
            }
        };
        Duration::from_millis(ms as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn distributions_have_the_right_shape() {
        let rng = || StdRng::seed_from_u64(7);
        let mut c = Latency::new(Duration::from_millis(10), LatencyDist::Constant, rng());
        assert!((0..100).all(|_| c.draw() == Duration::from_millis(10)));
        let mut u = Latency::new(Duration::from_millis(10), LatencyDist::Uniform, rng());
        assert!((0..1000).all(|_| u.draw() < Duration::from_millis(20)));
        let mut e = Latency::new(Duration::from_millis(10), LatencyDist::Exponential, rng());
        let total: u128 = (0..10_000).map(|_| e.draw().as_millis()).sum();
        let mean = total as f64 / 10_000.0;
        assert!((8.0..11.0).contains(&mean), "mean {mean}");
        let mut z = Latency::new(Duration::ZERO, LatencyDist::Uniform, rng());
        assert_eq!(z.draw(), Duration::ZERO);
    }
}
