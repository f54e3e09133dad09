//! One HTTP request: read it (bounded, with a deadline), answer the control routes, or decode it,
//! step the model under the lock, and encode the answer.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response};
use serde_json::{Value, json};

use super::body::ChunkBody;
use super::session::Session;
use crate::config::Config;
use crate::event::Event;
use crate::http::{HttpRequest, HttpResponse, RequestBody, decode, respond};
use crate::time::UnixMillis;

/// What every connection shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The model, its clock and its trace: one lock, so requests are steps in arrival order.
    pub(crate) session: Mutex<Session>,
    /// The model's configuration (read-only copy, for decoding outside the lock).
    pub(crate) config: Config,
    /// Whether `/_oracle/*` is served.
    pub(crate) control: bool,
    /// How long a request body may take to arrive.
    pub(crate) body_timeout: Duration,
}

impl Shared {
    /// The session, even if a panic poisoned the lock (the model's state is replaced atomically
    /// by `apply`, so it is never half-updated).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Session> {
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// An answer: its body a list of shared chunks.
pub(crate) type Answer = Response<ChunkBody>;

/// What reading a body gave: a body for the app, or bytes that are not HTTP/1.1 framing.
enum ReadBody {
    /// A body (whole, too large, or cut short) for the app.
    Body(RequestBody),
    /// The framing is broken (a bad chunk size line, say): answered 400 by the protocol layer,
    /// as uvicorn does, and never seen by the app.
    Malformed,
}

/// Whether a body error is broken framing (hyper's chunked decoder reports those as
/// `InvalidInput`/`InvalidData`) rather than a client that went away (`UnexpectedEof`).
fn is_malformed(e: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData
            );
        }
        source = s.source();
    }
    false
}

/// Read the body: at most one byte past the limit, within the deadline.
async fn read_body(body: Incoming, declared: Option<u64>, timeout: Duration) -> ReadBody {
    let limit = RequestBody::OVERSIZED_LEN - 1;
    if declared.is_some_and(|n| n > limit as u64) {
        // The SDK's middleware answers from `Content-Length` without reading.
        return ReadBody::Body(RequestBody::Oversized);
    }
    let read = async {
        let mut body = body;
        let mut buf: Vec<u8> = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = match frame {
                Ok(frame) => frame,
                Err(e) if is_malformed(&e) => return ReadBody::Malformed,
                Err(_) => return ReadBody::Body(RequestBody::Incomplete),
            };
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > limit {
                    return ReadBody::Body(RequestBody::Oversized);
                }
                buf.extend_from_slice(&data);
            }
        }
        ReadBody::Body(RequestBody::Bytes(buf))
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(ReadBody::Body(RequestBody::Incomplete))
}

/// The protocol layer's 400 for broken framing: hyper's own answer to a malformed head (empty
/// body), and the connection closed, since the rest of the bytes cannot be framed.
fn bad_request() -> Answer {
    let mut resp = Response::new(ChunkBody::default());
    *resp.status_mut() = hyper::StatusCode::BAD_REQUEST;
    resp.headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// Header bytes of a response value: latin-1, as Starlette encodes them.
fn header_value(v: &str) -> Option<HeaderValue> {
    let bytes: Option<Vec<u8>> = v.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
    HeaderValue::from_bytes(&bytes?).ok()
}

fn to_hyper(r: HttpResponse) -> Answer {
    to_hyper_body(r.status, &r.headers, ChunkBody::from(Bytes::from(r.body)))
}

fn to_hyper_body(status: u16, headers: &[(String, String)], body: ChunkBody) -> Answer {
    let mut resp = Response::new(body);
    *resp.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let (Ok(name), Some(value)) = (HeaderName::from_bytes(k.as_bytes()), header_value(v)) {
            resp.headers_mut().append(name, value);
        }
    }
    resp
}

fn json_answer(status: u16, body: &Value, extra: &[(&str, String)]) -> Answer {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    headers.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    to_hyper(HttpResponse {
        status,
        headers,
        body: body.to_string(),
    })
}

/// Serve one request.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Answer, Infallible> {
    let (parts, body) = req.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = match read_body(body, declared, shared.body_timeout).await {
        ReadBody::Body(body) => body,
        ReadBody::Malformed => return Ok(bad_request()),
    };
    let request = HttpRequest {
        method: parts.method.as_str().to_owned(),
        target,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect(),
        body,
    };
    if shared.control
        && let Some(answer) = super::control::handle(&shared, &request)
    {
        return Ok(answer);
    }
    let event = decode(&request, &shared.config);
    let (answer, delay) = step_held(&shared, &request, &event);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    Ok(answer)
}

/// Step the model with `event` (decoded from `request`) under the lock, recording it, and encode
/// its answer.
pub(crate) fn step(shared: &Shared, request: &HttpRequest, event: &Event) -> Answer {
    step_held(shared, request, event).0
}

/// [`step`], and how long a scripted delay holds the answer.
fn step_held(shared: &Shared, request: &HttpRequest, event: &Event) -> (Answer, Duration) {
    let (output, delay) = {
        let mut session = shared.lock();
        let output = catch_unwind(AssertUnwindSafe(|| session.step(event)));
        (output, Duration::from_millis(session.delay_ms()))
    };
    match output {
        Ok(output) => (to_hyper(respond(request, event, &output)), delay),
        Err(_) => {
            eprintln!("{}", super::redact::panic_message(event));
            (
                json_answer(500, &json!({"error": "model panicked"}), &[]),
                Duration::ZERO,
            )
        }
    }
}

/// `{"mode": ..., "at": ...}`.
pub(crate) fn clock_json(manual: bool, at: UnixMillis) -> Value {
    json!({"mode": if manual { "manual" } else { "system" }, "at": at.0})
}

/// A JSON answer (for the control routes).
pub(crate) fn control_answer(status: u16, body: &Value, extra: &[(&str, String)]) -> Answer {
    json_answer(status, body, extra)
}

/// A raw answer streaming `body` (for the trace).
pub(crate) fn raw_answer(status: u16, headers: &[(String, String)], body: ChunkBody) -> Answer {
    to_hyper_body(status, headers, body)
}
