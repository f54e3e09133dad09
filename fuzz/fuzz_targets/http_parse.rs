//! `http_parse`: fuzzer bytes → an HTTP request → the decoding `serve` uses (query, form, JSON
//! body through the model, `Basic` header) and the response mapping; a decoded event HTTP can
//! carry re-encodes to itself. Logic: `oauth_oracle::fuzzing::fuzz_http_parse`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oauth_oracle::fuzzing::fuzz_http_parse(data));
