//! Compact keys for stored records, and hex.
//!
//! A code, token or client id is stored under a fixed-size key, not its string: the string is
//! `prefix + format(key)` ([`crate::ValueFormat`]), so a presented string names a record iff it
//! is exactly that text for a stored key — the same equality as Python's `dict` lookup.

use std::fmt;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes` (`bytes.hex()`).
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

/// Each byte's two lower-case hex digits.
const DIGIT_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 15]];
        i += 1;
    }
    t
};

/// Append lower-case hex of `bytes` to `out`.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    // Thirty-two input bytes at a time into an ASCII buffer, appended as one `str`.
    for chunk in bytes.chunks(32) {
        let mut buf = [0u8; 64];
        for (pair, &b) in buf.chunks_exact_mut(2).zip(chunk) {
            pair.copy_from_slice(&DIGIT_PAIRS[usize::from(b)]);
        }
        let text = std::str::from_utf8(&buf[..chunk.len() * 2]).unwrap_or_default();
        out.push_str(text);
    }
}

/// Each byte's value as a lower-case hex digit, or `0xff`. A table rather than branches: the
/// digits of a random token are random, and a branch per digit would mispredict on a third of
/// them (with a few hundred live tokens the predictor learns them, with thousands it cannot).
const NIBBLE: [u8; 256] = index_table(HEX);

/// Each byte's index in `alphabet` (at most 255 characters), or `0xff`.
pub(crate) const fn index_table(alphabet: &[u8]) -> [u8; 256] {
    let mut t = [0xff; 256];
    let mut i = 0;
    while i < alphabet.len() {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
}

/// A lower-case hex digit's value, or `0xff`.
pub(crate) fn nibble(c: u8) -> u8 {
    NIBBLE[usize::from(c)]
}

/// Parse exactly `2N` lower-case hex digits.
pub(crate) fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    parse_hex_into(s, &mut out).then_some(out)
}

/// Parse exactly `2 * out.len()` lower-case hex digits into `out`; `false` (and `out`
/// unspecified) if `s` is anything else.
pub(crate) fn parse_hex_into(s: &str, out: &mut [u8]) -> bool {
    let b = s.as_bytes();
    if b.len() != 2 * out.len() {
        return false;
    }
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = (NIBBLE[pair[0] as usize], NIBBLE[pair[1] as usize]);
        bad |= hi | lo;
        *o = hi << 4 | lo;
    }
    bad < 16
}

/// The bytes a stored value's key holds: enough for 96 hex digits or 48 `base64url` characters
/// ([`crate::ValueFormat`]); a shorter format fills the first bytes and leaves the rest 0.
pub(crate) const KEY_BYTES: usize = 48;

/// A registered client's id ([`crate::Profile::client_id_format`]: FastMCP's uuid4, its 16
/// bytes).
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub struct ClientKey(pub [u8; KEY_BYTES]);

impl ClientKey {
    /// The key of a client id whose format fills 16 bytes (FastMCP's uuid4): `bytes`, then 0.
    pub const fn from_16(bytes: [u8; 16]) -> Self {
        let mut key = [0u8; KEY_BYTES];
        let mut i = 0;
        while i < 16 {
            key[i] = bytes[i];
            i += 1;
        }
        Self(key)
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientKey(")?;
        f.write_str(&hex(&self.0[..16]))?;
        f.write_str("…)")
    }
}

/// An authorization code's random bytes: as many as [`crate::Profile::code_format`] fills
/// (FastMCP's 16), then zeros.
#[derive(Clone, Copy, Eq)]
pub struct CodeKey(pub [u8; KEY_BYTES]);

/// An access or refresh token's random bytes: as many as [`crate::Profile::access_format`] or
/// `refresh_format` fills (FastMCP's 32), then zeros.
#[derive(Clone, Copy, Eq)]
pub struct TokenKey(pub [u8; KEY_BYTES]);

/// The key's bytes as words (the hash reads the first two).
fn words(key: &[u8; KEY_BYTES]) -> [u64; KEY_BYTES / 8] {
    std::array::from_fn(|i| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&key[8 * i..8 * i + 8]);
        u64::from_ne_bytes(w)
    })
}

/// Equality of all the bytes; the hash of the first 16 only (the random part of every format's
/// value: 16 random bytes of hex and UUIDs, 16 random characters of `base64url` and `alnum`), so
/// a lookup hashes two words, not six.
macro_rules! key_eq_hash {
    ($($key:ident),*) => {$(
        impl PartialEq for $key {
            fn eq(&self, other: &Self) -> bool {
                // Three 16-byte lanes, or-ed: no early exit and no call to `memcmp`.
                let lane = |k: &[u8; KEY_BYTES], i: usize| {
                    let mut w = [0u8; 16];
                    w.copy_from_slice(&k[16 * i..16 * i + 16]);
                    u128::from_ne_bytes(w)
                };
                ((lane(&self.0, 0) ^ lane(&other.0, 0))
                    | (lane(&self.0, 1) ^ lane(&other.0, 1))
                    | (lane(&self.0, 2) ^ lane(&other.0, 2)))
                    == 0
            }
        }

        impl std::hash::Hash for $key {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                let [a, b, ..] = words(&self.0);
                state.write_u64(a);
                state.write_u64(b);
            }
        }
    )*};
}

key_eq_hash!(ClientKey, CodeKey, TokenKey);

impl fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeKey([redacted])")
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_python_bytes_hex() {
        let bytes: Vec<u8> = (0..=255).collect();
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&bytes), expected);
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn every_byte_outside_lowercase_hex_is_refused_in_either_nibble() {
        for c in 0..=255u8 {
            let digit = match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            for i in 0..4 {
                let mut b = *b"a51f";
                b[i] = c;
                let text = String::from_utf8_lossy(&b).into_owned();
                let expected = digit.map(|d| {
                    let mut n = [0xa, 5, 1, 0xf];
                    n[i] = d;
                    [n[0] << 4 | n[1], n[2] << 4 | n[3]]
                });
                let parsed = if text.len() == 4 {
                    parse_hex::<2>(&text)
                } else {
                    None
                };
                assert_eq!(parsed, expected, "byte {c:#04x} at {i}");
            }
        }
    }
}
