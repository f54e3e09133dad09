//! Client ID metadata documents (the MCP authorization specification 2025-11-25): a document the
//! server was handed is the registration of the client its URL names
//! (`client-document-id-is-url` judges the codes issued to it, in `rules.rs`).

use std::sync::Arc;

use serde_json::Value;

use super::ledger::{Checker, ClientFacts};
use crate::output::Output;

impl Checker {
    /// A client ID metadata document as the server's fetch returned it: the registration of the
    /// client its URL names (public, its redirect URIs), whose `client_id` must be that URL.
    /// The client is known only if the server took the document (a `2xx` answer: the model's
    /// verdict on what it was handed; for a live target, which fetches its own, the document
    /// is taken for what it says) and the document names its URL: a server that uses another
    /// one breaks `client-document-id-is-url`, and its client is no registered one.
    pub(super) fn on_client_document(&mut self, url: &str, status: u16, body: &str, o: &Output) {
        let doc: Option<serde_json::Map<String, Value>> = (status == 200)
            .then(|| serde_json::from_str(body).ok())
            .flatten();
        let Some(doc) = doc else {
            self.documents.remove(url);
            self.clients.remove(url);
            return;
        };
        let named = doc.get("client_id").and_then(Value::as_str) == Some(url);
        self.documents.insert(url.to_owned(), named);
        if !(200..300).contains(&o.status) || !named {
            self.clients.remove(url);
            return;
        }
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let facts = ClientFacts {
            method: "none".to_owned(),
            secret: None,
            redirect_uris: strings(doc.get("redirect_uris")),
            scope: doc
                .get("scope")
                .and_then(Value::as_str)
                .map(|s| s.split(' ').map(str::to_owned).collect()),
            native: true,
            method_named: true,
        };
        self.clients.insert(url.to_owned(), Arc::new(facts));
    }
}
