//! An [`Output`] written as compact JSON, the bytes `serde_json` writes for it (and so the bytes
//! of a recorded trace), without `serde_json`'s writer: long strings without escapes are copied
//! eight bytes at a time.
//!
//! The replay only relies on one property: the text written is valid JSON that decodes to the
//! same [`Output`]. A recorded output that equals it byte for byte is that output; one that
//! differs is decoded and compared field by field (`tests.rs` pins that the text is also exactly
//! `serde_json`'s).

use crate::output::Output;

/// Write `out` as `{"status":..,"headers":[[..,..],..],"body":..[,"reason":..]}` into `buf`
/// (appended).
pub(super) fn write_output(buf: &mut Vec<u8>, out: &Output) {
    buf.extend_from_slice(b"{\"status\":");
    write_u16(buf, out.status);
    buf.extend_from_slice(b",\"headers\":[");
    for (i, (name, value)) in out.headers.iter().enumerate() {
        buf.extend_from_slice(if i == 0 { b"[" } else { b",[" });
        write_str(buf, name);
        buf.push(b',');
        write_str(buf, value);
        buf.push(b']');
    }
    buf.extend_from_slice(b"],\"body\":");
    write_str(buf, &out.body);
    if let Some(reason) = out.reason {
        buf.extend_from_slice(b",\"reason\":");
        // A unit variant is written as its name, a string; writing into a `Vec` cannot fail.
        let _ = serde_json::to_writer(&mut *buf, &reason);
    }
    buf.push(b'}');
}

fn write_u16(buf: &mut Vec<u8>, n: u16) {
    let mut digits = [0u8; 5];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Eight copies of `b`.
const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The high bit of each byte of `w` (read little-endian) that is `"`, `\` or below 0x20 (the
/// bytes JSON escapes); bits above the lowest set one may be spurious, the lowest is exact.
fn escape_mask(w: u64) -> u64 {
    const LOW: u64 = splat(0x01);
    const HIGH: u64 = splat(0x80);
    // The classic zero-byte test: its lowest set bit marks the first zero byte of `x`.
    let has_zero = |x: u64| x.wrapping_sub(LOW) & !x & HIGH;
    // A byte below 0x20 is one whose top three bits are clear.
    has_zero(w ^ splat(b'"')) | has_zero(w ^ splat(b'\\')) | has_zero(w & splat(0xE0))
}

/// The index of the first byte of `bytes[from..]` that JSON escapes, or `bytes.len()`.
fn next_escape(bytes: &[u8], mut from: usize) -> usize {
    while let Some(chunk) = bytes.get(from..from + 8) {
        let mut w = [0; 8];
        w.copy_from_slice(chunk);
        let mask = escape_mask(u64::from_le_bytes(w));
        if mask != 0 {
            return from + (mask.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    // The last bytes, padded with one that needs no escape.
    let tail = bytes.get(from..).unwrap_or_default();
    let mut w = [b'a'; 8];
    w[..tail.len()].copy_from_slice(tail);
    let mask = escape_mask(u64::from_le_bytes(w));
    if mask != 0 {
        return from + (mask.trailing_zeros() / 8) as usize;
    }
    bytes.len()
}

/// `s` as a JSON string, escaped as `serde_json` escapes it.
fn write_str(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    loop {
        let i = next_escape(bytes, start);
        buf.extend_from_slice(&bytes[start..i]);
        let Some(&b) = bytes.get(i) else {
            break;
        };
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            0x00..=0x1f => {
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 0xf)]);
            }
            // Not reached: `next_escape` stops only at the bytes above.
            _ => buf.push(b),
        }
        start = i + 1;
    }
    buf.push(b'"');
}
