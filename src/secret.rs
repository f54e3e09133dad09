//! Secret values: redacted `Debug`, no `Display`, constant-time equality.

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
                use subtle::ConstantTimeEq as _;
                bool::from(self.0.as_bytes().ct_eq(presented.as_bytes()))
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
}
