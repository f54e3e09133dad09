//! The fuzz targets' seed corpus, derived from golden traces (`tests/golden/*.jsonl`): each
//! target gets the golden flows in its own input format, cut short so seeds stay small.
//!
//! - `trace_parse`: the header and the first steps of each trace, as text, with its version-1
//!   header and with the version-2 header this build writes;
//! - `step`: the same steps as trace-event ops (time delta + JSON event with its value
//!   expressions), replayed by [`super::fuzz_step`] against its own server, under each profile;
//! - `http_parse`: a sample of the resolved events as the HTTP requests that carry them;
//! - `model_vs_reference`: each flow's sequence of moves (register, authorize, exchange,
//!   refresh, revoke, resource, time passing) with every choice at its ordinary value.
//!
//! `fuzz/make-corpus.sh` writes them under `fuzz/corpus/<target>/`.

use crate::event::EventStr;

use super::http_input;
use super::moves::{
    OP_AUTHORIZE, OP_EXCHANGE, OP_REFRESH, OP_REGISTER, OP_RESOURCE, OP_REVOKE, OP_SLEEP, PARAMS,
};
use super::requests::OP_TRACE_EVENT;
use crate::event::Event;
use crate::http::to_request_for;
use crate::output::Output;
use crate::trace::{Trace, resolve};

/// Steps of each golden trace kept in a seed.
const STEPS: usize = 16;
/// Requests sampled per golden trace for `http_parse`.
const REQUESTS: usize = 12;

fn read(text: &str) -> Option<Trace> {
    Trace::read(text.as_bytes()).ok()
}

/// The header and first [`STEPS`] lines of each trace, then the same with the header as this
/// build writes it (version 2: every knob of the profile; the golden traces are version 1).
pub fn trace_seeds(golden: &[&str]) -> Vec<Vec<u8>> {
    let current: Vec<String> = golden
        .iter()
        .filter_map(|t| read(t))
        .map(|mut t| {
            t.header.version = crate::trace::VERSION;
            t.to_jsonl()
        })
        .collect();
    golden
        .iter()
        .copied()
        .chain(current.iter().map(String::as_str))
        .map(|t| {
            let mut lines: Vec<&str> = t.lines().take(STEPS + 1).collect();
            lines.push("");
            lines.join("\n").into_bytes()
        })
        .collect()
}

/// The first [`STEPS`] events of each trace as trace-event ops, under `fastmcp` and `oauth21`.
pub fn step_seeds(golden: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for trace in golden.iter().filter_map(|t| read(t)) {
        for profile_bit in [0u8, 1] {
            let mut seed = vec![profile_bit];
            let mut prev = super::START;
            for step in trace.steps.iter().take(STEPS) {
                // An event always serializes (strings, numbers and lists).
                let json = serde_json::to_string(&step.event).unwrap_or_default();
                let Ok(len) = u16::try_from(json.len()) else {
                    continue;
                };
                let delta = u32::try_from(step.at.0.saturating_sub(prev)).unwrap_or(u32::MAX);
                prev = step.at.0;
                seed.push(OP_TRACE_EVENT);
                seed.extend_from_slice(&delta.to_le_bytes());
                seed.extend_from_slice(&len.to_le_bytes());
                seed.extend_from_slice(json.as_bytes());
            }
            out.push(seed);
        }
    }
    out
}

/// The resolved events of each trace (replaying its recorded outputs), with their times.
fn events(trace: &Trace) -> Vec<Event> {
    let outputs: Vec<Output> = trace.steps.iter().map(|s| s.output.clone()).collect();
    trace
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| resolve(&s.event, &outputs[..i], i + 2).ok())
        .collect()
}

/// [`REQUESTS`] requests per trace, spread over it.
pub fn http_seeds(golden: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for trace in golden.iter().filter_map(|t| read(t)) {
        let all = events(&trace);
        let stride = (all.len() / REQUESTS).max(1);
        let config = &trace.header.config;
        for e in all.iter().step_by(stride).take(REQUESTS) {
            let req = to_request_for(e, &config.base_url, &config.mcp_path);
            out.push(http_input::encode(&req));
        }
    }
    out
}

/// Each trace's sequence of moves with ordinary choices, under `fastmcp` and `oauth21`.
pub fn reference_seeds(golden: &[&str]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for trace in golden.iter().filter_map(|t| read(t)) {
        for profile in [0u8, 1] {
            let mut seed = vec![profile, 0];
            let mut prev = super::START;
            for step in trace.steps.iter().take(4 * STEPS) {
                let delta = step.at.0.saturating_sub(prev).min(u64::from(u16::MAX));
                prev = step.at.0;
                if delta > 0 {
                    seed.push(OP_SLEEP);
                    let mut p = [0u8; PARAMS];
                    p[1..3].copy_from_slice(&(delta as u16).to_le_bytes());
                    seed.extend_from_slice(&p);
                }
                let op = match &step.event {
                    Event::Register(_) => OP_REGISTER,
                    Event::Authorize(_) => OP_AUTHORIZE,
                    Event::Token(t) => {
                        let grant = t.form.0.iter().rev().find_map(|(k, v)| {
                            (k.literal() == Some("grant_type")).then(|| v.literal())?
                        });
                        if grant == Some("refresh_token") {
                            OP_REFRESH
                        } else {
                            OP_EXCHANGE
                        }
                    }
                    Event::Revoke(_) => OP_REVOKE,
                    Event::Resource(_) => OP_RESOURCE,
                    Event::AuthorizationServerMetadata
                    | Event::ProtectedResourceMetadata
                    | Event::Introspect(_)
                    | Event::Unrouted(_)
                    | Event::Control(_)
                    | Event::ClientDocument(_) => continue,
                };
                seed.push(op);
                seed.extend_from_slice(&[0u8; PARAMS]);
            }
            out.push(seed);
        }
    }
    out
}

/// Every seed: `(target, file name, bytes)`.
pub fn corpus(golden: &[&str]) -> Vec<(&'static str, String, Vec<u8>)> {
    let named = |target: &'static str, seeds: Vec<Vec<u8>>| {
        seeds
            .into_iter()
            .enumerate()
            .map(move |(i, s)| (target, format!("golden-{i:02}"), s))
    };
    named("trace_parse", trace_seeds(golden))
        .chain(named("step", step_seeds(golden)))
        .chain(named("http_parse", http_seeds(golden)))
        .chain(named("model_vs_reference", reference_seeds(golden)))
        .collect()
}
