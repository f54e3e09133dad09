//! Memory per live token pair: grows one server to N live pairs (default 10^6; one client,
//! authorize + exchange per pair, nothing else kept) and reports the peak resident set
//! (`VmHWM`) over the growth, minus the baseline, divided by the pairs, at checkpoints.
//!
//! `cargo bench --bench memory` (or `-- 250000` for another N). The last line is
//! machine-readable: `model_bytes_per_pair=<peak growth / N>`.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{Flow, T0, rss, server};

fn main() {
    let pairs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let mut s = server(13);
    let mut flow = Flow::new();
    flow.register(&mut s, T0);
    // One pair first, so one-time allocations (first map tables, buffers) are in the baseline.
    flow.authorize(&mut s, T0);
    flow.exchange(&mut s, T0);
    let (base_hwm, base_rss) = rss();
    println!("baseline: VmHWM {base_hwm} B, VmRSS {base_rss} B");
    println!(
        "{:>10} {:>14} {:>14} {:>16}",
        "pairs", "VmHWM growth", "VmRSS growth", "peak B / pair"
    );
    let mut checkpoints: Vec<usize> = [
        100_000, 250_000, 458_752, 500_000, 917_504, 1_000_000, 2_000_000,
    ]
    .into_iter()
    .filter(|&c| c < pairs)
    .collect();
    checkpoints.push(pairs);
    let mut live = 1;
    for cp in checkpoints {
        while live < cp {
            flow.authorize(&mut s, T0);
            flow.exchange(&mut s, T0);
            live += 1;
        }
        let (hwm, now) = rss();
        let grown = hwm.saturating_sub(base_hwm);
        println!(
            "{cp:>10} {grown:>14} {:>14} {:>16.1}",
            now.saturating_sub(base_rss),
            grown as f64 / (cp - 1) as f64
        );
    }
    let (_, _, access, refresh) = s.provider().sizes();
    assert_eq!((access, refresh), (pairs, pairs));
    let (hwm, _) = rss();
    println!(
        "model_bytes_per_pair={:.1}",
        hwm.saturating_sub(base_hwm) as f64 / (pairs - 1) as f64
    );
}
