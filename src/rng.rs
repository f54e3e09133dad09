//! The model's only source of randomness: a ChaCha20 stream seeded by the caller.
//!
//! Values are drawn in the order FastMCP draws them (`uuid4()` then `token_hex(32)` at
//! registration, `token_hex(16)` per code, `token_hex(32)` twice per token pair), straight from
//! `fill_bytes`, so the stream is reproducible across machines and versions of this crate.

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

/// A 32-byte ChaCha20 seed.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Seed(pub [u8; 32]);

impl Seed {
    /// The seed for a small integer: its little-endian bytes, zero-padded to 32 bytes.
    pub fn from_u64(n: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&n.to_le_bytes());
        Self(bytes)
    }
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Seed({})", String::from(*self))
    }
}

impl From<Seed> for String {
    fn from(seed: Seed) -> Self {
        crate::keys::hex(&seed.0)
    }
}

impl TryFrom<String> for Seed {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        crate::keys::parse_hex::<32>(&s)
            .map(Self)
            .ok_or_else(|| "seed must be 64 lower-case hex digits".to_owned())
    }
}

/// The ChaCha20 stream inside the model.
#[derive(Clone, Debug)]
pub struct DrawRng(ChaCha20Rng);

impl DrawRng {
    /// A fresh stream for `seed`.
    pub fn new(seed: Seed) -> Self {
        Self(ChaCha20Rng::from_seed(seed.0))
    }

    /// `N` random bytes, as `os.urandom(N)` would give them.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.0.fill_bytes(&mut out);
        out
    }

    /// Fill `out` with random bytes (`bytes::<N>()` for `N = out.len()` draws the same).
    pub fn fill(&mut self, out: &mut [u8]) {
        self.0.fill_bytes(out);
    }

    /// The 16 bytes of a version-4 UUID (`uuid.uuid4()`).
    pub fn uuid4(&mut self) -> [u8; 16] {
        let mut b: [u8; 16] = self.bytes();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        b
    }

    /// How many 32-bit words the stream has produced so far.
    pub fn word_pos(&self) -> u128 {
        self.0.get_word_pos()
    }
}
