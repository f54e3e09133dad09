//! Secret values: redacted `Debug`, no `Display`, constant-time equality.

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
