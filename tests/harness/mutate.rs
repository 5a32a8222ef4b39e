//! Deterministic mutations of seed inputs, for the robustness tests.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// Inputs per parser.
pub const PER_PARSER: usize = 10_000;

/// xorshift64*: deterministic, so a failure names a reproducible input.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A mutation of `seed`: truncation, bit flips, interesting bytes, or a chunk removed/repeated.
pub fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut d = seed.to_vec();
    match rng.below(6) {
        0 => d.truncate(rng.below(seed.len() + 1)),
        1 | 2 => {
            for _ in 0..1 + rng.below(4) {
                if !d.is_empty() {
                    let i = rng.below(d.len());
                    d[i] ^= 1 << rng.below(8);
                }
            }
        }
        3 => {
            for _ in 0..1 + rng.below(3) {
                if !d.is_empty() {
                    let i = rng.below(d.len());
                    d[i] = [0u8, 0xff, 0x7f, 0x80, 0x01, 0x20][rng.below(6)];
                }
            }
        }
        4 => {
            if d.len() > 8 {
                let a = rng.below(d.len());
                let b = (a + 1 + rng.below(64)).min(d.len());
                d.drain(a..b);
            }
        }
        _ => {
            if d.len() > 8 {
                let a = rng.below(d.len());
                let b = (a + 1 + rng.below(64)).min(d.len());
                let chunk = d[a..b].to_vec();
                d.splice(b..b, chunk);
            }
        }
    }
    d
}

/// Runs `parse` on `PER_PARSER` mutations of the seeds; fails on a panic or a slow input.
pub fn hammer(name: &str, seeds: &[Vec<u8>], parse: &dyn Fn(&[u8])) {
    assert!(!seeds.is_empty());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    for i in 0..PER_PARSER {
        let seed = &seeds[i % seeds.len()];
        let input = mutate(seed, &mut rng);
        let start = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| parse(&input)));
        let took = start.elapsed();
        if r.is_err() {
            let path = std::env::temp_dir().join(format!("tl-mutation-{name}-{i}.bin"));
            std::fs::write(&path, &input).unwrap();
            panic!("{name}: input {i} panicked; saved as {}", path.display());
        }
        if took >= Duration::from_secs(2) {
            let path = std::env::temp_dir().join(format!("tl-mutation-{name}-{i}.bin"));
            std::fs::write(&path, &input).unwrap();
            panic!("{name}: input {i} took {took:?}; saved as {}", path.display());
        }
    }
}
