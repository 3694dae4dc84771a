//! Seeded randomness: one seed, one independent stream per component.
//!
//! Each component (generator, latency, nemesis, services, ...) draws from its own
//! stream so that, e.g., changing the latency distribution does not change the
//! sequence of generated operations.

use rand::rngs::StdRng;
use rand::SeedableRng;

/// A deterministic random stream for `component`, derived from the test seed.
pub fn stream(seed: u64, component: &str) -> StdRng {
    // FNV-1a: stable across Rust versions and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in component.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    StdRng::seed_from_u64(seed ^ h)
}

/// A fresh random seed, for runs that did not ask for one.
pub fn random_seed() -> u64 {
    rand::random()
}
