//! The model's side of `benches/compare_fastmcp.sh`: the complete flow through the model, timed
//! the way `shared/spec/fastmcp-http.md` §3 times FastMCP's (3 runs of at least 3 s, the clock
//! read every 200 flows, flows/s = flows / elapsed, median of the 3; a fresh server per run, on
//! which clients accumulate as in FastMCP's benchmark; tokens do not).
//!
//! One flow = register → authorize (S256 challenge) → exchange with the PKCE verifier →
//! resource call → refresh → revoke: six events through `AuthServer::apply`.
//!
//! ```text
//! cargo bench --bench side_by_side                        # the comparison figure
//! cargo bench --bench side_by_side -- --seconds 1         # shorter runs
//! cargo bench --bench side_by_side -- --flows 200000      # a fixed count (for profilers)
//! cargo bench --bench side_by_side -- --replay 10000 --repeat 20   # replay path (for profilers)
//! ```
//!
//! The last line is machine-readable (`model_flows_per_s=…` or `model_replay_events_per_s=…`).
#![allow(clippy::unwrap_used, missing_docs)]
// A benchmark reads the wall clock to time the model; the model itself never sees it.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::Instant;

use common::{Flow, T0, generated_trace, server};
use oauth_oracle::trace::{ReplayOutcome, Trace, replay};

fn arg(name: &str) -> Option<f64> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
}

/// `flows` complete flows on a fresh server; flows/s.
fn fixed(flows: u64) -> f64 {
    let mut s = server(5);
    let mut flow = Flow::new();
    let start = Instant::now();
    for _ in 0..flows {
        flow.run(&mut s, T0);
    }
    flows as f64 / start.elapsed().as_secs_f64()
}

/// One run of at least `secs`, the clock read every 200 flows; flows/s.
fn timed_run(secs: f64) -> f64 {
    let mut s = server(5);
    let mut flow = Flow::new();
    let mut n = 0u64;
    let start = Instant::now();
    loop {
        for _ in 0..200 {
            flow.run(&mut s, T0);
        }
        n += 200;
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed >= secs {
            return n as f64 / elapsed;
        }
    }
}

fn replay_path(steps: usize, repeat: usize) -> f64 {
    let text = generated_trace(7, steps);
    let start = Instant::now();
    for _ in 0..repeat {
        let trace = Trace::read(text.as_bytes()).unwrap();
        assert_eq!(replay(&trace).unwrap(), ReplayOutcome::Match { steps });
    }
    (steps * repeat) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    if let Some(steps) = arg("--replay") {
        let repeat = arg("--repeat").unwrap_or(10.0) as usize;
        let rate = replay_path(steps as usize, repeat);
        println!("model_replay_events_per_s={rate:.0}");
        return;
    }
    if let Some(flows) = arg("--flows") {
        let rate = fixed(flows as u64);
        println!("model_flows_per_s={rate:.0}");
        return;
    }
    let secs = arg("--seconds").unwrap_or(3.0);
    let mut runs: Vec<f64> = (0..3).map(|_| timed_run(secs)).collect();
    println!(
        "model runs (flows/s): {}",
        runs.iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(" / ")
    );
    runs.sort_by(f64::total_cmp);
    println!("model_flows_per_s={:.0}", runs[1]);
}
