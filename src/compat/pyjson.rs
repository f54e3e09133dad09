//! JSON text in the two layouts FastMCP emits: pydantic's compact `model_dump_json` (serde_json's
//! compact form) and Python's `json.dumps` default (`", "` and `": "` separators, ASCII only).

use std::fmt::Write as _;

/// A string as `json.dumps` writes it (`ensure_ascii=True`).
pub(crate) fn py_json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A flat object of string members as `json.dumps(dict)` writes it.
pub(crate) fn py_json_object(members: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&py_json_str(k));
        out.push_str(": ");
        out.push_str(&py_json_str(v));
    }
    out.push('}');
    out
}

/// A JSON object written member by member in serde_json's compact layout (pydantic's
/// `model_dump_json`), straight into one buffer: no `Value` tree, no map, no formatter adapter.
pub(crate) struct CompactObject {
    buf: Vec<u8>,
}

impl CompactObject {
    /// An empty object with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity);
        buf.push(b'{');
        Self { buf }
    }

    /// Append the member `key: value`; `key` must need no escaping (a field name).
    pub(crate) fn member<T: serde::Serialize + ?Sized>(&mut self, key: &str, value: &T) {
        self.key(key);
        // Writing into a Vec cannot fail, and the types written here always serialize.
        let _ = serde_json::to_writer(&mut self.buf, value);
    }

    /// Append the member `key: "value"` for a string value (escaped as serde_json escapes it,
    /// without its writer).
    pub(crate) fn member_str(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    /// Append the member `key: ["a","b",..]` for a list of strings (as [`Self::member_str`]
    /// writes each).
    pub(crate) fn member_str_list<S: AsRef<str>>(&mut self, key: &str, values: &[S]) {
        self.key(key);
        self.buf.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.string(v.as_ref());
        }
        self.buf.push(b']');
    }

    /// `,"key":` (the comma unless this is the first member).
    fn key(&mut self, key: &str) {
        if self.buf.len() > 1 {
            self.buf.push(b',');
        }
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    /// A JSON string, as serde_json writes it.
    fn string(&mut self, value: &str) {
        write_json_str(&mut self.buf, value);
    }

    /// The finished text.
    pub(crate) fn finish(mut self) -> String {
        self.buf.push(b'}');
        // serde_json writes UTF-8 only.
        String::from_utf8(self.buf).unwrap_or_default()
    }
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

/// Append `s` as a JSON string, escaped as `serde_json` escapes it (compact layout); runs
/// without escapes are found eight bytes at a time and copied whole.
pub(crate) fn write_json_str(buf: &mut Vec<u8>, s: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_object_is_serde_json_compact_layout() {
        let mut o = CompactObject::with_capacity(8);
        o.member("a", "x\"é\n");
        o.member("b", &[1, 2]);
        o.member("c", &serde_json::Value::Null);
        for (k, v) in [("d", "plain é"), ("e", "tab\there"), ("f", "q\"\\")] {
            o.member_str(k, v);
        }
        o.member_str_list("g", &["x".to_owned(), "y\"".to_owned()]);
        o.member_str_list::<&str>("h", &[]);
        let expected = serde_json::json!({
            "a": "x\"é\n", "b": [1, 2], "c": null,
            "d": "plain é", "e": "tab\there", "f": "q\"\\", "g": ["x", "y\""], "h": []
        })
        .to_string();
        assert_eq!(o.finish(), expected);
        assert_eq!(CompactObject::with_capacity(0).finish(), "{}");
    }

    #[test]
    fn json_dumps_layout_has_spaces_and_escapes_non_ascii() {
        assert_eq!(
            py_json_object(&[("error", "x"), ("d", "é\n")]),
            r#"{"error": "x", "d": "\u00e9\n"}"#
        );
    }
}
