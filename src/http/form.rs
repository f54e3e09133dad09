//! Request parameters as Starlette 1.10.0 reads them: the query string and the
//! `application/x-www-form-urlencoded` body (python-multipart 0.0.34's `QuerystringParser`).
//!
//! Both are split on `&` only (`;` is an ordinary character), empty pieces are skipped, a piece
//! without `=` is a name with an empty value, and duplicates are kept in wire order. Bytes are
//! read as **latin-1** first (`scope["query_string"].decode("latin-1")`,
//! `field.decode("latin-1")`) and then `unquote_plus`-ed as UTF-8 with U+FFFD for invalid
//! sequences — so a raw (unescaped) `é` sent as UTF-8 arrives as `Ã©`, while `%C3%A9` arrives
//! as `é`. Forms are capped like Starlette: more than 1000 fields, or a field whose raw name
//! and value exceed 1 MiB, fail the whole request.

use crate::compat::pyurl::parse_qsl;
use crate::endpoint::routing::py_strip;
use crate::event::{BodyFault, Params};

/// Starlette's `max_fields` for forms.
const MAX_FIELDS: usize = 1000;
/// Starlette's `max_part_size` for one form field (raw name + raw value).
const MAX_FIELD_BYTES: usize = 1024 * 1024;

/// Bytes as latin-1 text (every byte one character, U+0000..U+00FF), as ASGI servers and
/// Starlette decode header values and form fields.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The query string's parameters (`request.query_params`: `parse_qsl(qs.decode("latin-1"),
/// keep_blank_values=True)`; no limits).
pub(crate) fn parse_query(raw: &[u8]) -> Params {
    Params(parse_qsl(&latin1(raw), true))
}

/// A form body's parameters, or the fault Starlette raises for it.
pub(crate) fn parse_form(body: &[u8]) -> Result<Params, BodyFault> {
    // Checks in stream order: each field's size as its bytes arrive, then the count at its end.
    let mut fields = 0usize;
    for piece in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let raw_len = piece.len() - usize::from(piece.contains(&b'='));
        if raw_len > MAX_FIELD_BYTES {
            return Err(BodyFault::FieldTooLarge);
        }
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(BodyFault::TooManyFields);
        }
    }
    Ok(Params(parse_qsl(&latin1(body), true)))
}

/// Whether a `Content-Type` header value names a urlencoded form: python-multipart's
/// `parse_options_header` keeps what precedes the first `;`, lower-cased and stripped.
pub(crate) fn is_form_content_type(value: Option<&[u8]>) -> bool {
    let Some(value) = value else { return false };
    let text = latin1(value);
    let ctype = text.split(';').next().unwrap_or_default();
    py_strip(&ctype.to_lowercase()) == "application/x-www-form-urlencoded"
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pairs(p: &Params) -> Vec<(&str, &str)> {
        p.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }

    #[test]
    fn form_splits_on_ampersand_only_and_keeps_duplicates_in_order() {
        let p = parse_form(b"a=1;b=2&&a=3&k&=v&x=%2").unwrap();
        assert_eq!(
            pairs(&p),
            vec![
                ("a", "1;b=2"),
                ("a", "3"),
                ("k", ""),
                ("", "v"),
                ("x", "%2")
            ]
        );
        assert_eq!(p.get("a"), Some("3"));
    }

    #[test]
    fn plus_is_space_and_percent_escapes_are_utf8() {
        let p = parse_form(b"s=a+b%2Bc&e=%C3%A9&bad=%FF").unwrap();
        assert_eq!(
            pairs(&p),
            vec![("s", "a b+c"), ("e", "é"), ("bad", "\u{FFFD}")]
        );
    }

    #[test]
    fn raw_non_ascii_bytes_are_read_as_latin1() {
        // Starlette decodes the raw field as latin-1 before unquoting (probed: "Ã©").
        let p = parse_form(b"client_id=\xc3\xa9").unwrap();
        assert_eq!(p.get("client_id"), Some("Ã©"));
        let q = parse_query(b"state=\xff");
        assert_eq!(q.get("state"), Some("ÿ"));
    }

    #[test]
    fn query_keeps_blank_values() {
        let q = parse_query(b"a&b=&c=1");
        assert_eq!(pairs(&q), vec![("a", ""), ("b", ""), ("c", "1")]);
    }

    #[test]
    fn more_than_1000_fields_is_refused() {
        let ok: Vec<String> = (0..1000).map(|i| format!("f{i}=1")).collect();
        assert!(parse_form(ok.join("&").as_bytes()).is_ok());
        let many: Vec<String> = (0..1001).map(|i| format!("f{i}=1")).collect();
        assert_eq!(
            parse_form(many.join("&").as_bytes()),
            Err(BodyFault::TooManyFields)
        );
    }

    #[test]
    fn a_field_over_1_mib_is_refused() {
        let mut body = b"k=".to_vec();
        body.extend(std::iter::repeat_n(b'x', MAX_FIELD_BYTES - 1));
        assert!(parse_form(&body).is_ok());
        body.extend(b"xx");
        assert_eq!(parse_form(&body), Err(BodyFault::FieldTooLarge));
    }

    #[test]
    fn form_content_type_is_case_and_space_insensitive_and_ignores_params() {
        assert!(is_form_content_type(Some(
            b" Application/X-WWW-Form-URLencoded ; charset=latin-1"
        )));
        assert!(!is_form_content_type(Some(b"application/json")));
        assert!(!is_form_content_type(Some(
            b"multipart/form-data; boundary=x"
        )));
        assert!(!is_form_content_type(None));
    }
}
