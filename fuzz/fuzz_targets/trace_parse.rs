//! `trace_parse`: fuzzer bytes → the trace reader, value-expression resolution and replay (one
//! pass and two phases, the same answer): an error or a value, never a panic; a trace that reads
//! survives writing and reading back.
//! Logic: `oauth_oracle::fuzzing::fuzz_trace_parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oauth_oracle::fuzzing::fuzz_trace_parse(data));
