//! The floor: what one complete flow cannot avoid on this machine, measured without the model.
//!
//! Per flow (register → authorize → exchange with PKCE → resource → refresh → revoke):
//! - one SHA-256 of the 65-byte PKCE verifier (the one the flow sends) and one base64url encoding of the digest;
//! - the ChaCha20 bytes of the values the flow issues, drawn as FastMCP draws them: uuid (16),
//!   client secret (32), code (16), a pair (2 × 32), the pair after refresh (2 × 32): 192 bytes
//!   in 7 draws;
//! - their text: the uuid with hyphens, and lower-case hex of the secret, the code and the four
//!   tokens (with their prefixes);
//! - the hash-map operations on maps keyed by the 16- and 32-byte values: clients (insert, 4
//!   lookups), codes (insert, lookup, remove), access tokens (2 inserts, 2 lookups, 2 removes),
//!   refresh tokens (2 inserts, 1 lookup, 2 removes), with small fixed-size records.
//!
//! Beside them, the cost of one dependent random read in 128 MiB: what each cache and TLB miss
//! costs a step at 10^6 live pairs, the bound on how close the scaling rows can come.
//!
//! Not counted: parsing requests, decoding the presented hex, building responses (JSON, headers),
//! allocation. `cargo bench --bench floor`; the last lines are machine-readable:
//! `floor_flows_per_s=<flows/s>`. Times are this thread's CPU time (`BENCH_CLOCK=wall` for the
//! wall clock).
#![allow(clippy::unwrap_used, missing_docs)]
// A benchmark reads the wall clock to time the model; the model itself never sees it.
#![allow(clippy::disallowed_methods)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{clock_name, now};

use base64::Engine as _;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

const VERIFIER: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._";
const RESET_EVERY: usize = 1 << 16;

/// Byte → two lower-case hex digits.
static HEX2: [[u8; 2]; 256] = {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [D[i >> 4], D[i & 15]];
        i += 1;
    }
    t
};

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    out.resize(start + 2 * bytes.len(), 0);
    for (o, &b) in out[start..].chunks_exact_mut(2).zip(bytes) {
        o.copy_from_slice(&HEX2[b as usize]);
    }
}

fn push_uuid(out: &mut Vec<u8>, b: &[u8; 16]) {
    push_hex(out, &b[..4]);
    out.push(b'-');
    push_hex(out, &b[4..6]);
    out.push(b'-');
    push_hex(out, &b[6..8]);
    out.push(b'-');
    push_hex(out, &b[8..10]);
    out.push(b'-');
    push_hex(out, &b[10..]);
}

#[derive(Clone, Copy)]
struct ClientRec {
    secret: [u8; 32],
    expires: u64,
}

#[derive(Clone, Copy)]
struct CodeRec {
    client: [u8; 16],
    challenge: [u8; 43],
    expires: u64,
}

#[derive(Clone, Copy)]
struct TokenRec {
    partner: [u8; 32],
    client: [u8; 16],
    expires: u64,
    scopes: u32,
}

struct Floor {
    rng: ChaCha20Rng,
    clients: FxHashMap<[u8; 16], ClientRec>,
    codes: FxHashMap<[u8; 16], CodeRec>,
    access: FxHashMap<[u8; 32], TokenRec>,
    refresh: FxHashMap<[u8; 32], TokenRec>,
    text: Vec<u8>,
    b64: String,
}

impl Floor {
    fn new(live_pairs: usize) -> Self {
        let mut f = Self {
            rng: ChaCha20Rng::from_seed([7; 32]),
            clients: FxHashMap::default(),
            codes: FxHashMap::default(),
            access: FxHashMap::default(),
            refresh: FxHashMap::default(),
            text: Vec::with_capacity(1024),
            b64: String::with_capacity(64),
        };
        for _ in 0..live_pairs {
            let a: [u8; 32] = f.bytes();
            let r: [u8; 32] = f.bytes();
            let rec = TokenRec {
                partner: r,
                client: [0; 16],
                expires: 0,
                scopes: 1,
            };
            f.access.insert(a, rec);
            f.refresh.insert(r, TokenRec { partner: a, ..rec });
        }
        f
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.rng.fill_bytes(&mut b);
        b
    }

    fn pkce(&mut self) -> bool {
        self.b64.clear();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_string(Sha256::digest(black_box(VERIFIER)), &mut self.b64);
        self.b64.len() == 43
    }

    fn issue_pair(&mut self, client: [u8; 16]) -> ([u8; 32], [u8; 32]) {
        let a: [u8; 32] = self.bytes();
        let r: [u8; 32] = self.bytes();
        self.text.extend_from_slice(b"test_access_token_");
        push_hex(&mut self.text, &a);
        self.text.extend_from_slice(b"test_refresh_token_");
        push_hex(&mut self.text, &r);
        let rec = TokenRec {
            partner: r,
            client,
            expires: 1,
            scopes: 1,
        };
        self.access.insert(a, rec);
        self.refresh.insert(r, TokenRec { partner: a, ..rec });
        (a, r)
    }

    /// Everything one complete flow cannot avoid.
    fn flow(&mut self) {
        self.text.clear();
        // register
        let mut id: [u8; 16] = self.bytes();
        id[6] = (id[6] & 0x0f) | 0x40;
        id[8] = (id[8] & 0x3f) | 0x80;
        let secret: [u8; 32] = self.bytes();
        push_uuid(&mut self.text, &id);
        push_hex(&mut self.text, &secret);
        self.clients.insert(id, ClientRec { secret, expires: 0 });
        // authorize
        let c = *self.clients.get(&id).unwrap();
        let code: [u8; 16] = self.bytes();
        self.text.extend_from_slice(b"test_auth_code_");
        push_hex(&mut self.text, &code);
        self.codes.insert(
            code,
            CodeRec {
                client: id,
                challenge: [b'x'; 43],
                expires: c.expires,
            },
        );
        // exchange
        black_box(self.clients.get(&id).unwrap().secret);
        let stored = *self.codes.get(&code).unwrap();
        black_box((stored.client, stored.challenge, stored.expires));
        assert!(self.pkce());
        self.codes.remove(&code);
        let (a, r) = self.issue_pair(id);
        // resource
        black_box(self.access.get(&a).unwrap().expires);
        // refresh
        black_box(self.clients.get(&id).unwrap().secret);
        let old = *self.refresh.get(&r).unwrap();
        black_box((old.client, old.scopes, old.expires));
        self.refresh.remove(&r);
        self.access.remove(&old.partner);
        let (a2, r2) = self.issue_pair(id);
        // revoke
        black_box(self.clients.get(&id).unwrap().secret);
        let rec = *self.access.get(&a2).unwrap();
        self.access.remove(&a2);
        self.refresh.remove(&rec.partner);
        black_box((r2, self.text.len()));
    }
}

/// Median over 3 runs of at least `secs` of the cost of one call of `f`, in nanoseconds;
/// `reset` runs untimed every [`RESET_EVERY`] calls.
fn measure(secs: f64, f: impl FnMut(), reset: impl FnMut()) -> f64 {
    let mut state = (f, reset);
    measure_with(secs, &mut state, |s| (s.0)(), |s| (s.1)())
}

/// [`measure`] with both closures working on one `state`.
fn measure_with<S>(
    secs: f64,
    state: &mut S,
    mut f: impl FnMut(&mut S),
    mut reset: impl FnMut(&mut S),
) -> f64 {
    let mut runs = Vec::new();
    for _ in 0..3 {
        let mut total = Duration::ZERO;
        let mut calls = 0u64;
        while total.as_secs_f64() < secs {
            reset(state);
            let start = now();
            for _ in 0..RESET_EVERY {
                f(state);
            }
            total += now() - start;
            calls += RESET_EVERY as u64;
        }
        runs.push(total.as_nanos() as f64 / calls as f64);
    }
    runs.sort_by(f64::total_cmp);
    runs[1]
}

/// What one cache (and TLB) miss costs here: a read at a random place in 128 MiB (the size of
/// 10^6 live pairs' records and indexes) whose address depends on the previous read, i.e. a
/// pointer chase around one random cycle through the whole table (Sattolo's shuffle).
fn dependent_read_ns(secs: f64) -> f64 {
    const N: usize = 1 << 24;
    let mut next: Vec<u64> = (0..N as u64).collect();
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    for i in (1..N).rev() {
        // xorshift64: any spread of indices will do.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        next.swap(i, (x % i as u64) as usize);
    }
    let mut at = 0usize;
    measure(
        secs,
        || {
            at = next[at] as usize;
            black_box(at);
        },
        || {},
    )
}

fn main() {
    let secs = 1.0;
    println!(
        "floor components (median of 3 runs, ns per call, {}):",
        clock_name()
    );
    for len in [43, 64, 128] {
        let v = vec![b'a'; len];
        let ns = measure(
            secs,
            || {
                black_box(Sha256::digest(black_box(&v)));
            },
            || {},
        );
        println!("  sha256 of a {len}-byte verifier            {ns:8.1}");
    }
    let mut b64 = String::with_capacity(64);
    let digest = Sha256::digest(VERIFIER);
    let ns = measure(
        secs,
        || {
            b64.clear();
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode_string(black_box(digest), &mut b64);
        },
        || {},
    );
    println!("  base64url of the 32-byte digest            {ns:8.1}");
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    let ns = measure(
        secs,
        || {
            let mut b16 = [0u8; 16];
            let mut b32 = [0u8; 32];
            for n in [16, 32, 16, 32, 32, 32, 32] {
                if n == 16 {
                    rng.fill_bytes(&mut b16);
                } else {
                    rng.fill_bytes(&mut b32);
                }
            }
            black_box((b16, b32));
        },
        || {},
    );
    println!("  chacha20: 192 bytes in 7 draws             {ns:8.1}");
    let mut text = Vec::with_capacity(1024);
    let values: [u8; 32] = [0x5a; 32];
    let ns = measure(
        secs,
        || {
            text.clear();
            push_uuid(&mut text, black_box(&[0x5a; 16]));
            for v in [
                &values[..],
                &values[..16],
                &values,
                &values,
                &values,
                &values,
            ] {
                push_hex(&mut text, black_box(v));
            }
            black_box(text.len());
        },
        || {},
    );
    println!("  hex of uuid, secret, code, 4 tokens        {ns:8.1}");

    let mut fl = Floor::new(0);
    let mut x = 0u64;
    let mut key = move || {
        // splitmix64: cheap distinct keys, so this line is the maps alone.
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let k16 = move |k: u64| {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&k.to_le_bytes());
        b[8..].copy_from_slice(&k.rotate_left(17).to_le_bytes());
        b
    };
    let k32 = move |k: u64| {
        let mut b = [0u8; 32];
        for (i, c) in b.chunks_mut(8).enumerate() {
            c.copy_from_slice(&k.rotate_left(13 * i as u32).to_le_bytes());
        }
        b
    };
    let clients = std::cell::RefCell::new(FxHashMap::<[u8; 16], ClientRec>::default());
    let maps_only = measure(
        secs,
        || {
            let id = k16(key());
            let code = k16(key());
            let (a, r, a2, r2) = (k32(key()), k32(key()), k32(key()), k32(key()));
            let rec = TokenRec {
                partner: r,
                client: id,
                expires: 1,
                scopes: 1,
            };
            let mut clients = clients.borrow_mut();
            clients.insert(
                id,
                ClientRec {
                    secret: a,
                    expires: 0,
                },
            );
            for _ in 0..4 {
                black_box(clients.get(&id).unwrap().expires);
            }
            fl.codes.insert(
                code,
                CodeRec {
                    client: id,
                    challenge: [0; 43],
                    expires: 0,
                },
            );
            black_box(fl.codes.get(&code).unwrap().expires);
            fl.codes.remove(&code);
            fl.access.insert(a, rec);
            fl.refresh.insert(r, rec);
            black_box(fl.access.get(&a).unwrap().expires);
            black_box(fl.refresh.get(&r).unwrap().expires);
            fl.refresh.remove(&r);
            fl.access.remove(&a);
            fl.access.insert(a2, rec);
            fl.refresh.insert(r2, rec);
            black_box(fl.access.get(&a2).unwrap().expires);
            fl.access.remove(&a2);
            fl.refresh.remove(&r2);
        },
        || clients.borrow_mut().clear(),
    );
    println!("  map operations of a flow                   {maps_only:8.1}");
    let ns = dependent_read_ns(secs);
    println!("  one dependent random read in 128 MiB       {ns:8.1}");

    let mut results = Vec::new();
    for live in [0usize, 1_000_000] {
        let mut fl = Floor::new(live);
        let ns = measure_with(secs * 2.0, &mut fl, Floor::flow, |fl| fl.clients.clear());
        assert_eq!(fl.access.len(), live);
        println!(
            "floor, complete flow, {live:>7} other live pairs: {ns:8.1} ns/flow = {:>10.0} flows/s",
            1e9 / ns
        );
        results.push(1e9 / ns);
    }
    println!("floor_flows_per_s={:.0}", results[0]);
    println!("floor_flows_per_s_at_1e6_pairs={:.0}", results[1]);
}
