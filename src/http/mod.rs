//! The HTTP mapping, one module used both ways so the directions cannot drift apart:
//!
//! - [`decode`]: an HTTP request (method, target, headers, body bytes) → the [`Event`] FastMCP's
//!   Starlette app would hand its handlers, or [`Event::Unrouted`] for what its router and
//!   middleware answer themselves (404, 405, CORS preflights, trailing-slash redirects, bodies
//!   over the limit);
//! - [`to_request`]: an [`Event`] → the HTTP request that carries it (for drivers of real
//!   providers); `decode(to_request(e)) == e` for every event a request can carry;
//! - [`respond`]: the model's [`Output`] → the HTTP response, with what the HTTP layer adds
//!   (Starlette's CORS decoration, the echoed JSON-RPC id of an MCP `initialize`).
//!
//! Parsing follows Starlette 1.10.0 and python-multipart 0.0.34 as FastMCP 4.2.3 runs them
//! (see [`form`]). What this mapping chooses where the wire allows several readings:
//!
//! - **Invalid UTF-8.** Query strings, form fields and header values are latin-1 first, as in
//!   Starlette, so they never fail. The path is percent-decoded with U+FFFD for invalid UTF-8
//!   (uvicorn's `unquote`). A `/register` body that is not UTF-8 is read lossily (U+FFFD): the
//!   model's [`crate::RegisterRequest`] holds text, where pydantic would refuse the bytes with
//!   `Invalid JSON: invalid unicode code point` — the one known difference.
//! - **Bodies.** Only `application/x-www-form-urlencoded` bodies are forms; JSON, `multipart/form-data`
//!   and anything else read as an empty form at `/token`, `/revoke` and `POST /authorize`
//!   (Starlette would parse `multipart/form-data`; no OAuth client sends it). Bodies over 4 MiB are
//!   refused with 413 at every route that reads one (FastMCP's own `/token` has no limit).
//! - **Headers.** `/token` and `/revoke` read the first `Authorization` header, the resource
//!   every one of them, in order.
//! - **Methods.** `HEAD /authorize` is routed like `POST` (its form, normally empty); `HEAD` and
//!   `OPTIONS` (without a preflight) on the metadata routes are the metadata events; `OPTIONS
//!   /token` without a preflight runs the token handler, as in Starlette.

mod decode;
mod encode;
pub(crate) mod form;
mod respond;

pub(crate) use decode::decode;
#[cfg(feature = "fuzzing")]
pub(crate) use encode::to_request_for;
pub(crate) use encode::{Routes, to_request_at};
pub(crate) use respond::respond;

#[cfg(doc)]
use crate::{Event, Output};

/// The body of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestBody {
    /// The whole body, as received.
    Bytes(Vec<u8>),
    /// Longer than the 4 MiB limit; not kept (a sender sends [`RequestBody::OVERSIZED_LEN`] bytes).
    Oversized,
    /// The client stopped sending before the body was complete.
    Incomplete,
}

impl RequestBody {
    /// How many bytes a sender sends for [`RequestBody::Oversized`]: one past the limit.
    pub(crate) const OVERSIZED_LEN: usize = crate::endpoint::routing::MAX_BODY_BYTES + 1;

    /// The bytes to put on the wire (`Incomplete` has none to give).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Bytes(b) => b.clone(),
            Self::Oversized => vec![b'x'; Self::OVERSIZED_LEN],
            Self::Incomplete => Vec::new(),
        }
    }
}

/// An HTTP request as it crosses the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpRequest {
    /// The method, case-sensitive (`GET`).
    pub method: String,
    /// The request target: origin-form (`/authorize?x=1`) or absolute (`http://h:1/authorize`),
    /// percent-encoded as sent.
    pub target: String,
    /// Header fields in wire order: lower-case names, raw value bytes.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: RequestBody,
}

impl HttpRequest {
    /// The value of the first header named `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Every value of header `name`, in wire order.
    pub(crate) fn headers_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// An HTTP response: the model's [`Output`] as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header fields in order (lower-case names). `content-length` is the transport's.
    pub headers: Vec<(String, String)>,
    /// The body (not sent for `HEAD`).
    pub body: String,
}
