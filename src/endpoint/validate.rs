//! pydantic-style validation errors: `loc: msg` lines joined by `\n`
//! (the SDK's `stringify_pydantic_error`).

/// Accumulated validation errors, in the order pydantic reports them (model field order).
#[derive(Debug, Default)]
pub(crate) struct Errors(Vec<String>);

impl Errors {
    /// Record that the field at `loc` failed with `msg`.
    pub(crate) fn add(&mut self, loc: &str, msg: &str) {
        self.0.push(format!("{loc}: {msg}"));
    }

    /// Whether nothing failed.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The description the SDK answers with.
    pub(crate) fn describe(&self) -> String {
        self.0.join("\n")
    }
}

/// Python's `repr()` of a string.
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr()` of a list of strings: `['a', 'b']`.
pub(crate) fn py_repr_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| py_repr(s)).collect();
    format!("[{}]", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_matches_python() {
        assert_eq!(py_repr("a"), "'a'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'\""), "'a\\'\"'");
        assert_eq!(
            py_repr_list(&["authorization_code".into()]),
            "['authorization_code']"
        );
    }
}
