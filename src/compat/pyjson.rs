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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_dumps_layout_has_spaces_and_escapes_non_ascii() {
        assert_eq!(
            py_json_object(&[("error", "x"), ("d", "é\n")]),
            r#"{"error": "x", "d": "\u00e9\n"}"#
        );
    }
}
