//! The memo table of visited configurations (linearised set, model state).

use std::hash::{Hash, Hasher};

/// A small, fast, deterministic hasher for model states.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

const K: u64 = 0x517c_c1b7_2722_0a95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(K);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Hashes a state with [`FxHasher`], finished with a strong mix.
pub(crate) fn hash_state<S: Hash>(s: &S) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    mix(h.finish())
}

/// SplitMix64's finaliser.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A fixed-size bitset with a Zobrist hash maintained on every toggle.
#[derive(Debug, Clone)]
pub(crate) struct Bits {
    pub(crate) words: Vec<u64>,
    pub(crate) hash: u64,
}

impl Bits {
    pub(crate) fn new(n: usize) -> Self {
        Bits {
            words: vec![0; n.div_ceil(64).max(1)],
            hash: 0,
        }
    }

    pub(crate) fn toggle(&mut self, i: usize) {
        self.words[i / 64] ^= 1 << (i % 64);
        self.hash ^= mix(i as u64 + 0x9e37_79b9_7f4a_7c15);
    }

    pub(crate) fn get(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }
}

/// An open-addressing set of (bitset, state) pairs, bitsets kept in one arena.
pub(crate) struct Memo<S> {
    words: usize,
    slots: Vec<u32>,
    hashes: Vec<u64>,
    states: Vec<S>,
    arena: Vec<u64>,
}

impl<S: Eq + Clone> Memo<S> {
    pub(crate) fn new(words: usize) -> Self {
        Memo {
            words,
            slots: vec![0; 1024],
            hashes: Vec::new(),
            states: Vec::new(),
            arena: Vec::new(),
        }
    }

    /// Number of stored configurations.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    /// Approximate heap bytes used (not counting heap owned by states).
    pub(crate) fn bytes(&self) -> usize {
        self.slots.capacity() * 4
            + self.hashes.capacity() * 8
            + self.arena.capacity() * 8
            + self.states.capacity() * std::mem::size_of::<S>()
    }

    /// Inserts the configuration; false if it was already present.
    pub(crate) fn insert(&mut self, bits: &Bits, state: &S, state_hash: u64) -> bool {
        let h = bits.hash ^ state_hash.rotate_left(17);
        let mask = self.slots.len() - 1;
        let mut i = (h as usize) & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            let e = (slot - 1) as usize;
            if self.hashes[e] == h
                && self.states[e] == *state
                && self.arena[e * self.words..(e + 1) * self.words] == bits.words[..]
            {
                return false;
            }
            i = (i + 1) & mask;
        }
        let e = self.states.len();
        self.slots[i] = e as u32 + 1;
        self.hashes.push(h);
        self.states.push(state.clone());
        self.arena.extend_from_slice(&bits.words);
        if self.states.len() * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let n = self.slots.len() * 2;
        let mask = n - 1;
        let mut slots = vec![0u32; n];
        for (e, &h) in self.hashes.iter().enumerate() {
            let mut i = (h as usize) & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = e as u32 + 1;
        }
        self.slots = slots;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_dedups() {
        let mut m: Memo<u32> = Memo::new(2);
        let mut b = Bits::new(100);
        assert!(m.insert(&b, &0, hash_state(&0u32)));
        assert!(!m.insert(&b, &0, hash_state(&0u32)));
        assert!(m.insert(&b, &1, hash_state(&1u32)));
        for i in 0..100 {
            b.toggle(i);
            assert!(m.insert(&b, &0, hash_state(&0u32)));
            assert!(b.get(i));
        }
        for i in 0..100 {
            b.toggle(i);
        }
        assert_eq!(b.hash, 0);
        assert!(!m.insert(&b, &1, hash_state(&1u32)));
        assert_eq!(m.len(), 102);
    }
}
