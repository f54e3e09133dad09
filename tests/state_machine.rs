//! The real `AuthServer` against a deliberately naive reference model (`tests/reference/`), as a
//! proptest state machine, for both built-in profiles.
//!
//! Transitions are mostly valid flows (register, authorize, exchange, refresh, revoke, call the
//! resource) with targeted wrong moves: replayed codes, foreign clients, wrong secrets, wrong
//! verifiers and redirects, stale refresh tokens, revocation of either token, scope narrowing
//! and widening, unknown grants and hints, and clock jumps landing 1 ms before, at and 1 ms
//! after every code, access and refresh expiry. Every step asserts that the real status, error
//! code and description equal the reference's prediction, and runs the invariant checker: under
//! `oauth21` nothing may break, under `fastmcp` only the documented deviations.
//!
//! Cases per profile: `OAUTH_ORACLE_SM_CASES` (default 2500); the generator seed is fixed
//! (`OAUTH_ORACLE_SM_SEED` changes it) so CI runs the same cases every time. Failures are
//! persisted to `proptest-regressions/state_machine.txt` and replayed first.
#![allow(clippy::unwrap_used, unreachable_pub)]

mod reference;

use std::marker::PhantomData;

use oauth_oracle as oracle;
use oracle::{Config, Profile, Seed};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence, RngSeed};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use reference::driver::Lockstep;
use reference::{
    Auth, AuthRedirect, Authorize, Boundary, Challenge, ChallengeMethod, ClientRef, CodeRef,
    Exchange, Grants, Hint, Method, Model, Refresh, RefreshScope, RegRedirects, RegScope, Register,
    Revoke, Scopes, TokenRedirect, TokenRef, Transition, Verifier,
};

/// Where every generated flow starts (2027-01-15T08:00:00Z).
const T0: u64 = 1_800_000_000_000;

/// Which profile a machine runs.
trait ProfileChoice: 'static + std::fmt::Debug {
    fn profile() -> Profile;
}

#[derive(Debug)]
struct Fastmcp;
impl ProfileChoice for Fastmcp {
    fn profile() -> Profile {
        Profile::fastmcp()
    }
}

#[derive(Debug)]
struct Oauth21;
impl ProfileChoice for Oauth21 {
    fn profile() -> Profile {
        Profile::oauth21()
    }
}

/// The reference state machine for profile `P`.
struct Machine<P>(PhantomData<P>);

fn cases() -> u32 {
    std::env::var("OAUTH_ORACLE_SM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2500)
}

fn runner_config() -> RunnerConfig {
    let seed = std::env::var("OAUTH_ORACLE_SM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_270_115);
    RunnerConfig {
        cases: cases(),
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/state_machine.txt",
        ))),
        max_shrink_iters: 4096,
        ..RunnerConfig::default()
    }
}

/// An index into `len` items, biased towards the most recent one.
fn recent(len: usize) -> BoxedStrategy<usize> {
    prop_oneof![2 => Just(len - 1), 1 => 0..len].boxed()
}

/// An index into `len` items, mostly one of `preferred` (the records still usable), else any
/// (to replay used ones).
fn mostly(preferred: Vec<usize>, len: usize) -> BoxedStrategy<usize> {
    if preferred.is_empty() {
        return recent(len);
    }
    prop_oneof![3 => proptest::sample::select(preferred), 1 => recent(len)].boxed()
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Post),
        Just(Method::Basic),
        Just(Method::Public)
    ]
}

fn any_scopes() -> impl Strategy<Value = Scopes> {
    prop_oneof![
        Just(Scopes::Read),
        Just(Scopes::Write),
        Just(Scopes::ReadWrite),
        Just(Scopes::ReadAdmin),
    ]
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![17 => Just(Auth::Proper), 2 => Just(Auth::WrongSecret), 1 => Just(Auth::NoSecret)]
}

fn register() -> impl Strategy<Value = Transition> {
    let scope = prop_oneof![
        4 => Just(RegScope::Of(Scopes::ReadWrite)),
        2 => Just(RegScope::Of(Scopes::Read)),
        1 => Just(RegScope::Of(Scopes::Write)),
        1 => Just(RegScope::Absent),
        1 => Just(RegScope::Empty),
        1 => Just(RegScope::Of(Scopes::ReadAdmin)),
    ];
    let redirects = prop_oneof![
        8 => Just(RegRedirects::One),
        2 => Just(RegRedirects::Two),
        1 => Just(RegRedirects::Javascript),
    ];
    let grants = prop_oneof![
        8 => Just(Grants::Default),
        2 => Just(Grants::CodeOnly),
        1 => Just(Grants::RefreshOnly),
    ];
    (method(), scope, redirects, grants).prop_map(|(method, scope, redirects, grants)| {
        Transition::Register(Register {
            method,
            scope,
            redirects,
            grants,
        })
    })
}

/// A client acting on something owned by `owner`: mostly the owner, sometimes another.
fn acting_client(owner: usize, clients: usize) -> BoxedStrategy<ClientRef> {
    prop_oneof![
        17 => Just(ClientRef::Known(owner)),
        2 => (0..clients).prop_map(ClientRef::Known),
        1 => Just(ClientRef::Forged),
    ]
    .boxed()
}

/// Scopes a client registered, as a request may ask for them (`None`: do not ask).
fn registered_scopes(m: &Model, client: ClientRef) -> Vec<Option<Scopes>> {
    let ClientRef::Known(n) = client else {
        return vec![None];
    };
    let has = |s: &str| m.clients[n].scopes.iter().any(|x| x == s);
    let mut out = vec![None];
    if has("read") {
        out.push(Some(Scopes::Read));
    }
    if has("write") {
        out.push(Some(Scopes::Write));
    }
    if has("read") && has("write") {
        out.push(Some(Scopes::ReadWrite));
    }
    out
}

fn authorize(m: &Model) -> BoxedStrategy<Transition> {
    let usable: Vec<usize> = (0..m.clients.len())
        .filter(|&i| m.admits(&Transition::Authorize(probe(ClientRef::Known(i)))))
        .collect();
    let client = if usable.is_empty() {
        Just(ClientRef::Forged).boxed()
    } else {
        let last = *usable.last().unwrap();
        prop_oneof![
            12 => Just(ClientRef::Known(last)),
            6 => proptest::sample::select(usable).prop_map(ClientRef::Known),
            1 => Just(ClientRef::Forged),
        ]
        .boxed()
    };
    let m = m.clone();
    client
        .prop_flat_map(move |client| authorize_for(client, registered_scopes(&m, client)))
        .boxed()
}

fn authorize_for(client: ClientRef, fitting: Vec<Option<Scopes>>) -> BoxedStrategy<Transition> {
    let redirect = prop_oneof![
        12 => Just(AuthRedirect::Cb),
        4 => Just(AuthRedirect::Absent),
        2 => Just(AuthRedirect::Cb2),
        2 => Just(AuthRedirect::OtherPort),
        1 => Just(AuthRedirect::Evil),
    ];
    let challenge = prop_oneof![
        18 => (0u8..4).prop_map(|k| Challenge::Of(Verifier::Good(k))),
        1 => Just(Challenge::Of(Verifier::Short)),
        1 => Just(Challenge::Malformed),
    ];
    let method = prop_oneof![
        16 => Just(ChallengeMethod::S256),
        2 => Just(ChallengeMethod::Absent),
        1 => Just(ChallengeMethod::Plain),
    ];
    let scope = prop_oneof![
        8 => proptest::sample::select(fitting),
        1 => any_scopes().prop_map(Some),
    ];
    let response_type = prop_oneof![25 => Just(true), 1 => Just(false)];
    (redirect, challenge, method, scope, response_type)
        .prop_map(
            move |(redirect, challenge, method, scope, response_type_code)| {
                Transition::Authorize(Authorize {
                    client,
                    redirect,
                    challenge,
                    method,
                    scope,
                    response_type_code,
                })
            },
        )
        .boxed()
}

/// An authorization request for `client` (to ask the reference whether it admits one).
fn probe(client: ClientRef) -> Authorize {
    Authorize {
        client,
        redirect: AuthRedirect::Cb,
        challenge: Challenge::Malformed,
        method: ChallengeMethod::S256,
        scope: None,
        response_type_code: true,
    }
}

fn exchange(m: &Model) -> BoxedStrategy<Transition> {
    let codes: Vec<(usize, Challenge)> = m.codes.iter().map(|c| (c.client, c.challenge)).collect();
    let fresh: Vec<usize> = (0..m.codes.len())
        .filter(|&n| m.codes[n].family.is_none())
        .collect();
    let clients = m.clients.len();
    let code = prop_oneof![
        19 => mostly(fresh, codes.len()).prop_map(CodeRef::Issued),
        1 => Just(CodeRef::Forged),
    ];
    code.prop_flat_map(move |code| {
        let (owner, challenge) = match code {
            CodeRef::Issued(n) => codes[n],
            CodeRef::Forged => (0, Challenge::Malformed),
        };
        let right = match challenge {
            Challenge::Of(v) => v,
            Challenge::Malformed => Verifier::Good(0),
        };
        let verifier = prop_oneof![
            17 => Just(right),
            2 => (0u8..4).prop_map(Verifier::Good),
            1 => Just(Verifier::Short),
        ];
        let redirect = prop_oneof![
            16 => Just(TokenRedirect::Same),
            1 => Just(TokenRedirect::Omit),
            1 => Just(TokenRedirect::Cb),
            1 => Just(TokenRedirect::Evil),
        ];
        (acting_client(owner, clients), auth(), verifier, redirect).prop_map(
            move |(client, auth, verifier, redirect)| {
                Transition::Exchange(Exchange {
                    code,
                    client,
                    auth,
                    verifier,
                    redirect,
                })
            },
        )
    })
    .boxed()
}

fn refresh(m: &Model) -> BoxedStrategy<Transition> {
    let pairs: Vec<(usize, Vec<String>)> = m
        .pairs
        .iter()
        .map(|p| (p.client, p.scopes.clone()))
        .collect();
    let clients = m.clients.len();
    let pair = prop_oneof![
        19 => mostly(live_pairs(m), pairs.len()).prop_map(Some),
        1 => Just(None),
    ];
    pair.prop_flat_map(move |pair| {
        let (owner, scopes) = pair.map(|p| pairs[p].clone()).unwrap_or_default();
        let narrow = match scopes.first().map(String::as_str) {
            Some("write") => RefreshScope::Of(Scopes::Write),
            Some(_) => RefreshScope::Of(Scopes::Read),
            None => RefreshScope::Absent,
        };
        let scope = prop_oneof![
            6 => Just(RefreshScope::Absent),
            1 => Just(RefreshScope::Empty),
            3 => Just(narrow),
            1 => Just(RefreshScope::Of(Scopes::ReadWrite)),
            1 => any_scopes().prop_map(RefreshScope::Of),
        ];
        (acting_client(owner, clients), auth(), scope).prop_map(move |(client, auth, scope)| {
            Transition::Refresh(Refresh {
                pair,
                client,
                auth,
                scope,
            })
        })
    })
    .boxed()
}

/// The pairs whose refresh token the reference still believes live.
fn live_pairs(m: &Model) -> Vec<usize> {
    (0..m.pairs.len())
        .filter(|&p| m.pairs[p].refresh_dead.is_none())
        .collect()
}

fn token_of(m: &Model) -> BoxedStrategy<TokenRef> {
    let pairs = m.pairs.len();
    prop_oneof![
        8 => mostly(live_pairs(m), pairs).prop_map(TokenRef::Access),
        6 => mostly(live_pairs(m), pairs).prop_map(TokenRef::Refresh),
        1 => Just(TokenRef::ForgedAccess),
        1 => Just(TokenRef::Garbage),
    ]
    .boxed()
}

fn revoke(m: &Model) -> BoxedStrategy<Transition> {
    let owners: Vec<usize> = m.pairs.iter().map(|p| p.client).collect();
    let clients = m.clients.len();
    token_of(m)
        .prop_flat_map(move |token| {
            let owner = match token {
                TokenRef::Access(p) | TokenRef::Refresh(p) => owners[p],
                TokenRef::ForgedAccess | TokenRef::Garbage => 0,
            };
            let hint = prop_oneof![
                4 => Just(Hint::Absent),
                2 => Just(Hint::Access),
                2 => Just(Hint::Refresh),
                1 => Just(Hint::Unknown),
            ];
            let secret_field = prop_oneof![3 => Just(true), 1 => Just(false)];
            (acting_client(owner, clients), auth(), hint, secret_field).prop_map(
                move |(client, auth, hint, secret_field)| {
                    Transition::Revoke(Revoke {
                        token,
                        client,
                        auth,
                        hint,
                        secret_field,
                    })
                },
            )
        })
        .boxed()
}

fn resource(m: &Model) -> BoxedStrategy<Transition> {
    let n = m.pairs.len();
    prop_oneof![
        10 => mostly(live_pairs(m), n).prop_map(|p| Some(TokenRef::Access(p))),
        1 => recent(n).prop_map(|p| Some(TokenRef::Refresh(p))),
        1 => Just(None),
        1 => Just(Some(TokenRef::ForgedAccess)),
    ]
    .prop_map(Transition::Resource)
    .boxed()
}

fn jump(m: &Model) -> BoxedStrategy<Transition> {
    let mut kinds: Vec<BoxedStrategy<Boundary>> = Vec::new();
    if !m.codes.is_empty() {
        kinds.push(recent(m.codes.len()).prop_map(Boundary::Code).boxed());
    }
    if !m.pairs.is_empty() {
        kinds.push(recent(m.pairs.len()).prop_map(Boundary::Access).boxed());
        if m.config.lifetimes.refresh.is_some() {
            kinds.push(recent(m.pairs.len()).prop_map(Boundary::Refresh).boxed());
        }
    }
    let boundary = proptest::strategy::Union::new(kinds);
    (boundary, -1i8..=1)
        .prop_map(|(b, offset)| Transition::Jump(b, offset))
        .boxed()
}

fn sleep() -> impl Strategy<Value = Transition> {
    prop_oneof![4 => 0u64..3_000, 1 => 10_000u64..400_000].prop_map(Transition::Sleep)
}

impl<P: ProfileChoice> ReferenceStateMachine for Machine<P> {
    type State = Model;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Model> {
        (any::<bool>(), any::<u64>())
            .prop_map(|(require_read, seed)| {
                let profile = P::profile();
                let mut config = Config::for_profile(&profile);
                config.seed = Seed::from_u64(seed);
                if require_read {
                    config.required_scopes = vec!["read".to_owned()];
                }
                Model::new(profile, config, T0)
            })
            .boxed()
    }

    fn transitions(m: &Model) -> BoxedStrategy<Transition> {
        if m.clients.is_empty() {
            return prop_oneof![4 => register(), 1 => sleep()].boxed();
        }
        let mut options: Vec<(u32, BoxedStrategy<Transition>)> = vec![
            (6, register().boxed()),
            (18, authorize(m)),
            (
                1,
                (0..m.clients.len(), auth())
                    .prop_map(|(c, a)| Transition::UnknownGrant(ClientRef::Known(c), a))
                    .boxed(),
            ),
            (6, sleep().boxed()),
        ];
        if !m.codes.is_empty() {
            options.push((18, exchange(m)));
            options.push((4, jump(m)));
        }
        if !m.pairs.is_empty() {
            options.push((12, refresh(m)));
            options.push((8, revoke(m)));
            options.push((14, resource(m)));
        }
        proptest::strategy::Union::new_weighted(options).boxed()
    }

    fn preconditions(m: &Model, t: &Transition) -> bool {
        m.admits(t)
    }

    fn apply(mut m: Model, t: &Transition) -> Model {
        m.apply(t);
        m
    }
}

/// The system under test: the real server, driven in lockstep.
struct Real<P>(PhantomData<P>);

impl<P: ProfileChoice> StateMachineTest for Real<P> {
    type SystemUnderTest = Lockstep;
    type Reference = Machine<P>;

    fn init_test(m: &Model) -> Lockstep {
        Lockstep::new(m.profile.clone(), m.config.clone()).unwrap()
    }

    fn apply(mut sut: Lockstep, m: &Model, t: Transition) -> Lockstep {
        if let Err(e) = sut.step(m, &t) {
            panic!("{} disagrees with the reference: {e}", m.profile.name);
        }
        sut
    }
}

prop_state_machine! {
    #![proptest_config(runner_config())]

    /// `fastmcp`: every answer as the reference predicts; only documented deviations break.
    #[test]
    fn fastmcp_answers_as_the_reference_predicts_and_breaks_only_documented_deviations(
        sequential 1..48 => Real<Fastmcp>
    );

    /// `oauth21`: every answer as the reference predicts; no invariant ever breaks.
    #[test]
    fn oauth21_answers_as_the_reference_predicts_and_upholds_every_invariant(
        sequential 1..48 => Real<Oauth21>
    );
}
