//! The control routes (`/_oracle/*`), listed by `GET /_oracle/`. The manual clock and the session
//! trace are not model steps and are not recorded; the fault controls (`POST /_oracle/expire`,
//! `revoke`, `fail`, `deny-consent`, `adversary`: [`crate::Control`]) are events of their own,
//! stepped through the model and recorded, so a session with faults replays. `--no-control`
//! removes them all (they then 404 like any unknown path).

use serde_json::{Value, json};

use super::service::{Answer, Shared, clock_json, control_answer, raw_answer, step};
use crate::http::{HttpRequest, RequestBody};
use crate::time::UnixMillis;

fn error(status: u16, message: &str) -> Answer {
    control_answer(status, &json!({ "error": message }), &[])
}

fn not_allowed(allow: &str) -> Answer {
    control_answer(
        405,
        &json!({"error": "method not allowed"}),
        &[("allow", allow.to_owned())],
    )
}

/// Answer `req` if it is a control route.
pub(crate) fn handle(shared: &Shared, req: &HttpRequest) -> Option<Answer> {
    let path = req.target.split('?').next().unwrap_or_default();
    match path {
        "/_oracle/clock" => Some(clock(shared, req)),
        "/_oracle/trace" => Some(trace(shared, req)),
        "/_oracle" | "/_oracle/" => Some(index(req)),
        "/_oracle/client-document" => Some(client_document(shared, req)),
        _ => {
            let route = path.strip_prefix("/_oracle/")?;
            CONTROLS
                .iter()
                .any(|(r, _)| *r == route)
                .then(|| fault(shared, req, route))
        }
    }
}

/// The fault controls: route and what its JSON body holds.
const CONTROLS: &[(&str, &str)] = &[
    (
        "expire",
        "{\"token\": T} | {\"client_id\": C} | {}: expire a token or code, a client's, or everything, now",
    ),
    (
        "revoke",
        "{\"token\": T, \"grant\": bool} | {\"client_id\": C} | {}: revoke a token (with its grant), a client's, or everything",
    ),
    (
        "fail",
        "{\"endpoint\": E, \"count\": N, \"status\": S, \"error\": CODE, \"error_description\": TEXT, \"delay_ms\": D}: the next N answers of E (as_metadata, pr_metadata, register, authorize, token, revoke, resource) are S with that error; delay_ms holds the answer (no status: the endpoint's own answer, late)",
    ),
    (
        "deny-consent",
        "{\"count\": N}: the next N authorizations redirect with error=access_denied",
    ),
    (
        "adversary",
        "{\"switches\": [wrong_iss, issuer_mismatch, no_new_refresh_token, duplicate_code, no_token_type]}: misbehave so (replaces the list; [] turns all off)",
    ),
];

/// What `POST /_oracle/client-document` does.
const CLIENT_DOCUMENT: &str = "{\"url\": URL, \"status\": S, \"body\": TEXT}: the client ID metadata document at URL is what a fetch returns (the server fetches none itself); a step of its own";

/// `POST /_oracle/client-document`: hand the model a client ID metadata document, as its fetch
/// of `url` would return it (a `client_document` step, recorded).
fn client_document(shared: &Shared, req: &HttpRequest) -> Answer {
    if req.method != "POST" {
        return not_allowed("POST");
    }
    let RequestBody::Bytes(body) = &req.body else {
        return error(400, "the body is too large or incomplete");
    };
    match serde_json::from_slice::<crate::ClientDocument>(body) {
        Ok(doc) => step(shared, req, &crate::Event::ClientDocument(doc)),
        Err(e) => error(400, &format!("/_oracle/client-document: {e}")),
    }
}

/// `GET /_oracle/`: the control routes.
fn index(req: &HttpRequest) -> Answer {
    if req.method != "GET" {
        return not_allowed("GET");
    }
    let mut routes = serde_json::Map::new();
    routes.insert(
        "GET /_oracle/clock".to_owned(),
        json!("the clock: {mode, at}"),
    );
    routes.insert(
        "POST /_oracle/clock".to_owned(),
        json!("{\"at\": ms} | {\"advance_ms\": n}: set the manual clock"),
    );
    routes.insert(
        "GET /_oracle/trace".to_owned(),
        json!("the session trace (JSON Lines): replay it with `oauth-oracle replay`"),
    );
    for (route, what) in CONTROLS {
        routes.insert(format!("POST /_oracle/{route}"), json!(what));
    }
    routes.insert(
        "POST /_oracle/client-document".to_owned(),
        json!(CLIENT_DOCUMENT),
    );
    control_answer(200, &json!({ "routes": routes }), &[])
}

/// `POST /_oracle/<route>`: a fault control, stepped through the model and recorded.
fn fault(shared: &Shared, req: &HttpRequest, route: &str) -> Answer {
    if req.method != "POST" {
        return not_allowed("POST");
    }
    let RequestBody::Bytes(body) = &req.body else {
        return error(400, "the body is too large or incomplete");
    };
    match crate::Control::from_route(route, body) {
        Ok(control) => step(shared, req, &crate::Event::Control(control)),
        Err(e) => error(400, &format!("/_oracle/{route}: {e}")),
    }
}

/// `GET /_oracle/clock`; `POST /_oracle/clock` with `{"at": ms}` or `{"advance_ms": n}`.
fn clock(shared: &Shared, req: &HttpRequest) -> Answer {
    match req.method.as_str() {
        "GET" => {
            let session = shared.lock();
            control_answer(200, &clock_json(session.is_manual(), session.now()), &[])
        }
        "POST" => {
            let RequestBody::Bytes(body) = &req.body else {
                return error(
                    400,
                    "the body must be JSON: {\"at\": ms} or {\"advance_ms\": n}",
                );
            };
            let parsed: Option<Value> = serde_json::from_slice(body).ok();
            let at = parsed
                .as_ref()
                .and_then(|v| v.get("at"))
                .and_then(Value::as_u64);
            let advance = parsed
                .as_ref()
                .and_then(|v| v.get("advance_ms"))
                .and_then(Value::as_u64);
            let mut session = shared.lock();
            let target = match (at, advance) {
                (Some(at), None) => UnixMillis(at),
                (None, Some(n)) => UnixMillis(session.now().0.saturating_add(n)),
                (Some(_), Some(_)) | (None, None) => {
                    return error(
                        400,
                        "expected {\"at\": <unix ms>} or {\"advance_ms\": <ms>} (non-negative integers)",
                    );
                }
            };
            match session.set_clock(target) {
                Ok(at) => control_answer(200, &clock_json(true, at), &[]),
                Err(e) => error(400, &e.to_string()),
            }
        }
        _ => not_allowed("GET, POST"),
    }
}

/// `GET /_oracle/trace`: the session trace as JSON Lines (header + the kept steps), streamed
/// from the shared chunks of the kept trace (no copy per request).
fn trace(shared: &Shared, req: &HttpRequest) -> Answer {
    if req.method != "GET" {
        return not_allowed("GET");
    }
    let snap = shared.lock().trace();
    let mut headers = vec![
        ("content-type".to_owned(), "application/x-ndjson".to_owned()),
        ("x-oracle-trace-steps".to_owned(), snap.steps.to_string()),
        ("x-oracle-trace-kept".to_owned(), snap.kept.to_string()),
    ];
    if snap.kept as u64 != snap.steps {
        headers.push((
            "x-oracle-trace-truncated".to_owned(),
            format!(
                "the first {} of {} steps (memory cap, --trace-cap); --record FILE keeps every step",
                snap.kept, snap.steps
            ),
        ));
    }
    raw_answer(200, &headers, snap.body)
}
