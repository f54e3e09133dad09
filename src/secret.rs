//! Secret values: redacted `Debug`, no `Display`, constant-time equality; and the stand-ins
//! the hand-written `Debug` impls of records holding secret text print instead of it.

use std::fmt;

/// `Debug` stand-in for secret text (a client secret, code, token, code verifier, credentials
/// header, or a record embedding one): its length, never its bytes. Lengths are public (every
/// issued value has a fixed format).
pub(crate) struct Redacted<'a>(pub(crate) &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {} bytes>", self.0.len())
    }
}

/// [`Redacted`] of an optional value (`None` stays visible: whether there is a secret is public).
pub(crate) fn redacted_opt(value: &Option<String>) -> Option<Redacted<'_>> {
    value.as_deref().map(Redacted)
}

/// `Debug` stand-in for a list of secret values: each one [`Redacted`].
pub(crate) struct RedactedList<'a, S>(pub(crate) &'a [S]);

impl<S: AsRef<str>> fmt::Debug for RedactedList<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|s| Redacted(s.as_ref())))
            .finish()
    }
}

/// `Debug` of a value that is shown, or [`Redacted`] when `secret`.
pub(crate) struct MaybeSecret<'a> {
    pub(crate) value: &'a str,
    pub(crate) secret: bool,
}

impl fmt::Debug for MaybeSecret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret {
            fmt::Debug::fmt(&Redacted(self.value), f)
        } else {
            fmt::Debug::fmt(self.value, f)
        }
    }
}

/// The request parameters whose values are credentials or grants: client secrets, codes, code
/// verifiers, tokens, assertions, passwords.
pub(crate) fn is_secret_param(name: &str) -> bool {
    matches!(
        name,
        "client_secret"
            | "code"
            | "code_verifier"
            | "refresh_token"
            | "access_token"
            | "token"
            | "assertion"
            | "password"
    )
}

/// `Debug` stand-in for a map keyed by secret values: the keys [`Redacted`], the values as they
/// are (they must not hold secrets themselves).
pub(crate) struct RedactedKeys<'a, V>(pub(crate) Vec<(&'a str, &'a V)>);

impl<V: fmt::Debug> fmt::Debug for RedactedKeys<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(k, v)| (Redacted(k), v)))
            .finish()
    }
}

/// Constant-time equality of two byte strings (their lengths are public), compared eight bytes
/// at a time with `subtle` (as `hmac.compare_digest`: every word is compared, whatever the
/// earlier ones held), then the tail byte by byte.
pub(crate) fn ct_eq_words(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = wa.remainder().ct_eq(wb.remainder());
    wa.zip(wb)
        .fold(tail, |eq, (x, y)| eq & word(x).ct_eq(&word(y)))
        .into()
}

/// Define a secret newtype over `String`.
macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(String);

        impl $name {
            /// Wrap a secret value.
            pub fn new(value: String) -> Self {
                Self(value)
            }

            /// The secret text.
            ///
            /// # Security Warning
            /// Leaking this value may compromise the client it belongs to; use it only to put it
            /// on the wire.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Constant-time comparison with a presented value (`hmac.compare_digest`).
            pub fn matches(&self, presented: &str) -> bool {
                crate::secret::ct_eq_words(self.0.as_bytes(), presented.as_bytes())
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.matches(&other.0)
            }
        }
        impl Eq for $name {}
    };
}

secret_type!(
    /// A client secret issued at registration ([RFC 7591 §3.2.1](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1)).
    ClientSecret
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_is_redacted() {
        let s = ClientSecret::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "ClientSecret([redacted])");
        assert_eq!(format!("{:?}", Redacted("hunter2")), "<redacted 7 bytes>");
        let some = Some("hunter2".to_owned());
        assert_eq!(
            format!("{:?}", redacted_opt(&some)),
            "Some(<redacted 7 bytes>)"
        );
        assert_eq!(format!("{:?}", redacted_opt(&None)), "None");
        let list = ["ab".to_owned(), "hunter2".to_owned()];
        assert_eq!(
            format!("{:?}", RedactedList(&list)),
            "[<redacted 2 bytes>, <redacted 7 bytes>]"
        );
    }

    #[test]
    fn comparison_is_exact() {
        let s = ClientSecret::new("abc".into());
        assert!(s.matches("abc"));
        assert!(!s.matches("abd"));
        assert!(!s.matches("ab"));
        assert!(!s.matches(""));
    }

    #[test]
    fn word_comparison_notices_a_difference_in_any_byte_of_any_length() {
        for len in [0, 1, 7, 8, 9, 15, 16, 63, 64, 65] {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(ct_eq_words(&a, &a.clone()), "length {len}");
            for i in 0..len {
                let mut b = a.clone();
                b[i] ^= 1;
                assert!(!ct_eq_words(&a, &b), "length {len}, byte {i}");
            }
            let mut longer = a.clone();
            longer.push(b'a');
            assert!(!ct_eq_words(&a, &longer), "length {len} vs {}", len + 1);
        }
    }
}
