//! The model's [`Output`] → the HTTP response, with what the HTTP layer adds around the
//! handlers: Starlette's CORS decoration and the JSON-RPC id of the MCP request.

use serde_json::Value;

use super::{HttpRequest, HttpResponse};
use crate::MCP_INITIALIZE_RESULT;
use crate::event::Event;
use crate::output::Output;

/// Whether the event's endpoint sits inside the SDK's CORS middleware.
fn is_cors_wrapped(event: &Event) -> bool {
    match event {
        Event::AuthorizationServerMetadata
        | Event::ProtectedResourceMetadata
        | Event::Register(_)
        | Event::Token(_)
        | Event::Revoke(_) => true,
        // Unrouted answers come complete from the model; /authorize and /mcp have no CORS.
        Event::Authorize(_)
        | Event::Introspect(_)
        | Event::Resource(_)
        | Event::Unrouted(_)
        | Event::Control(_)
        | Event::ClientDocument(_) => false,
    }
}

/// The `id` of a JSON-RPC request body, if it has one.
fn jsonrpc_id(req: &HttpRequest) -> Option<Value> {
    let super::RequestBody::Bytes(body) = &req.body else {
        return None;
    };
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("id").cloned()
}

/// The HTTP response for `output`, the model's answer to `event` decoded from `req`.
///
/// - At a CORS-wrapped endpoint, Starlette's `CORSMiddleware.send` adds
///   `Access-Control-Allow-Origin: *` when the request has an `Origin`, and `Vary: Origin`
///   always ([Fetch §3.2.3](https://fetch.spec.whatwg.org/#http-responses)).
/// - A successful MCP `initialize` answers with the request's JSON-RPC id
///   ([JSON-RPC 2.0 §5](https://www.jsonrpc.org/specification#response_object)); the trace keeps
///   the model's answer (id 1).
pub(crate) fn respond(req: &HttpRequest, event: &Event, output: &Output) -> HttpResponse {
    let mut headers: Vec<(String, String)> = output
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if is_cors_wrapped(event) {
        if req.header("origin").is_some() {
            headers.push(("access-control-allow-origin".into(), "*".into()));
        }
        headers.push(("vary".into(), "Origin".into()));
    }
    let mut body = output.body.clone();
    // The result stands alone or framed as one SSE message; either way the JSON is replaced.
    if matches!(event, Event::Resource(_))
        && output.status == 200
        && output.body.contains(MCP_INITIALIZE_RESULT)
        && let Some(id) = jsonrpc_id(req)
        && let Ok(mut v) = serde_json::from_str::<Value>(MCP_INITIALIZE_RESULT)
        && let Some(slot) = v.get_mut("id")
    {
        *slot = id;
        body = output.body.replace(MCP_INITIALIZE_RESULT, &v.to_string());
    }
    HttpResponse {
        status: output.status,
        headers,
        body,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::{ResourceRequest, TokenRequest};
    use crate::http::RequestBody;

    fn req(headers: &[(&str, &[u8])], body: &[u8]) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            target: "/x".into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
                .collect(),
            body: RequestBody::Bytes(body.to_vec()),
        }
    }

    #[test]
    fn cors_routes_vary_on_origin_and_allow_any_origin_that_asks() {
        let token = Event::Token(TokenRequest {
            form: Default::default(),
            authorization: None,
        });
        let out = Output::new(401, &[("content-type", "application/json")], "{}".into());
        let plain = respond(&req(&[], b""), &token, &out);
        assert_eq!(
            plain.headers.last(),
            Some(&("vary".to_owned(), "Origin".to_owned()))
        );
        assert!(
            !plain
                .headers
                .iter()
                .any(|(k, _)| k == "access-control-allow-origin")
        );
        let cors = respond(&req(&[("origin", b"http://app")], b""), &token, &out);
        assert!(
            cors.headers
                .contains(&("access-control-allow-origin".into(), "*".into()))
        );
    }

    #[test]
    fn initialize_result_echoes_the_request_id() {
        let e = Event::Resource(ResourceRequest {
            authorization: vec!["Bearer t".into()],
        });
        let out = Output::new(200, &[], MCP_INITIALIZE_RESULT.into());
        let r = respond(
            &req(
                &[],
                br#"{"jsonrpc":"2.0","id":"abc","method":"initialize"}"#,
            ),
            &e,
            &out,
        );
        assert!(
            r.body
                .starts_with(r#"{"jsonrpc":"2.0","id":"abc","result":"#)
        );
        let r = respond(&req(&[], b"not json"), &e, &out);
        assert_eq!(r.body, MCP_INITIALIZE_RESULT);
        let sse = format!("event: message\r\ndata: {MCP_INITIALIZE_RESULT}\r\n\r\n");
        let framed = Output::new(200, &[], sse);
        let r = respond(&req(&[], br#"{"id":7}"#), &e, &framed);
        assert!(
            r.body
                .starts_with("event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,")
        );
    }
}
