//! The model's side of `benches/compare_fastmcp.sh`: the complete flow through the model, timed
//! the way `docs/transcripts.md` §3 times FastMCP's (3 runs of at least 3 s, the clock
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
//! Each run reports flows/s by the wall clock (the method of §3) and by this thread's CPU time
//! (what the scheduler gave the benchmark: on a shared machine, other tenants' load does not
//! count). The last line is machine-readable: `model_flows_per_s=<wall median>
//! model_flows_per_s_cpu=<CPU-time median>` (or `model_replay_events_per_s=…`).
#![allow(clippy::unwrap_used, missing_docs)]
// A benchmark reads the wall clock to time the model; the model itself never sees it.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{Flow, T0, cpu_now, generated_trace, server, wall_now};
use oauth_oracle::trace::{ReplayOutcome, Trace, replay};

fn arg(name: &str) -> Option<f64> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
}

/// `flows` complete flows on a fresh server; flows/s (CPU time).
fn fixed(flows: u64) -> f64 {
    let mut s = server(5);
    let mut flow = Flow::new();
    let start = cpu_now();
    for _ in 0..flows {
        flow.run(&mut s, T0);
    }
    flows as f64 / (cpu_now() - start).as_secs_f64()
}

/// One run of at least `secs` (wall clock), the clocks read every 200 flows; flows/s by the
/// wall clock and by CPU time.
fn timed_run(secs: f64) -> (f64, f64) {
    let mut s = server(5);
    let mut flow = Flow::new();
    let mut n = 0u64;
    let (wall, cpu) = (wall_now(), cpu_now());
    loop {
        for _ in 0..200 {
            flow.run(&mut s, T0);
        }
        n += 200;
        let elapsed = (wall_now() - wall).as_secs_f64();
        if elapsed >= secs {
            let busy = (cpu_now() - cpu).as_secs_f64();
            return (n as f64 / elapsed, n as f64 / busy);
        }
    }
}

/// Replays of a generated trace of `steps` steps (parse, resolve, step, compare); events/s by
/// the wall clock and by CPU time.
fn replay_path(steps: usize, repeat: usize) -> (f64, f64) {
    let text = generated_trace(7, steps);
    let (wall, cpu) = (wall_now(), cpu_now());
    for _ in 0..repeat {
        let trace = Trace::read(text.as_bytes()).unwrap();
        assert_eq!(replay(&trace).unwrap(), ReplayOutcome::Match { steps });
    }
    let events = (steps * repeat) as f64;
    (
        events / (wall_now() - wall).as_secs_f64(),
        events / (cpu_now() - cpu).as_secs_f64(),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if let Some(steps) = arg("--replay") {
        let repeat = arg("--repeat").unwrap_or(10.0) as usize;
        let (wall, cpu) = replay_path(steps as usize, repeat);
        println!("model_replay_events_per_s={wall:.0} model_replay_events_per_s_cpu={cpu:.0}");
        return;
    }
    if let Some(flows) = arg("--flows") {
        let rate = fixed(flows as u64);
        println!("model_flows_per_s={rate:.0}");
        return;
    }
    let secs = arg("--seconds").unwrap_or(3.0);
    let runs: Vec<(f64, f64)> = (0..3).map(|_| timed_run(secs)).collect();
    let show = |v: &[f64]| {
        v.iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let wall: Vec<f64> = runs.iter().map(|r| r.0).collect();
    let cpu: Vec<f64> = runs.iter().map(|r| r.1).collect();
    println!("model runs (flows/s), wall clock: {}", show(&wall));
    println!("model runs (flows/s), CPU time:   {}", show(&cpu));
    println!(
        "model_flows_per_s={:.0} model_flows_per_s_cpu={:.0}",
        median(wall),
        median(cpu)
    );
}
