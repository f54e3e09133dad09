//! Abstract client moves for [`super::fuzz_model_vs_reference`], read from bytes.
//!
//! Every choice puts the most ordinary option at 0 (the latest usable record, the owner, proper
//! credentials, the right verifier and redirect), so zero bytes spell a valid flow and the
//! fuzzer's edits turn it into wrong moves: replays, foreign clients, wrong secrets, verifiers
//! and redirects, stale refresh tokens, scope changes and clock jumps onto expiry boundaries.

use super::ByteSource;
use super::reference::{
    Auth, AuthRedirect, Authorize, Boundary, Challenge, ChallengeMethod, ClientRef, CodeRef,
    Exchange, Grants, Hint, Method, Model, Refresh, RefreshScope, RegRedirects, RegScope, Register,
    Revoke, Scopes, TokenRedirect, TokenRef, Transition, Verifier,
};

/// Op bytes of the moves, as [`super::seeds`] writes them.
pub(super) const OP_REGISTER: u8 = 0;
/// Ask for a code.
pub(super) const OP_AUTHORIZE: u8 = 1;
/// Exchange a code.
pub(super) const OP_EXCHANGE: u8 = 3;
/// Refresh.
pub(super) const OP_REFRESH: u8 = 5;
/// Revoke.
pub(super) const OP_REVOKE: u8 = 6;
/// Call the resource.
pub(super) const OP_RESOURCE: u8 = 7;
/// Let time pass.
pub(super) const OP_SLEEP: u8 = 9;
const OPS: u8 = 11;
/// Every move reads its op byte and exactly this many parameter bytes (zeros past the end).
pub(super) const PARAMS: usize = 6;

fn pick<T: Copy>(b: &mut ByteSource<'_>, items: &[T]) -> T {
    items[b.below(items.len())]
}

/// 0: `preferred` (or the latest), 1: `None`, k: record `(k - 2) % len`.
fn index(b: &mut ByteSource<'_>, len: usize, preferred: Option<usize>) -> Option<usize> {
    match b.u8() {
        _ if len == 0 => None,
        0 => preferred.or(Some(len - 1)),
        1 => None,
        k => Some(usize::from(k - 2) % len),
    }
}

/// The client acting: 0 the owner (or the latest client), 1 a forged one, k client `(k-2) % n`.
fn client(b: &mut ByteSource<'_>, m: &Model, owner: Option<usize>) -> ClientRef {
    index(b, m.clients.len(), owner).map_or(ClientRef::Forged, ClientRef::Known)
}

fn auth(b: &mut ByteSource<'_>) -> Auth {
    pick(b, &[Auth::Proper, Auth::WrongSecret, Auth::NoSecret])
}

/// The latest record satisfying `ok`.
fn latest(len: usize, ok: impl Fn(usize) -> bool) -> Option<usize> {
    (0..len).rev().find(|&i| ok(i))
}

/// The next move, or `None` when the bytes name nothing that exists yet.
pub(super) fn next(bytes: &mut ByteSource<'_>, m: &Model) -> Option<Transition> {
    let op = bytes.u8();
    let mut params = [0u8; PARAMS];
    let given = bytes.take(PARAMS);
    params[..given.len()].copy_from_slice(given);
    let b = &mut ByteSource::new(&params);
    let live_pair = latest(m.pairs.len(), |p| m.pairs[p].refresh_dead.is_none());
    Some(match op % OPS {
        OP_REGISTER => Transition::Register(Register {
            method: pick(b, &[Method::Post, Method::Basic, Method::Public]),
            scope: pick(
                b,
                &[
                    RegScope::Of(Scopes::ReadWrite),
                    RegScope::Of(Scopes::Read),
                    RegScope::Of(Scopes::Write),
                    RegScope::Absent,
                    RegScope::Empty,
                    RegScope::Of(Scopes::ReadAdmin),
                ],
            ),
            redirects: pick(
                b,
                &[
                    RegRedirects::One,
                    RegRedirects::Two,
                    RegRedirects::Javascript,
                ],
            ),
            grants: pick(b, &[Grants::Default, Grants::CodeOnly, Grants::RefreshOnly]),
        }),
        OP_AUTHORIZE | 2 => Transition::Authorize(Authorize {
            client: client(b, m, None),
            redirect: pick(
                b,
                &[
                    AuthRedirect::Cb,
                    AuthRedirect::Absent,
                    AuthRedirect::Cb2,
                    AuthRedirect::OtherPort,
                    AuthRedirect::Evil,
                ],
            ),
            challenge: pick(
                b,
                &[
                    Challenge::Of(Verifier::Good(0)),
                    Challenge::Of(Verifier::Good(1)),
                    Challenge::Of(Verifier::Short),
                    Challenge::Malformed,
                ],
            ),
            method: pick(
                b,
                &[
                    ChallengeMethod::S256,
                    ChallengeMethod::Absent,
                    ChallengeMethod::Plain,
                ],
            ),
            scope: pick(
                b,
                &[
                    None,
                    Some(Scopes::ReadWrite),
                    Some(Scopes::Read),
                    Some(Scopes::Write),
                    Some(Scopes::ReadAdmin),
                ],
            ),
            response_type_code: b.u8() % 16 != 15,
        }),
        OP_EXCHANGE | 4 => {
            let fresh = latest(m.codes.len(), |n| m.codes[n].family.is_none());
            let code = index(b, m.codes.len(), fresh);
            let owner = code.map(|n| m.codes[n].client);
            let right = match code.map(|n| m.codes[n].challenge) {
                Some(Challenge::Of(v)) => v,
                Some(Challenge::Malformed) | None => Verifier::Good(0),
            };
            Transition::Exchange(Exchange {
                code: code.map_or(CodeRef::Forged, CodeRef::Issued),
                client: client(b, m, owner),
                auth: auth(b),
                verifier: pick(b, &[right, Verifier::Good(2), Verifier::Short]),
                redirect: pick(
                    b,
                    &[
                        TokenRedirect::Same,
                        TokenRedirect::Omit,
                        TokenRedirect::Cb,
                        TokenRedirect::Evil,
                    ],
                ),
            })
        }
        OP_REFRESH => {
            let pair = index(b, m.pairs.len(), live_pair);
            Transition::Refresh(Refresh {
                pair,
                client: client(b, m, pair.map(|p| m.pairs[p].client)),
                auth: auth(b),
                scope: pick(
                    b,
                    &[
                        RefreshScope::Absent,
                        RefreshScope::Empty,
                        RefreshScope::Of(Scopes::Read),
                        RefreshScope::Of(Scopes::Write),
                        RefreshScope::Of(Scopes::ReadWrite),
                        RefreshScope::Of(Scopes::ReadAdmin),
                    ],
                ),
            })
        }
        OP_REVOKE => {
            let pair = index(b, m.pairs.len(), live_pair)?;
            let token = pick(
                b,
                &[
                    TokenRef::Access(pair),
                    TokenRef::Refresh(pair),
                    TokenRef::ForgedAccess,
                    TokenRef::Garbage,
                ],
            );
            Transition::Revoke(Revoke {
                token,
                client: client(b, m, Some(m.pairs[pair].client)),
                auth: auth(b),
                hint: pick(
                    b,
                    &[Hint::Absent, Hint::Access, Hint::Refresh, Hint::Unknown],
                ),
                secret_field: b.u8() % 4 != 3,
            })
        }
        OP_RESOURCE => {
            let pair = index(b, m.pairs.len(), live_pair);
            let token = match (b.u8() % 4, pair) {
                (0, Some(p)) => Some(TokenRef::Access(p)),
                (1, Some(p)) => Some(TokenRef::Refresh(p)),
                (2, _) => None,
                _ => Some(TokenRef::ForgedAccess),
            };
            Transition::Resource(token)
        }
        8 => Transition::UnknownGrant(client(b, m, None), auth(b)),
        OP_SLEEP => match b.u8() % 4 {
            3 => Transition::Sleep(60_000 * u64::from(b.u8())),
            _ => Transition::Sleep(u64::from(b.u16())),
        },
        _ => {
            let boundary = match b.u8() % 3 {
                0 => Boundary::Code(index(b, m.codes.len(), None)?),
                1 => Boundary::Access(index(b, m.pairs.len(), None)?),
                _ => Boundary::Refresh(index(b, m.pairs.len(), None)?),
            };
            Transition::Jump(boundary, pick(b, &[0, -1, 1]))
        }
    })
}
