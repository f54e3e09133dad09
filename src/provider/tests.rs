//! The provider over its compact token store: slot reuse against the expiry queue, and pairs
//! with one half dead.
#![allow(clippy::unwrap_used)]

use super::{AnyToken, OAuthToken, Provider};
use crate::config::Lifetimes;
use crate::keys::ClientKey;
use crate::output::Reason;
use crate::profile::Profile;
use crate::rng::{DrawRng, Seed};
use crate::time::UnixMillis;

const CLIENT: ClientKey = ClientKey::from_16([7; 16]);

fn provider(profile: Profile, refresh: Option<u64>) -> Provider {
    let lifetimes = Lifetimes {
        code: 300,
        access: 10,
        refresh,
    };
    Provider::new(DrawRng::new(Seed::from_u64(5)), lifetimes, profile)
}

fn secs(s: u64) -> UnixMillis {
    UnixMillis(s * 1000)
}

fn issue(p: &mut Provider, at: UnixMillis) -> OAuthToken {
    let scopes = vec!["read".to_owned()];
    p.issue_pair(CLIENT, scopes.into(), at, None, &[]).0
}

/// Refresh `pair` at `at` with its own scopes: the rotated pair.
fn rotate(p: &mut Provider, pair: &OAuthToken, at: UnixMillis) -> OAuthToken {
    let old = p
        .load_refresh_token(CLIENT, &pair.refresh_token, at)
        .unwrap();
    let scopes = old.scopes.to_vec();
    p.exchange_refresh_token(CLIENT, &old, scopes, at).unwrap()
}

#[test]
fn stale_expiry_entries_spare_the_pair_in_a_reused_slot() {
    let mut p = provider(Profile::oauth21(), Some(20));
    let old = issue(&mut p, secs(1000)); // queued: access at 1010 s, refresh at 1020 s
    let access = p.load_access_token(&old.access_token, secs(1000)).unwrap();
    p.revoke_token(&AnyToken::Access(access));
    assert_eq!(p.sizes(), (0, 0, 0, 0));
    let new = issue(&mut p, secs(1015)); // the freed slot; access 1025 s, refresh 1035 s
    p.sweep(secs(1021)); // the old pair's entries come due
    assert_eq!(p.sizes(), (0, 0, 1, 1));
    assert_eq!(p.inconsistency(), None);
    let a = p.load_access_token(&new.access_token, secs(1021)).unwrap();
    assert_eq!(p.access_text(&a.key), new.access_token);
    p.load_refresh_token(CLIENT, &new.refresh_token, secs(1021))
        .unwrap();
    p.sweep(secs(1026));
    assert_eq!(p.sizes(), (0, 0, 0, 1), "the new access token's own entry");
    p.sweep(secs(1036));
    assert_eq!(p.sizes(), (0, 0, 0, 0));
    assert_eq!(p.inconsistency(), None);
}

#[test]
fn a_refresh_token_outlives_its_revoked_access_token() {
    let (_, profile) = Profile::broken_variants()
        .into_iter()
        .find(|(_, p)| !p.revocation_kills_pair)
        .unwrap();
    let mut p = provider(profile, None);
    let t = issue(&mut p, secs(1000));
    let access = p.load_access_token(&t.access_token, secs(1000)).unwrap();
    p.revoke_token(&AnyToken::Access(access));
    assert_eq!(p.sizes(), (0, 0, 0, 1));
    assert_eq!(
        p.load_access_token(&t.access_token, secs(1000))
            .unwrap_err()
            .reason(),
        Reason::BearerUnknown
    );
    let other = issue(&mut p, secs(1000)); // does not take the half-live slot
    let refresh = p
        .load_refresh_token(CLIENT, &t.refresh_token, secs(1000))
        .unwrap();
    assert_eq!(p.refresh_text(&refresh.key), t.refresh_token);
    p.tokens.integrity().unwrap();
    assert!(
        p.inconsistency().is_some(),
        "the check catches this profile's bug"
    );
    // ... and an access token outlives its revoked refresh token.
    let r = p
        .load_refresh_token(CLIENT, &other.refresh_token, secs(1000))
        .unwrap();
    p.revoke_token(&AnyToken::Refresh(r));
    assert_eq!(p.sizes(), (0, 0, 1, 1));
    p.load_access_token(&other.access_token, secs(1000))
        .unwrap();
    // Rotating the first pair's refresh token frees its slot; the next pair takes it.
    p.exchange_refresh_token(CLIENT, &refresh, vec![], secs(1000))
        .unwrap();
    assert_eq!(p.sizes(), (0, 0, 2, 1));
    p.tokens.integrity().unwrap();
}

#[test]
fn an_expired_access_token_takes_its_refresh_token_along() {
    let mut p = provider(Profile::fastmcp(), None);
    let t = issue(&mut p, secs(1000));
    assert_eq!(
        p.load_access_token(&t.access_token, secs(1011))
            .unwrap_err()
            .reason(),
        Reason::BearerExpired
    );
    assert_eq!(p.sizes(), (0, 0, 0, 0));
    assert_eq!(
        p.load_refresh_token(CLIENT, &t.refresh_token, secs(1011))
            .unwrap_err()
            .reason(),
        Reason::RefreshTokenUnknown
    );
    assert_eq!(p.inconsistency(), None);
}

#[test]
fn rng_word_pos_counts_the_words_drawn() {
    let mut p = provider(Profile::fastmcp(), None);
    assert_eq!(p.rng_word_pos(), 0);
    let _: [u8; 32] = p.rng().bytes();
    assert_eq!(p.rng_word_pos(), 8);
    issue(&mut p, secs(1));
    assert_eq!(p.rng_word_pos(), 8 + 16, "a pair draws two 32-byte keys");
}

/// Reuse detection revokes the family only when the owner presents its rotated refresh token: a
/// stranger holding it learns nothing and revokes nothing
/// ([RFC 9700 §4.14.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2)).
#[test]
fn a_strangers_replay_of_a_rotated_refresh_token_revokes_nothing() {
    const STRANGER: ClientKey = ClientKey::from_16([9; 16]);
    let mut p = provider(Profile::oauth21(), Some(100));
    let first = issue(&mut p, secs(1000));
    let second = rotate(&mut p, &first, secs(1001));
    assert!(!p.detect_refresh_reuse(STRANGER, &first.refresh_token));
    p.load_access_token(&second.access_token, secs(1002))
        .unwrap();
    p.load_refresh_token(CLIENT, &second.refresh_token, secs(1002))
        .unwrap();
    assert!(p.detect_refresh_reuse(CLIENT, &first.refresh_token));
    assert_eq!(
        p.load_access_token(&second.access_token, secs(1002))
            .unwrap_err()
            .reason(),
        Reason::BearerUnknown,
        "the owner's replay revokes the family's live pair"
    );
}

/// Garbage collection of expired records (the `sweep_expired` knob of `oauth21`): codes issued in
/// the same millisecond all leave the store once expired.
#[test]
fn codes_expiring_at_the_same_instant_are_all_swept() {
    use super::{AuthorizationParams, Client};
    let mut p = provider(Profile::oauth21(), Some(100));
    let client = Client {
        key: CLIENT,
        secret: None,
        secret_expires_at: None,
        auth_method: Some("none".to_owned()),
        grant_types: vec!["authorization_code".to_owned()],
        scope: None,
        redirect_uris: Some(vec!["http://localhost/cb".to_owned()]),
        record_json: "{}".to_owned(),
    };
    p.register_client(client.clone(), None).unwrap();
    for _ in 0..3 {
        let params = AuthorizationParams {
            state: None,
            scopes: None,
            code_challenge: "c".repeat(43),
            redirect_uri: "http://localhost/cb".to_owned(),
            redirect_uri_provided_explicitly: true,
            issuer: None,
        };
        p.authorize(&client, params, secs(1000)).unwrap();
    }
    assert_eq!(p.sizes(), (1, 3, 0, 0));
    p.sweep(secs(1000 + 300));
    assert_eq!(
        p.sizes(),
        (1, 3, 0, 0),
        "alive up to and including their expiry"
    );
    p.sweep(UnixMillis(secs(1000 + 300).0 + 1));
    assert_eq!(p.sizes(), (1, 0, 0, 0), "every expired code is collected");
}

/// The pair-count rule of `inconsistency` applies only where pairs die together: once the
/// profile sweeps expired records, an access token may leave before its refresh token.
#[test]
fn swept_access_tokens_may_leave_their_refresh_tokens_behind() {
    let mut profile = Profile::fastmcp();
    profile.sweep_expired = true;
    let mut p = provider(profile, None);
    issue(&mut p, secs(1000)); // access lives 10 s, refresh forever
    p.sweep(secs(1011));
    assert_eq!(p.sizes(), (0, 0, 0, 1));
    assert_eq!(p.inconsistency(), None);
}

/// A family's tombstones go with the family: once its live pair is revoked, a rotated-away
/// refresh token of that family is simply unknown (nothing left to revoke, nothing kept).
#[test]
fn ending_a_family_clears_its_rotation_tombstones() {
    let mut p = provider(Profile::oauth21(), Some(100));
    let first = issue(&mut p, secs(1000));
    let second = rotate(&mut p, &first, secs(1001));
    let live = p
        .load_refresh_token(CLIENT, &second.refresh_token, secs(1002))
        .unwrap();
    p.revoke_token(&AnyToken::Refresh(live));
    assert_eq!(p.sizes(), (0, 0, 0, 0));
    assert!(
        !p.detect_refresh_reuse(CLIENT, &first.refresh_token),
        "the revoked family's tombstone is gone"
    );
}
