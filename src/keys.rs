//! Compact keys for stored records, and the text forms FastMCP gives them.
//!
//! A code or token is stored under its random bytes, not its string: the string is
//! `prefix + hex(bytes)`, so a presented string names a record iff it has the prefix followed by
//! exactly the lower-case hex of stored bytes — the same equality as Python's `dict` lookup.

use std::fmt;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of `bytes` (`bytes.hex()`).
pub fn hex(bytes: &[u8]) -> String {
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
pub fn push_hex(out: &mut String, bytes: &[u8]) {
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
const NIBBLE: [u8; 256] = {
    let mut t = [0xff; 256];
    let mut i = 0;
    while i < 16 {
        t[HEX[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Parse exactly `2N` lower-case hex digits.
pub fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = (NIBBLE[pair[0] as usize], NIBBLE[pair[1] as usize]);
        bad |= hi | lo;
        *o = hi << 4 | lo;
    }
    (bad < 16).then_some(out)
}

/// A registered client's id: the 16 bytes of its uuid4.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey(pub [u8; 16]);

impl ClientKey {
    /// Parse the canonical lower-case hyphenated form (`str(uuid4())`).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
            return None;
        }
        // Byte offsets of the 16 digit pairs in `8-4-4-4-12`.
        const PAIRS: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
        let mut out = [0u8; 16];
        let mut bad = 0u8;
        for (o, &at) in out.iter_mut().zip(PAIRS.iter()) {
            let (hi, lo) = (NIBBLE[usize::from(b[at])], NIBBLE[usize::from(b[at + 1])]);
            bad |= hi | lo;
            *o = hi << 4 | lo;
        }
        // A non-digit maps to 0xff, whose high bits no digit has.
        (bad & 0xf0 == 0).then_some(Self(out))
    }

    /// Append the canonical text (`str(uuid)`: `8-4-4-4-12` lower-case hex digits) to `out`.
    pub fn push_text(&self, out: &mut String) {
        let mut buf = [b'-'; 36];
        // Byte i's two digits go to the position after its group's hyphens.
        for (i, &b) in self.0.iter().enumerate() {
            let at = 2 * i
                + usize::from(i >= 4)
                + usize::from(i >= 6)
                + usize::from(i >= 8)
                + usize::from(i >= 10);
            buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[usize::from(b)]);
        }
        out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
    }

    /// The canonical text as a new `String`.
    pub fn text(&self) -> String {
        let mut s = String::with_capacity(36);
        self.push_text(&mut s);
        s
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientKey({self})")
    }
}

/// An authorization code's 16 random bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodeKey(pub [u8; 16]);

/// An access or refresh token's 32 random bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenKey(pub [u8; 32]);

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

/// `prefix + hex(bytes)`.
pub fn render(prefix: &str, bytes: &[u8]) -> String {
    let mut s = String::with_capacity(prefix.len() + bytes.len() * 2);
    s.push_str(prefix);
    push_hex(&mut s, bytes);
    s
}

/// The bytes behind `prefix + hex`, if `s` has exactly that form.
pub fn parse_prefixed<const N: usize>(prefix: &str, s: &str) -> Option<[u8; N]> {
    parse_hex::<N>(s.strip_prefix(prefix)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_key_round_trips_through_uuid_text() {
        let k = ClientKey([0xab; 16]);
        let s = k.to_string();
        assert_eq!(s, "abababab-abab-abab-abab-abababababab");
        assert_eq!(ClientKey::parse(&s), Some(k));
        assert_eq!(ClientKey::parse(&s.to_uppercase()), None);
        let distinct = ClientKey(std::array::from_fn(|i| (i as u8) * 17));
        let text = distinct.to_string();
        assert_eq!(text, "00112233-4455-6677-8899-aabbccddeeff");
        assert_eq!(ClientKey::parse(&text), Some(distinct));
        assert_eq!(
            ClientKey::parse("0011223-34455-6677-8899-aabbccddeeff"),
            None
        );
        assert_eq!(
            ClientKey::parse("00112233-4455-6677-8899-aabbccddeefg"),
            None
        );
    }

    #[test]
    fn hex_is_python_bytes_hex() {
        let bytes: Vec<u8> = (0..=255).collect();
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&bytes), expected);
        assert_eq!(render("p_", &bytes[..3]), "p_000102");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn prefixed_values_need_exact_lowercase_hex() {
        let s = render("test_auth_code_", &[0x0f; 16]);
        assert_eq!(
            parse_prefixed::<16>("test_auth_code_", &s),
            Some([0x0f; 16])
        );
        assert_eq!(
            parse_prefixed::<16>("test_auth_code_", &s.to_uppercase()),
            None
        );
        assert_eq!(
            parse_prefixed::<16>("test_auth_code_", &format!("{s}0")),
            None
        );
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
