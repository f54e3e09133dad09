//! Reading an answer for what it says about the request: whether a resource accepted a bearer
//! token, and the notes oauth-oracle adds to the answers it records from a live target. Pure: the
//! checker judges the model's answers and a live target's with the same functions.

// Public through `target` (feature `diff`); the checker uses them in every build.
#![cfg_attr(not(feature = "diff"), allow(unreachable_pub))]

use crate::output::Output;

mod members;

pub(crate) use members::{AnswerJson, Name};

/// The header oauth-oracle adds to a live answer to say what it did to get it (the user agent's
/// hops at the authorization endpoint, a login hook, an introspection probe), or why there is
/// none. It is never the provider's, and is not compared with the model's answer.
pub const NOTE_HEADER: &str = "x-oauth-oracle";

/// The note ([`NOTE_HEADER`]) of a registration answered by a pre-registered client (`audit
/// --client`) instead of the server: the checker learns the client and judges nothing.
pub const PRE_REGISTERED_NOTE: &str = "pre-registered client (--client): not sent";

/// The note ([`NOTE_HEADER`]) of a client ID metadata document the target fetches itself
/// (`--client-document`): nothing is sent; the model is handed it, and the target's verdict on
/// it shows in the later steps that name the client.
pub const HOSTED_DOCUMENT_NOTE: &str =
    "the target fetches this document itself (--client-document): nothing sent";

/// How a protected resource answered a request carrying a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceAnswer {
    /// 2xx: the token was accepted.
    Accepted,
    /// 401, or 403 with a `Bearer` challenge (RFC 6750 §3.1): the token was rejected.
    Rejected,
    /// Anything else (404, 5xx, 400, ...): says nothing about the token. The reason says what.
    Unusable(String),
}

/// Classify a resource's answer. Only a real acceptance (2xx) or rejection (401; 403 with a
/// `Bearer` challenge) says anything about a token: a 404 (no resource there) or a 5xx is never
/// counted as a rejection.
pub fn resource_answer(o: &Output) -> ResourceAnswer {
    let bearer = o
        .header("www-authenticate")
        .is_some_and(|c| c.len() >= 6 && c.as_bytes()[..6].eq_ignore_ascii_case(b"bearer"));
    match o.status {
        200..=299 => ResourceAnswer::Accepted,
        401 => ResourceAnswer::Rejected,
        403 if bearer => ResourceAnswer::Rejected,
        404 => ResourceAnswer::Unusable(
            "resource endpoint answered 404: not a protected resource".to_owned(),
        ),
        s @ 500..=599 => ResourceAnswer::Unusable(format!(
            "resource endpoint answered {s}: a server error, neither accepted nor rejected"
        )),
        s => ResourceAnswer::Unusable(format!(
            "resource endpoint answered {s}: neither accepted (2xx) nor rejected (401, or 403 \
             with a Bearer challenge)"
        )),
    }
}
