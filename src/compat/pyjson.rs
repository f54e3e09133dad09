//! JSON text in the two layouts FastMCP emits: pydantic's compact `model_dump_json` (serde_json's
//! compact form) and Python's `json.dumps` default (`", "` and `": "` separators, ASCII only).

use std::fmt::Write as _;

/// A string as `json.dumps` writes it (`ensure_ascii=True`).
pub fn py_json_str(s: &str) -> String {
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
pub fn py_json_object(members: &[(&str, &str)]) -> String {
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

    /// Append the member `key: "value"` for a string value, copying it as is when serde_json
    /// would escape none of its bytes (no `"`, `\\` or control characters).
    pub(crate) fn member_str(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    /// Append the member `key: ["a","b",..]` for a list of strings (as [`Self::member_str`]
    /// writes each).
    pub(crate) fn member_str_list(&mut self, key: &str, values: &[String]) {
        self.key(key);
        self.buf.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.string(v);
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

    /// A JSON string: copied as is when serde_json would escape none of its bytes, else
    /// written by serde_json.
    fn string(&mut self, value: &str) {
        // A fold without early exit, which the compiler turns into 16-byte vector steps.
        let escaped = value.bytes().fold(false, |any, b| {
            any | (b < 0x20) | (b == b'"') | (b == b'\\')
        });
        if escaped {
            // Writing into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut self.buf, value);
        } else {
            self.buf.push(b'"');
            self.buf.extend_from_slice(value.as_bytes());
            self.buf.push(b'"');
        }
    }

    /// The finished text.
    pub(crate) fn finish(mut self) -> String {
        self.buf.push(b'}');
        // serde_json writes UTF-8 only.
        String::from_utf8(self.buf).unwrap_or_default()
    }
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
        o.member_str_list("h", &[]);
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
