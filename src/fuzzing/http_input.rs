//! HTTP requests from bytes for [`super::fuzz_http_parse`], and back (for the seed corpus).
//!
//! Layout: method (a byte choosing a common one, or a length-prefixed raw one); target (a byte
//! choosing one of the server's routes, or raw, then a length-prefixed suffix such as a query);
//! a header count, each header a name choice (or raw name) and a length-prefixed raw value; the
//! body (a kind byte: bytes with a two-byte length, oversized, or incomplete).

use super::ByteSource;
use crate::http::{HttpRequest, RequestBody};

const METHODS: &[&str] = &["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE"];
const ROUTES: &[&str] = &[
    "/authorize",
    "/token",
    "/revoke",
    "/register",
    "/mcp",
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-protected-resource/mcp",
    "/",
];
const HEADERS: &[&str] = &[
    "content-type",
    "authorization",
    "origin",
    "host",
    "access-control-request-method",
    "access-control-request-headers",
];
const BODY_OVERSIZED: u8 = 6;
const BODY_INCOMPLETE: u8 = 7;

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// One of `names` by index, or (past them) a raw length-prefixed one.
fn name(b: &mut ByteSource<'_>, names: &[&str]) -> String {
    let i = usize::from(b.u8()) % (names.len() + 1);
    names
        .get(i)
        .map_or_else(|| lossy(b.short_bytes()), |n| (*n).to_owned())
}

/// The request the bytes describe.
pub(super) fn request(b: &mut ByteSource<'_>) -> HttpRequest {
    let method = name(b, METHODS);
    let target = name(b, ROUTES) + &lossy(b.short_bytes());
    let headers = (0..b.u8() % 8)
        .map(|_| (name(b, HEADERS), b.short_bytes().to_vec()))
        .collect();
    let body = match b.u8() % 8 {
        BODY_OVERSIZED => RequestBody::Oversized,
        BODY_INCOMPLETE => RequestBody::Incomplete,
        _ => RequestBody::Bytes(b.long_bytes().to_vec()),
    };
    HttpRequest {
        method,
        target,
        headers,
        body,
    }
}

fn push_short(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len().min(255);
    out.push(n as u8);
    out.extend_from_slice(&bytes[..n]);
}

fn push_name(out: &mut Vec<u8>, names: &[&str], value: &str) {
    match names.iter().position(|n| *n == value) {
        Some(i) => out.push(i as u8),
        None => {
            out.push(names.len() as u8);
            push_short(out, value.as_bytes());
        }
    }
}

/// The bytes that [`request`] reads back as `req` (long values truncated: seeds stay small).
pub(super) fn encode(req: &HttpRequest) -> Vec<u8> {
    let mut out = Vec::new();
    push_name(&mut out, METHODS, &req.method);
    let path_end = req.target.find('?').unwrap_or(req.target.len());
    let (path, query) = req.target.split_at(path_end);
    match ROUTES.iter().position(|r| *r == path) {
        Some(i) => {
            out.push(i as u8);
            push_short(&mut out, query.as_bytes());
        }
        None => {
            out.push(ROUTES.len() as u8);
            push_short(&mut out, path.as_bytes());
            push_short(&mut out, query.as_bytes());
        }
    }
    let headers = &req.headers[..req.headers.len().min(7)];
    out.push(headers.len() as u8);
    for (k, v) in headers {
        push_name(&mut out, HEADERS, k);
        push_short(&mut out, v);
    }
    match &req.body {
        RequestBody::Oversized => out.push(BODY_OVERSIZED),
        RequestBody::Incomplete => out.push(BODY_INCOMPLETE),
        RequestBody::Bytes(bytes) => {
            out.push(0);
            let n = bytes.len().min(usize::from(u16::MAX));
            out.extend_from_slice(&(n as u16).to_le_bytes());
            out.extend_from_slice(&bytes[..n]);
        }
    }
    out
}
