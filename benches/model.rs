//! Criterion benchmarks of the model (issue 6): cost per event for each kind, complete flows per
//! second, trace replay throughput, and the step costs with 10^2, 10^3 (issue 2), 10^4 and 10^6
//! live token pairs.
//!
//! `cargo bench --bench model -- --warm-up-time 1 --measurement-time 3` runs them all; a filter
//! (`event/`, `flow/`, `replay/`, `scaling/`) picks one group. Times are this thread's CPU time
//! (`BENCH_CLOCK=wall` for the wall clock); see `common::now` and BENCHMARKS.md.
#![allow(clippy::unwrap_used, missing_docs)]
// A benchmark reads the wall clock to time the model; the model itself never sees it.
#![allow(clippy::disallowed_methods)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{Clock, Flow, Pool, T0, generated_trace, now, server};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use oauth_oracle::trace::{ReplayOutcome, Trace, replay, replay_jsonl};
use oauth_oracle::{AuthServer, Event};

/// Records that a growing benchmark may accumulate before the state is rebuilt (untimed).
const RESET_EVERY: u64 = 1 << 16;
/// Events issued per untimed preparation batch.
const BATCH: u64 = 1024;

/// A server with one registered client whose credentials are in `flow`.
fn with_client() -> (AuthServer, Flow) {
    let mut s = server(3);
    let mut flow = Flow::new();
    flow.register(&mut s, T0);
    (s, flow)
}

/// Time `iters` runs of `timed`, with `prepare` run untimed before each batch of [`BATCH`] and
/// the state rebuilt untimed every [`RESET_EVERY`] runs, so the timed events always find a
/// state with at most 65,536 extra records.
fn batched(
    iters: u64,
    mut prepare: impl FnMut(&mut AuthServer, &mut Flow, u64) -> Vec<String>,
    mut timed: impl FnMut(&mut AuthServer, &mut Flow, &str),
) -> Duration {
    let (mut s, mut flow) = with_client();
    let mut total = Duration::ZERO;
    let mut done = 0;
    let mut since_reset = 0;
    while done < iters {
        if since_reset >= RESET_EVERY {
            (s, flow) = with_client();
            since_reset = 0;
        }
        let n = BATCH.min(iters - done);
        let inputs = prepare(&mut s, &mut flow, n);
        let start = now();
        for i in 0..n {
            let input = inputs.get(i as usize).map_or("", String::as_str);
            timed(&mut s, &mut flow, input);
        }
        total += now() - start;
        done += n;
        since_reset += n;
    }
    total
}

fn per_event(c: &mut Criterion<Clock>) {
    let mut g = c.benchmark_group("event");
    g.throughput(Throughput::Elements(1));

    let (mut s, flow) = with_client();
    g.bench_function("as_metadata", |b| {
        b.iter(|| black_box(s.apply(T0, &Event::AuthorizationServerMetadata)));
    });
    g.bench_function("pr_metadata", |b| {
        b.iter(|| black_box(s.apply(T0, &Event::ProtectedResourceMetadata)));
    });

    // Registration: clients accumulate (as in FastMCP); rebuilt untimed every 65,536.
    g.bench_function("register", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                |_, _, _| Vec::new(),
                |s, flow, _| {
                    drop(black_box(s.apply(T0, &flow.register)));
                },
            )
        });
    });

    // Authorization: codes accumulate; rebuilt untimed every 65,536.
    g.bench_function("authorize", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                |_, _, _| Vec::new(),
                |s, flow, _| {
                    let out = s.apply(T0, &flow.authorize);
                    assert_eq!(out.status, 302);
                    drop(black_box(out));
                },
            )
        });
    });

    // Code exchange with PKCE: codes prepared untimed; pairs accumulate (rebuilt every 65,536).
    g.bench_function("token_code_exchange", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                |s, flow, n| {
                    (0..n)
                        .map(|_| {
                            let out = s.apply(T0, &flow.authorize);
                            common::code_of(&out).to_owned()
                        })
                        .collect()
                },
                |s, flow, code| {
                    flow.set_code(code);
                    let out = s.apply(T0, &flow.exchange);
                    assert_eq!(out.status, 200);
                    drop(black_box(out));
                },
            )
        });
    });

    // Refresh: rotation keeps one pair alive; the new refresh token is copied into the template.
    let (mut s2, mut f2) = with_client();
    f2.authorize(&mut s2, T0);
    f2.exchange(&mut s2, T0);
    g.bench_function("token_refresh", |b| {
        b.iter(|| f2.refresh(&mut s2, T0));
    });

    // Revocation: pairs issued untimed, revoked timed.
    g.bench_function("revoke", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                |s, flow, n| {
                    (0..n)
                        .map(|_| {
                            flow.authorize(s, T0);
                            let out = s.apply(T0, &flow.exchange);
                            common::tokens_of(&out).0.to_owned()
                        })
                        .collect()
                },
                |s, flow, access| {
                    flow.use_access(access);
                    flow.revoke(s, T0);
                },
            )
        });
    });

    // Resource call with one valid token (hot in cache).
    f2.authorize(&mut s2, T0);
    f2.exchange(&mut s2, T0);
    g.bench_function("resource_valid", |b| {
        b.iter(|| f2.resource(&mut s2, T0));
    });

    // Rejected token requests, state unchanged: an unknown code, and a known code with the
    // wrong PKCE verifier (the code stays usable, D-20).
    let mut f3 = flow;
    g.bench_function("token_rejected_unknown_code", |b| {
        b.iter(|| {
            let out = s.apply(T0, &f3.rejected);
            assert_eq!(out.status, 401);
            drop(black_box(out));
        });
    });
    f3.authorize(&mut s, T0);
    f3.set_wrong_verifier();
    g.bench_function("token_rejected_pkce_mismatch", |b| {
        b.iter(|| {
            let out = s.apply(T0, &f3.exchange);
            assert_eq!(out.status, 401);
            drop(black_box(out));
        });
    });
    g.finish();
}

fn flows(c: &mut Criterion<Clock>) {
    let mut g = c.benchmark_group("flow");
    g.throughput(Throughput::Elements(1));
    // register -> authorize -> exchange (PKCE) -> resource -> refresh -> revoke. Clients
    // accumulate as in FastMCP's benchmark; the state is rebuilt untimed every 65,536 flows.
    g.bench_function("complete", |b| {
        b.iter_custom(|iters| {
            let mut s = server(5);
            let mut flow = Flow::new();
            let mut total = Duration::ZERO;
            let mut since_reset = 0;
            let mut start = now();
            for _ in 0..iters {
                if since_reset == RESET_EVERY {
                    total += now() - start;
                    s = server(5);
                    since_reset = 0;
                    start = now();
                }
                flow.run(&mut s, T0);
                since_reset += 1;
            }
            total + (now() - start)
        });
    });
    g.finish();
}

fn replay_throughput(c: &mut Criterion<Clock>) {
    const STEPS: usize = 10_000;
    let text = generated_trace(7, STEPS);
    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Elements(STEPS as u64));
    g.sample_size(10);
    // The whole path: parse JSON Lines, resolve references, step, compare.
    g.bench_function("jsonl_10k_steps", |b| {
        b.iter(|| {
            let trace = Trace::read(text.as_bytes()).unwrap();
            let outcome = replay(&trace).unwrap();
            assert_eq!(outcome, ReplayOutcome::Match { steps: STEPS });
        });
    });
    // The same in one pass, as `oauth-oracle replay` does it: outputs compared as written text.
    g.bench_function("jsonl_10k_steps_streamed", |b| {
        b.iter(|| {
            let outcome = replay_jsonl(text.as_bytes()).unwrap();
            assert_eq!(outcome, ReplayOutcome::Match { steps: STEPS });
        });
    });
    // The first one's two halves.
    g.bench_function("parse_only_10k_steps", |b| {
        b.iter(|| black_box(Trace::read(text.as_bytes()).unwrap()));
    });
    let trace = Trace::read(text.as_bytes()).unwrap();
    g.bench_function("resolve_step_compare_10k_steps", |b| {
        b.iter(|| {
            let outcome = replay(&trace).unwrap();
            assert_eq!(outcome, ReplayOutcome::Match { steps: STEPS });
        });
    });
    g.finish();
}

fn scaling(c: &mut Criterion<Clock>) {
    let mut g = c.benchmark_group("scaling");
    g.throughput(Throughput::Elements(1));
    for n in [100, 1_000, 10_000, 1_000_000] {
        let mut pool = Pool::new(n);
        assert_eq!(pool.len(), n);
        g.bench_with_input(BenchmarkId::new("resource_valid", n), &n, |b, _| {
            b.iter(|| pool.resource());
        });
        g.bench_with_input(BenchmarkId::new("token_refresh", n), &n, |b, _| {
            b.iter(|| pool.refresh());
        });
        g.bench_with_input(
            BenchmarkId::new("revoke_reissue_3_events", n),
            &n,
            |b, _| {
                b.iter(|| pool.revoke_reissue());
            },
        );
        let (_, _, access, refresh) = pool.server.provider().sizes();
        assert_eq!((access, refresh), (n, n), "the timed loops kept the size");
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(Clock);
    targets = per_event, flows, replay_throughput, scaling
}
criterion_main!(benches);
