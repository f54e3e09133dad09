//! Value formats: the prefixes of codes and tokens the profile has knobs for, and the shapes of
//! values it has none for (client ids, secrets), read from the target's answers.

use serde_json::Value;

use crate::output::Output;
use crate::trace::Field;

/// The hex digits a value of `field` carries after its prefix in the model
/// ([`crate::Profile::code_prefix`] and the token prefixes).
pub(crate) fn hex_digits(field: Field) -> usize {
    match field {
        Field::Code => 32,
        Field::ClientId
        | Field::ClientSecret
        | Field::State
        | Field::AccessToken
        | Field::RefreshToken => 64,
    }
}

/// The prefix of `value` when it is `prefix` + `digits` lower-case hex digits with a prefix the
/// profile can hold (at most 64 unreserved characters), else `None`.
pub(crate) fn prefix_of(value: &str, digits: usize) -> Option<&str> {
    let split = value.len().checked_sub(digits)?;
    let (prefix, hex) = (value.get(..split)?, value.get(split..)?);
    let hex_ok = hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let prefix_ok = prefix.len() <= 64
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    (hex_ok && prefix_ok).then_some(prefix)
}

/// The shape of a random value: `uuid`, or its prefix (up to the last `_`) with the alphabet
/// and length of the rest (`test_auth_code_<hex 32>`). Never the value itself.
pub(crate) fn shape(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() == 36 && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-') {
        return "uuid".to_owned();
    }
    let split = v.rfind('_').map_or(0, |i| i + 1);
    let (prefix, rest) = v.split_at(split);
    let class = if rest.bytes().all(|c| c.is_ascii_hexdigit()) {
        "hex"
    } else if rest
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
    {
        "base64url"
    } else {
        "other"
    };
    // A prefix longer than a word is part of the value, not a prefix.
    let prefix = if prefix.len() > 32 { "" } else { prefix };
    format!("{prefix}<{class} {}>", rest.len())
}

/// The value of `field` in `out`, if it carries one.
pub(crate) fn value(field: Field, out: &Output) -> Option<String> {
    field.extract(out)
}

/// `expires_in` of a token answer, if any.
pub(crate) fn expires_in(out: &Output) -> Option<u64> {
    serde_json::from_str::<Value>(&out.body)
        .ok()?
        .get("expires_in")?
        .as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_what_precedes_the_hex_digits() {
        let code = format!("test_auth_code_{}", "0a".repeat(16));
        assert_eq!(prefix_of(&code, 32), Some("test_auth_code_"));
        assert_eq!(prefix_of(&"ab".repeat(16), 32), Some(""));
        assert_eq!(prefix_of("4b923427-66c5-4ed7-aa15-4d8ba265e200", 32), None);
        assert_eq!(prefix_of(&format!("x{}", "A".repeat(32)), 32), None);
        assert_eq!(prefix_of("short", 32), None);
    }

    #[test]
    fn shapes_name_alphabet_and_length_never_the_value() {
        assert_eq!(shape("4b923427-66c5-4ed7-aa15-4d8ba265e200"), "uuid");
        assert_eq!(
            shape(&format!("test_access_token_{}", "f".repeat(64))),
            "test_access_token_<hex 64>"
        );
        assert_eq!(shape("abc-DEF"), "<base64url 7>");
    }
}
