//! `model_vs_reference`: fuzzer bytes → abstract client moves through the model and the naive
//! reference model of `tests/reference/`, which must agree on every status, error code and
//! description (and, under `fastmcp` and `oauth21`, on the invariants).
//! Logic: `oauth_oracle::fuzzing::fuzz_model_vs_reference`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oauth_oracle::fuzzing::fuzz_model_vs_reference(data));
