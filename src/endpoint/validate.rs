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

/// The first parameter name sent more than once ([RFC 6749 §3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1)),
/// `resource` aside: "Multiple resource parameters MAY be used to indicate that the requested
/// token is intended to be used at multiple resources"
/// ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2)).
pub(crate) fn first_repeated(params: &crate::event::Params) -> Option<&str> {
    let p = &params.0;
    p.iter()
        .enumerate()
        .find(|(i, (k, _))| k != "resource" && p[..*i].iter().any(|(k2, _)| k2 == k))
        .map(|(_, (k, _))| k.as_str())
}

/// The first `resource` parameter that does not name `own`, the server's one protected
/// resource, character for character ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2):
/// `invalid_target` when "the requested resource is invalid, missing, unknown, or malformed").
pub(crate) fn foreign_resource<'a>(params: &'a crate::event::Params, own: &str) -> Option<&'a str> {
    params
        .0
        .iter()
        .find(|(k, v)| k == "resource" && v != own)
        .map(|(_, v)| v.as_str())
}

/// Whether `s` is 43–128 characters of `[A-Za-z0-9-._~]`, the syntax of PKCE verifiers and S256
/// challenges ([RFC 7636 §4.1](https://www.rfc-editor.org/rfc/rfc7636#section-4.1)).
pub(crate) fn is_pkce_syntax(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The description of a PKCE syntax failure.
pub(crate) const PKCE_SYNTAX: &str =
    "must be 43-128 characters from [A-Za-z0-9-._~] (RFC 7636 section 4.1)";

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
