//! CPython's non-strict `base64.b64decode` (`binascii.a2b_base64(strict_mode=False)`), used by the
//! SDK to read `Authorization: Basic` credentials: characters outside the alphabet are skipped, a
//! complete padding ends the input, and a dangling quad is an error.

use base64::Engine as _;

/// Why `b64decode` raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum B64Error {
    /// The `str` argument held a non-ASCII character (`ValueError`).
    NonAscii,
    /// `binascii.Error`: incorrect padding or an impossible length.
    Binascii,
}

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decode like `base64.b64decode(s)` does for a `str` argument.
pub(crate) fn b64decode(s: &str) -> Result<Vec<u8>, B64Error> {
    // Canonical base64 (the standard alphabet, padded, no bits left over: what clients send)
    // reads the same strictly, and the base64 crate's decoder is several times quicker than the
    // byte loop (a proptest below holds the two to each other).
    if let Ok(out) = base64::engine::general_purpose::STANDARD.decode(s) {
        return Ok(out);
    }
    lenient(s)
}

/// `binascii.a2b_base64(strict_mode=False)`, byte by byte.
fn lenient(s: &str) -> Result<Vec<u8>, B64Error> {
    if !s.is_ascii() {
        return Err(B64Error::NonAscii);
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut quad_pos = 0u8;
    let mut left: u8 = 0;
    let mut pads = 0u8;
    for &c in s.as_bytes() {
        if c == b'=' {
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let Some(v) = sextet(c) else { continue };
        pads = 0;
        match quad_pos {
            0 => {
                quad_pos = 1;
                left = v;
            }
            1 => {
                quad_pos = 2;
                out.push(left << 2 | v >> 4);
                left = v & 0x0f;
            }
            2 => {
                quad_pos = 3;
                out.push(left << 4 | v >> 2);
                left = v & 0x03;
            }
            _ => {
                quad_pos = 0;
                out.push(left << 6 | v);
                left = 0;
            }
        }
    }
    if quad_pos != 0 {
        return Err(B64Error::Binascii);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The strict shortcut gives what the byte loop gives: on encoded bytes (canonical),
        /// and on strings of the alphabet, padding and foreign characters.
        #[test]
        fn shortcut_reads_as_the_loop(
            bytes in proptest::collection::vec(any::<u8>(), 0..40),
            text in "[A-Za-z0-9+/=!\\-_é]{0,24}",
        ) {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
            prop_assert_eq!(b64decode(&encoded), Ok(bytes));
            prop_assert_eq!(b64decode(&encoded), lenient(&encoded));
            prop_assert_eq!(b64decode(&text), lenient(&text), "{}", text);
        }
    }

    #[test]
    fn skips_foreign_characters_and_stops_at_padding() {
        assert_eq!(b64decode("YR==").as_deref(), Ok(&b"a"[..]));
        assert_eq!(b64decode("YTpi").as_deref(), Ok(&b"a:b"[..]));
        assert_eq!(b64decode("YT!pi").as_deref(), Ok(&b"a:b"[..]));
        assert_eq!(b64decode("YQ==garbage").as_deref(), Ok(&b"a"[..]));
    }

    #[test]
    fn rejects_bad_padding_and_non_ascii() {
        assert_eq!(b64decode("YQ"), Err(B64Error::Binascii));
        assert_eq!(b64decode("Y"), Err(B64Error::Binascii));
        assert_eq!(b64decode("é"), Err(B64Error::NonAscii));
    }
}
