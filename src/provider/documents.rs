//! Clients described by client ID metadata documents (the MCP authorization specification's
//! CIMD, [draft-ietf-oauth-client-id-metadata-document-00](https://datatracker.ietf.org/doc/html/draft-ietf-oauth-client-id-metadata-document-00)):
//! a document the caller fetched and the endpoint validated is cached under its URL, which is
//! the client's id; a refused one is not cached ("The authorization server MUST NOT cache error
//! responses. The authorization server also MUST NOT cache documents which are invalid or
//! malformed.").

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Client, Provider};
use crate::keys::{ClientKey, KEY_BYTES};

/// The key a document client is stored under: SHA-256 of its URL, then `0xff` bytes. A drawn
/// client id's key never ends so unless its format fills all [`KEY_BYTES`] bytes, and then
/// only with 2^-128 odds.
pub(crate) fn document_key(url: &str) -> ClientKey {
    let mut key = [0xffu8; KEY_BYTES];
    key[..32].copy_from_slice(&Sha256::digest(url.as_bytes()));
    ClientKey(key)
}

/// Whether `key` is a document client's ([`document_key`]).
pub(crate) fn is_document_key(key: &ClientKey) -> bool {
    key.0[32..].iter().all(|&b| b == 0xff)
}

impl Provider {
    /// Cache `client`, described by the valid document at `url`: requests naming `url` as their
    /// `client_id` find it from now on.
    pub(crate) fn cache_document_client(&mut self, url: &str, client: Client) {
        self.document_refusals.remove(url);
        self.documents.insert(url.to_owned(), client.key);
        self.clients.insert(client.key, Arc::new(client));
    }

    /// Forget the client of `url`, whose document was just refused for `why`, and remember why.
    pub(crate) fn refuse_document(&mut self, url: &str, why: String) {
        if let Some(key) = self.documents.remove(url) {
            self.clients.remove(&key);
        }
        self.document_refusals.insert(url.to_owned(), why);
    }

    /// Why the document last fetched for `url` was refused, if it was.
    pub(crate) fn document_refusal(&self, url: &str) -> Option<&str> {
        self.document_refusals.get(url).map(String::as_str)
    }

    /// The client of the document cached for `url`, if one is.
    pub(super) fn document_client(&self, url: &str) -> Option<Arc<Client>> {
        let key = self.documents.get(url)?;
        self.clients.get(key).cloned()
    }
}
