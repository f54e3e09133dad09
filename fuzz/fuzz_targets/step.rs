//! `step`: fuzzer bytes → a sequence of requests through the model (valid-shaped ones built from
//! what the server issued, garbage, and trace events), every step checked by the invariant
//! checker under the profile byte 0 chooses: `oauth21` breaks nothing, `fastmcp` only its
//! documented deviations. Logic: `oauth_oracle::fuzzing::fuzz_step`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| oauth_oracle::fuzzing::fuzz_step(data));
