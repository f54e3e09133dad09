//! Fidelity: FastMCP's `InMemoryOAuthProvider` driven in-process, without the HTTP handlers
//! (`docs/transcripts.md` §2.1 and the script output of §2.2; `docs/fastmcp-behaviour.md`
//! §4). At this layer the provider trusts its caller: it re-checks only what the Python methods
//! re-check, so several checks the HTTP layer makes are absent here on purpose.

#![allow(clippy::unwrap_used)]

use super::{
    AccessToken, AnyToken, AuthorizationCode, AuthorizationParams, Client, OAuthToken, Provider,
    ProviderError, RefreshToken,
};
use crate::keys::ClientKey;
use crate::{AuthServer, Config, ErrorCode, Profile, Reason, UnixMillis};
#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/common/shapes.rs"]
mod shapes;
use shapes::{is_access, is_code, is_hex, is_refresh};

// ---------------------------------------------------------------------------------------------
// Shapes

/// Replace `test_auth_code_<32 hex>` in a URL with the placeholder.
fn normalize_code(url: &str) -> String {
    let Some(at) = url.find("test_auth_code_") else {
        return url.to_owned();
    };
    let start = at + "test_auth_code_".len();
    let end = (start + 32).min(url.len());
    assert!(is_hex(&url[start..end], 32), "code in {url}");
    format!("{}<32hex>{}", &url[..start], &url[end..])
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// The script's clock: `load_authorization_code` showed `expires_at=1795680284.754455`.
const NOW: u64 = 1_795_679_984_754;
const CB: &str = "http://localhost:9999/cb";
const CHALLENGE: &str = "5Q1pFcrLhlusTg1RllTvwuxBhlZHlxGAMxjraj2X_Jo";

fn at(ms: u64) -> UnixMillis {
    UnixMillis(ms)
}

fn server() -> AuthServer {
    AuthServer::new(Config::default(), Profile::fastmcp()).unwrap()
}

fn valid_scopes() -> Vec<String> {
    vec!["read".to_owned(), "write".to_owned()]
}

/// An `OAuthClientInformationFull` as the script built it (a public client; the provider does
/// not authenticate).
fn client(id: u8, scope: Option<&str>) -> Client {
    Client {
        key: ClientKey::from_16([id; 16]),
        secret: None,
        secret_expires_at: None,
        auth_method: Some("none".to_owned()),
        grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
        scope: scope.map(str::to_owned),
        redirect_uris: Some(vec![CB.to_owned()]),
        record_json: String::new(),
    }
}

fn register(p: &mut Provider, c: &Client) {
    assert_eq!(p.register_client(c.clone(), Some(&valid_scopes())), Ok(()));
}

fn params(scopes: Option<&[&str]>, state: Option<&str>, redirect: &str) -> AuthorizationParams {
    AuthorizationParams {
        state: state.map(str::to_owned),
        scopes: scopes.map(|s| s.iter().map(|x| (*x).to_owned()).collect()),
        code_challenge: CHALLENGE.to_owned(),
        redirect_uri: redirect.to_owned(),
        redirect_uri_provided_explicitly: true,
        // FastMCP adds no RFC 9207 `iss` to the authorization response (D-24).
        issuer: None,
    }
}

/// The `code` query parameter of an authorize redirect.
fn code_in(url: &str) -> String {
    let start = url.find("code=").unwrap() + "code=".len();
    let rest = &url[start..];
    rest[..rest.find('&').unwrap_or(rest.len())].to_owned()
}

/// authorize → load_authorization_code.
fn authorize(p: &mut Provider, c: &Client, scopes: &[&str], now: u64) -> AuthorizationCode {
    let url = p
        .authorize(c, params(Some(scopes), Some("xyz"), CB), at(now))
        .unwrap();
    p.load_authorization_code(c.key, &code_in(&url), at(now))
        .unwrap()
}

/// authorize → load → exchange.
fn pair(p: &mut Provider, c: &Client, scopes: &[&str], now: u64) -> OAuthToken {
    let code = authorize(p, c, scopes, now);
    p.exchange_authorization_code(c.key, &code, at(now))
        .unwrap()
}

fn access(p: &mut Provider, token: &OAuthToken, now: u64) -> Option<AccessToken> {
    p.load_access_token(&token.access_token, at(now)).ok()
}

fn refresh(p: &mut Provider, c: &Client, token: &OAuthToken, now: u64) -> Option<RefreshToken> {
    p.load_refresh_token(c.key, &token.refresh_token, at(now))
        .ok()
}

fn scopes(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn invalid_scope() -> ProviderError {
    ProviderError::Protocol {
        error: ErrorCode::InvalidScope,
        description: "Requested scopes exceed those authorized by the refresh token.".to_owned(),
        reason: Reason::ScopeNotInRefreshToken,
    }
}

fn code_not_found() -> ProviderError {
    ProviderError::Protocol {
        error: ErrorCode::InvalidGrant,
        description: "Authorization code not found or already used.".to_owned(),
        reason: Reason::CodeAlreadyRedeemed,
    }
}

// ---------------------------------------------------------------------------------------------
// §2.2 "1. basic flow"

/// The client id text of `key` (FastMCP's uuid4).
fn id(key: &ClientKey) -> String {
    crate::ValueFormat::Uuid4.render("", &key.0)
}

#[test]
fn register_then_get_client_returns_the_stored_client() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    assert_eq!(p.get_client(&id(&c.key)).map(|x| x.key), None);
    register(p, &c);
    assert_eq!(p.get_client(&id(&c.key)).unwrap().key, c.key);
}

#[test]
fn authorize_redirects_with_a_47_char_code_and_state_and_stores_the_code_for_300_s() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let url = p
        .authorize(&c, params(Some(&["read"]), Some("xyz"), CB), at(NOW))
        .unwrap();
    assert_eq!(
        normalize_code(&url),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>&state=xyz"
    );
    let code_text = code_in(&url);
    assert!(is_code(&code_text));
    assert_eq!(code_text.len(), 47);

    let code = p
        .load_authorization_code(c.key, &code_text, at(NOW))
        .unwrap();
    assert_eq!(&code.scopes[..], scopes(&["read"]));
    assert_eq!(
        code.expires_at,
        at(NOW + 300_000),
        "expires_at - now == 300.0"
    );
    assert_eq!(code.client, c.key);
    assert_eq!(code.code_challenge, CHALLENGE);
    assert_eq!(code.redirect_uri, CB);
    assert!(code.redirect_uri_provided_explicitly);
}

#[test]
fn exchange_returns_a_bearer_token_serialized_in_sdk_field_order() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["read"], NOW);
    assert!(is_access(&token.access_token) && token.access_token.len() == 82);
    assert!(is_refresh(&token.refresh_token) && token.refresh_token.len() == 83);
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.expires_in, 3600);
    assert_eq!(token.scope, "read");
    assert_eq!(
        serde_json::to_string(&token).unwrap(),
        format!(
            r#"{{"access_token":"{}","token_type":"Bearer","expires_in":3600,"scope":"read","refresh_token":"{}"}}"#,
            token.access_token, token.refresh_token
        )
    );
}

#[test]
fn issued_access_token_expires_at_whole_seconds_and_refresh_token_never() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["read"], NOW);

    let a = access(p, &token, NOW).unwrap();
    assert_eq!(a.client, c.key);
    assert_eq!(&a.scopes[..], scopes(&["read"]));
    assert_eq!(a.expires_at, 1_795_683_584, "int(1795679984.754 + 3600)");

    assert!(
        p.load_access_token("garbage", at(NOW)).is_err(),
        "verify_token(garbage) is None"
    );

    let r = refresh(p, &c, &token, NOW).unwrap();
    assert_eq!(r.client, c.key);
    assert_eq!(&r.scopes[..], scopes(&["read"]));
    assert_eq!(r.expires_at, None);
}

// ---------------------------------------------------------------------------------------------
// §2.2 "2. second exchange of same code"

#[test]
fn exchange_authorization_code_twice_is_invalid_grant_and_first_tokens_stay_valid() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let code = authorize(p, &c, &["read"], NOW);
    let first = p
        .exchange_authorization_code(c.key, &code, at(NOW))
        .unwrap();

    assert!(
        p.load_authorization_code(
            c.key,
            &format!("test_auth_code_{}", crate::keys::hex(&code.key.0[..16])),
            at(NOW)
        )
        .is_err(),
        "load_authorization_code after use is None"
    );
    assert_eq!(
        p.exchange_authorization_code(c.key, &code, at(NOW)),
        Err(code_not_found())
    );
    assert!(
        access(p, &first, NOW).is_some(),
        "no revoke-on-replay (D-3)"
    );
}

// ---------------------------------------------------------------------------------------------
// §2.2 "3. refresh rotation"

#[test]
fn refresh_rotates_and_deletes_the_old_refresh_and_its_paired_access_token() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let old = pair(p, &c, &["read"], NOW);
    let rt = refresh(p, &c, &old, NOW).unwrap();

    let new = p
        .exchange_refresh_token(c.key, &rt, rt.scopes.to_vec(), at(NOW))
        .unwrap();
    assert_eq!(new.scope, "read");
    assert_ne!(new.refresh_token, old.refresh_token);
    assert!(access(p, &old, NOW).is_none(), "old access after refresh");
    assert!(
        refresh(p, &c, &old, NOW).is_none(),
        "old refresh after refresh"
    );
    assert!(access(p, &new, NOW).is_some(), "new access valid");
}

#[test]
fn stale_refresh_token_object_replay_mints_a_pair_and_spares_the_successor() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let old = pair(p, &c, &["read"], NOW);
    let stale = refresh(p, &c, &old, NOW).unwrap();
    let tok2 = p
        .exchange_refresh_token(c.key, &stale, scopes(&["read"]), at(NOW))
        .unwrap();

    // No existence re-check (D-10) and no reuse detection (D-4).
    let tok3 = p
        .exchange_refresh_token(c.key, &stale, scopes(&["read"]), at(NOW))
        .unwrap();
    assert!(access(p, &tok2, NOW).is_some(), "successor pair untouched");
    assert!(
        access(p, &tok3, NOW).is_some(),
        "stale replay minted a valid token"
    );
    assert!(refresh(p, &c, &tok3, NOW).is_some());
}

// ---------------------------------------------------------------------------------------------
// §2.2 "4. refresh scope handling"

#[test]
fn exchange_refresh_token_superset_is_invalid_scope_and_keeps_the_old_token() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["read"], NOW);
    let rt = refresh(p, &c, &token, NOW).unwrap();
    assert_eq!(
        p.exchange_refresh_token(c.key, &rt, scopes(&["read", "admin"]), at(NOW)),
        Err(invalid_scope())
    );
    assert!(
        refresh(p, &c, &token, NOW).is_some(),
        "old refresh still valid"
    );
    assert!(access(p, &token, NOW).is_some(), "its access token too");
}

#[test]
fn narrowing_is_sticky_and_rewidening_is_invalid_scope() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read write"));
    register(p, &c);
    let wide = pair(p, &c, &["read", "write"], NOW);
    assert_eq!(wide.scope, "read write");
    let rt = refresh(p, &c, &wide, NOW).unwrap();
    let narrow = p
        .exchange_refresh_token(c.key, &rt, scopes(&["read"]), at(NOW))
        .unwrap();
    assert_eq!(narrow.scope, "read");
    let rt = refresh(p, &c, &narrow, NOW).unwrap();
    assert_eq!(&rt.scopes[..], scopes(&["read"]));
    assert_eq!(
        p.exchange_refresh_token(c.key, &rt, scopes(&["read", "write"]), at(NOW)),
        Err(invalid_scope())
    );
}

#[test]
fn refresh_with_empty_scopes_yields_empty_scope_string() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["read"], NOW);
    let rt = refresh(p, &c, &token, NOW).unwrap();
    let empty = p
        .exchange_refresh_token(c.key, &rt, Vec::new(), at(NOW))
        .unwrap();
    assert_eq!(empty.scope, "");
    assert!(is_access(&empty.access_token) && is_refresh(&empty.refresh_token));
    assert!(access(p, &empty, NOW).unwrap().scopes.is_empty());
}

// ---------------------------------------------------------------------------------------------
// §2.2 "5. revoke"

#[test]
fn revoking_the_access_token_kills_its_refresh_token() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["read"], NOW);
    let a = access(p, &token, NOW).unwrap();
    p.revoke_token(&AnyToken::Access(a));
    assert!(access(p, &token, NOW).is_none());
    assert!(refresh(p, &c, &token, NOW).is_none());
}

#[test]
fn revoking_the_refresh_token_kills_its_access_token() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["read"], NOW);
    let r = refresh(p, &c, &token, NOW).unwrap();
    p.revoke_token(&AnyToken::Refresh(r));
    assert!(refresh(p, &c, &token, NOW).is_none());
    assert!(access(p, &token, NOW).is_none());
}

#[test]
fn revoking_an_unknown_token_object_is_a_silent_noop() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["read"], NOW);
    let mut fake = access(p, &token, NOW).unwrap();
    fake.key = crate::keys::TokenKey([0x5a; crate::keys::KEY_BYTES]);
    let before = p.sizes();
    p.revoke_token(&AnyToken::Access(fake));
    assert_eq!(p.sizes(), before);
    assert!(access(p, &token, NOW).is_some());
}

#[test]
fn revoking_the_access_token_after_a_rotation_kills_the_new_refresh_token() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let old = pair(p, &c, &["read"], NOW);
    let rt = refresh(p, &c, &old, NOW).unwrap();
    let new = p
        .exchange_refresh_token(c.key, &rt, scopes(&["read"]), at(NOW))
        .unwrap();
    let a = access(p, &new, NOW).unwrap();
    p.revoke_token(&AnyToken::Access(a));
    assert!(refresh(p, &c, &new, NOW).is_none());
}

// ---------------------------------------------------------------------------------------------
// §2.2 "6. cross-client checks"

#[test]
fn foreign_code_loads_as_none_and_stays_loadable_by_its_owner() {
    let mut s = server();
    let p = s.provider_mut();
    let (a, b) = (client(1, Some("read")), client(2, Some("read")));
    register(p, &a);
    register(p, &b);
    let url = p
        .authorize(&a, params(Some(&["read"]), Some("xyz"), CB), at(NOW))
        .unwrap();
    let code = code_in(&url);
    assert!(p.load_authorization_code(b.key, &code, at(NOW)).is_err());
    assert!(p.load_authorization_code(a.key, &code, at(NOW)).is_ok());
}

#[test]
fn foreign_refresh_token_loads_as_none() {
    let mut s = server();
    let p = s.provider_mut();
    let (a, b) = (client(1, Some("read")), client(2, Some("read")));
    register(p, &a);
    register(p, &b);
    let token = pair(p, &a, &["read"], NOW);
    assert!(refresh(p, &b, &token, NOW).is_none());
    assert!(
        refresh(p, &a, &token, NOW).is_some(),
        "owner's token untouched"
    );
}

#[test]
fn authorize_with_an_unregistered_client_is_unauthorized_client() {
    let mut s = server();
    let p = s.provider_mut();
    let ghost = client(7, Some("read"));
    assert_eq!(
        p.authorize(&ghost, params(Some(&["read"]), Some("xyz"), CB), at(NOW)),
        Err(ProviderError::Protocol {
            error: ErrorCode::UnauthorizedClient,
            description: format!("Client '{}' not registered.", id(&ghost.key)),
            reason: Reason::ClientNotFound,
        })
    );
    assert_eq!(
        id(&ghost.key),
        "07070707-0707-0707-0707-070707070707",
        "the id as str(client_id)"
    );
}

#[test]
fn provider_level_code_exchange_by_another_client_issues_tokens_to_that_client() {
    let mut s = server();
    let p = s.provider_mut();
    let (a, b) = (client(1, Some("read")), client(2, Some("read")));
    register(p, &a);
    register(p, &b);
    let code_of_a = authorize(p, &a, &["read"], NOW);
    let token = p
        .exchange_authorization_code(b.key, &code_of_a, at(NOW))
        .unwrap();
    assert_eq!(token.scope, "read");
    assert_eq!(access(p, &token, NOW).unwrap().client, b.key);
    assert_eq!(refresh(p, &b, &token, NOW).unwrap().client, b.key);
}

// ---------------------------------------------------------------------------------------------
// §2.2 "7. authorize details"

#[test]
fn authorize_passes_scopes_through_without_client_scope_and_drops_blank_query_params() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, None);
    register(p, &c);
    let url = p
        .authorize(
            &c,
            params(
                Some(&["anything", "goes"]),
                None,
                "http://localhost:9999/cb?x=1&y=&z=a+b",
            ),
            at(NOW),
        )
        .unwrap();
    assert_eq!(
        normalize_code(&url),
        "http://localhost:9999/cb?x=1&z=a+b&code=test_auth_code_<32hex>"
    );
    let code = p
        .load_authorization_code(c.key, &code_in(&url), at(NOW))
        .unwrap();
    assert_eq!(&code.scopes[..], scopes(&["anything", "goes"]));
}

#[test]
fn authorize_without_scopes_grants_none_and_url_encodes_the_state() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let url = p
        .authorize(&c, params(None, Some("s p&ce"), CB), at(NOW))
        .unwrap();
    assert_eq!(
        normalize_code(&url),
        "http://localhost:9999/cb?code=test_auth_code_<32hex>&state=s+p%26ce"
    );
    let code = p
        .load_authorization_code(c.key, &code_in(&url), at(NOW))
        .unwrap();
    assert!(code.scopes.is_empty());
}

#[test]
fn authorize_silently_filters_scopes_to_the_clients_scope() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["write", "admin"], NOW);
    assert_eq!(token.scope, "");
}

#[test]
fn authorize_does_not_check_the_redirect_uri() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let url = p
        .authorize(
            &c,
            params(Some(&["read"]), Some("xyz"), "http://evil.example/cb"),
            at(NOW),
        )
        .unwrap();
    assert_eq!(
        normalize_code(&url),
        "http://evil.example/cb?code=test_auth_code_<32hex>&state=xyz"
    );
}

// ---------------------------------------------------------------------------------------------
// §2.2 "8. registration details"

#[test]
fn register_client_scope_outside_valid_scopes_is_a_plain_value_error() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read admin"));
    assert_eq!(
        p.register_client(c.clone(), Some(&valid_scopes())),
        Err(ProviderError::Value(
            "Requested scopes are not valid: admin".to_owned()
        ))
    );
    assert!(p.get_client(&id(&c.key)).is_none(), "not stored");
}

#[test]
fn re_registering_a_client_id_overwrites_silently() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let other = Client {
        redirect_uris: Some(vec!["http://other/cb".to_owned()]),
        ..client(1, Some("read"))
    };
    assert_eq!(p.register_client(other, Some(&valid_scopes())), Ok(()));
    assert_eq!(
        p.get_client(&id(&c.key)).unwrap().redirect_uris,
        Some(vec!["http://other/cb".to_owned()])
    );
    assert_eq!(p.sizes().0, 1);
}

// ---------------------------------------------------------------------------------------------
// §2.2 "9. expiry"

#[test]
fn code_loads_at_exactly_expires_at_and_is_deleted_when_loaded_a_millisecond_later() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let url = p
        .authorize(&c, params(Some(&["read"]), Some("xyz"), CB), at(NOW))
        .unwrap();
    let code = code_in(&url);
    assert!(
        p.load_authorization_code(c.key, &code, at(NOW + 300_000))
            .is_ok()
    );
    assert!(
        p.load_authorization_code(c.key, &code, at(NOW + 300_001))
            .is_err()
    );
    assert_eq!(p.sizes().1, 0, "expired code deleted from the store");
}

#[test]
fn expired_code_object_exchanged_after_its_expired_load_is_invalid_grant() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let code = authorize(p, &c, &["read"], NOW);
    let text = format!("test_auth_code_{}", crate::keys::hex(&code.key.0[..16]));
    assert!(
        p.load_authorization_code(c.key, &text, at(NOW + 300_001))
            .is_err()
    );
    assert_eq!(
        p.exchange_authorization_code(c.key, &code, at(NOW + 300_001)),
        Err(code_not_found())
    );
}

#[test]
fn provider_exchange_does_not_check_code_expiry() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let code = authorize(p, &c, &["read"], NOW);
    let token = p
        .exchange_authorization_code(c.key, &code, at(NOW + 300_001))
        .unwrap();
    assert_eq!(token.scope, "read");
}

#[test]
fn verifying_an_expired_access_token_deletes_its_refresh_token() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["read"], NOW);
    let expires_at = access(p, &token, NOW).unwrap().expires_at;
    assert_eq!(
        expires_at * 1000 - NOW,
        3_599_246,
        "expires_at - base = 3599.246"
    );
    assert!(
        access(p, &token, expires_at * 1000).is_some(),
        "valid at exactly expires_at"
    );
    assert!(
        access(p, &token, expires_at * 1000 + 500).is_none(),
        "gone at +0.5 s"
    );
    assert!(
        refresh(p, &c, &token, expires_at * 1000 + 500).is_none(),
        "D-1"
    );
}

#[test]
fn refresh_token_never_expires_while_its_access_token_is_never_verified() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let token = pair(p, &c, &["read"], NOW);
    let ten_years = 10 * 365 * 24 * 3600 * 1000;
    let r = refresh(p, &c, &token, NOW + ten_years).unwrap();
    assert_eq!(r.expires_at, None);
}

// ---------------------------------------------------------------------------------------------
// §2.2 "10." / `docs/fastmcp-behaviour.md` §6: store sizes

#[test]
fn stores_keep_pairs_in_lockstep_through_rotation_and_revocation() {
    let mut s = server();
    let p = s.provider_mut();
    let c = client(1, Some("read"));
    register(p, &c);
    let mut token = pair(p, &c, &["read"], NOW);
    for _ in 0..3 {
        let rt = refresh(p, &c, &token, NOW).unwrap();
        token = p
            .exchange_refresh_token(c.key, &rt, scopes(&["read"]), at(NOW))
            .unwrap();
    }
    assert_eq!(p.sizes(), (1, 0, 1, 1), "(clients, codes, access, refresh)");
    let a = access(p, &token, NOW).unwrap();
    p.revoke_token(&AnyToken::Access(a));
    assert_eq!(p.sizes(), (1, 0, 0, 0));
}
