//! The OAuth error codes: the `error` member of a JSON error answer, the `error` parameter of an
//! error redirect, the `error` attribute of a `WWW-Authenticate: Bearer` challenge.
//!
//! The endpoints build their error answers from [`ErrorCode`] and decide on it; the wire text is
//! [`ErrorCode::as_str`]. What a live server answers may be any string: [`ErrorCode::from_wire`]
//! reads the codes this crate knows.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal, )*) => {
        /// An OAuth error code, by the RFC section that defines it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The wire text (`"invalid_grant"`, …).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $wire, )*
                }
            }

            /// The code whose wire text is `text`, if it is one this crate knows.
            pub fn from_wire(text: &str) -> Option<Self> {
                match text {
                    $( $wire => Some(ErrorCode::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// The request is missing a parameter, repeats one or is otherwise malformed
    /// ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1),
    /// [§5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2);
    /// [RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)).
    InvalidRequest = "invalid_request",
    /// Client authentication failed
    /// ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)).
    InvalidClient = "invalid_client",
    /// The grant (code, refresh token) is invalid, expired, revoked, foreign, or does not match
    /// the redirect URI ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)).
    InvalidGrant = "invalid_grant",
    /// The client is not authorized to use this grant or method
    /// ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1),
    /// [§5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)).
    UnauthorizedClient = "unauthorized_client",
    /// The grant type is not supported by the authorization server
    /// ([RFC 6749 §5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)).
    UnsupportedGrantType = "unsupported_grant_type",
    /// The requested scope is invalid, unknown, or exceeds what was granted
    /// ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1),
    /// [§5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)).
    InvalidScope = "invalid_scope",
    /// The response type is not supported
    /// ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1)).
    UnsupportedResponseType = "unsupported_response_type",
    /// The resource owner or server denied the request
    /// ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1)).
    AccessDenied = "access_denied",
    /// An unexpected condition
    /// ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1)).
    ServerError = "server_error",
    /// The server is temporarily unable to handle the request
    /// ([RFC 6749 §4.1.2.1](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1)).
    TemporarilyUnavailable = "temporarily_unavailable",
    /// A registered redirect URI is invalid
    /// ([RFC 7591 §3.2.2](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2)).
    InvalidRedirectUri = "invalid_redirect_uri",
    /// A client metadata field is invalid
    /// ([RFC 7591 §3.2.2](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2)).
    InvalidClientMetadata = "invalid_client_metadata",
    /// Revocation of this token type is not supported
    /// ([RFC 7009 §2.2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.2.1)).
    UnsupportedTokenType = "unsupported_token_type",
    /// The access token is expired, revoked, malformed or invalid
    /// ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)).
    InvalidToken = "invalid_token",
    /// The request needs more privileges than the access token carries
    /// ([RFC 6750 §3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)).
    InsufficientScope = "insufficient_scope",
    /// The requested resource is invalid, missing, unknown or malformed
    /// ([RFC 8707 §2](https://www.rfc-editor.org/rfc/rfc8707#section-2)).
    InvalidTarget = "invalid_target",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Written as its wire text (profile files, trace headers).
impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Read from its wire text; a code this crate does not know is an error naming the known ones.
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::from_wire(&text).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
            serde::de::Error::custom(format!(
                "unknown error code {text:?} (known: {})",
                known.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_text_round_trips() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
            assert_eq!(code.to_string(), code.as_str());
        }
        assert_eq!(ErrorCode::InvalidGrant.as_str(), "invalid_grant");
        assert_eq!(ErrorCode::from_wire("invalid-grant"), None);
    }
}
