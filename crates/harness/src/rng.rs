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

/// The seed of node `id`'s own random stream in a test seeded with `seed`: what
/// an in-process node is handed and what a node process finds in
/// `MAELSTROM_SEED`, so one node draws the same numbers in either mode.
pub fn node_seed(seed: u64, id: &str) -> u64 {
    use rand::Rng;
    stream(seed, &format!("node {id}")).random()
}

/// A fresh random seed, for runs that did not ask for one.
pub fn random_seed() -> u64 {
    rand::random()
}
