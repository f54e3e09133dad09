//! A client ID metadata document the caller fetched for the server (the MCP authorization
//! specification 2025-11-25, "Client ID Metadata Documents";
//! [draft-ietf-oauth-client-id-metadata-document-00](https://datatracker.ietf.org/doc/html/draft-ietf-oauth-client-id-metadata-document-00)):
//! validated, then cached as the client its URL names, or refused and not cached.
//!
//! The answer is no HTTP response (no client sees it): `204` when the document is cached, `400`
//! with the `invalid_client` error `/authorize` then gives when it is refused, `404` where the
//! profile supports no documents (FastMCP fetches none).

use serde_json::Value;

use super::Ctx;
use super::redirect::refused_at_registration;
use crate::ErrorCode;
use crate::event::ClientDocument;
use crate::output::{JSON, NO_STORE, Output, Reason, error_json};
use crate::provider::{Client, document_key};

/// The most bytes of a document the server reads (workers-oauth-provider's limit; the draft
/// leaves it to the server).
const MAX_DOCUMENT_BYTES: usize = 5 * 1024;

/// Handle the answer to the fetch of the document at `doc.url`.
pub(crate) fn handle_client_document(ctx: &mut Ctx<'_>, doc: &ClientDocument) -> Output {
    if !ctx.profile.client_id_metadata_documents {
        return Output::new(404, &[], String::new()).because(Reason::EndpointDisabled);
    }
    match client_of(ctx, doc) {
        Ok(client) => {
            ctx.provider.cache_document_client(&doc.url, client);
            Output::new(204, &[], String::new())
        }
        Err(why) => {
            let out = Output::new(
                400,
                &[JSON, NO_STORE],
                error_json(ErrorCode::InvalidClient, &why),
            )
            .because(Reason::ClientDocumentInvalid);
            ctx.provider.refuse_document(&doc.url, why);
            out
        }
    }
}

/// Whether `url` may be a client identifier: "Client identifier URLs MUST have an "https" scheme,
/// MUST contain a path component, MUST NOT contain single-dot or double-dot path segments, MUST
/// NOT contain a fragment component and MUST NOT contain a username or password" (the draft,
/// "Client Identifier"). Checked on the text: a URL parser would resolve the dot segments away.
pub(crate) fn is_document_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = path.split('?').next().unwrap_or_default();
    !authority.is_empty()
        && !authority.contains('@')
        && !url.contains('#')
        && !path.is_empty()
        && !path.split('/').any(|seg| seg == "." || seg == "..")
        && url::Url::parse(url).is_ok()
}

/// The client `doc` describes, or why it is refused.
fn client_of(ctx: &Ctx<'_>, doc: &ClientDocument) -> Result<Client, String> {
    let url = doc.url.as_str();
    if !is_document_url(url) {
        return Err(format!(
            "client_id '{url}' is no client metadata document URL: https, a path, no dot segments, fragment or user"
        ));
    }
    if doc.status != 200 {
        return Err(format!(
            "the client metadata document at '{url}' could not be fetched (HTTP {})",
            doc.status
        ));
    }
    if doc.body.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "the client metadata document at '{url}' is larger than {MAX_DOCUMENT_BYTES} bytes"
        ));
    }
    let Ok(Value::Object(meta)) = serde_json::from_str::<Value>(&doc.body) else {
        return Err(format!(
            "the client metadata document at '{url}' is not a JSON object"
        ));
    };
    // "The client metadata document MUST contain a `client_id` property whose value MUST match
    // the URL of the document using simple string comparison" (the draft, "Client Metadata").
    match meta.get("client_id").and_then(Value::as_str) {
        Some(id) if id == url => {}
        Some(id) => {
            return Err(format!(
                "the client metadata document at '{url}' names client_id '{id}'"
            ));
        }
        None => {
            return Err(format!(
                "the client metadata document at '{url}' has no client_id"
            ));
        }
    }
    // The MCP specification: the document "MUST include at least the following properties:
    // `client_id`, `client_name`, `redirect_uris`", and the server "MUST validate the document
    // structure is valid JSON and contains required fields".
    if !meta.get("client_name").is_some_and(Value::is_string) {
        return Err(format!(
            "the client metadata document at '{url}' has no client_name"
        ));
    }
    let redirect_uris: Option<Vec<String>> = meta
        .get("redirect_uris")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .and_then(|l| l.iter().map(|u| u.as_str().map(str::to_owned)).collect());
    let Some(redirect_uris) = redirect_uris else {
        return Err(format!(
            "the client metadata document at '{url}' has no redirect_uris"
        ));
    };
    if ctx.profile.registration_strict_redirects
        && let Some((i, why)) = redirect_uris
            .iter()
            .enumerate()
            .find_map(|(i, u)| refused_at_registration(u).map(|why| (i, why)))
    {
        return Err(format!("redirect_uris.{i}: {why}"));
    }
    // A document client holds no secret: it authenticates with none (or a key this model does
    // not check).
    let method = meta
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str);
    if method.is_some_and(|m| m != "none") {
        return Err(format!(
            "token_endpoint_auth_method '{}' is not supported for a client metadata document",
            method.unwrap_or_default()
        ));
    }
    let grant_types = match meta.get("grant_types").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        None => vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
    };
    Ok(Client {
        key: document_key(url),
        secret: None,
        secret_expires_at: None,
        auth_method: Some("none".to_owned()),
        grant_types,
        scope: meta.get("scope").and_then(Value::as_str).map(str::to_owned),
        redirect_uris: Some(redirect_uris),
        record_json: doc.body.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::is_document_url;

    #[test]
    fn a_client_identifier_url_is_https_with_a_path_and_nothing_forbidden() {
        for ok in [
            "https://app.example.com/oauth/client-metadata.json",
            "https://app.example.com:8443/c.json",
            "https://app.example.com/c.json?v=1",
            "https://app.example.com/",
        ] {
            assert!(is_document_url(ok), "{ok}");
        }
        for bad in [
            "http://app.example.com/c.json",
            "https://app.example.com",
            "https://app.example.com?x=1",
            "https://app.example.com/a/../c.json",
            "https://app.example.com/./c.json",
            "https://app.example.com/c.json#x",
            "https://user:pw@app.example.com/c.json",
            "https://",
            "not a url",
        ] {
            assert!(!is_document_url(bad), "{bad}");
        }
    }
}
