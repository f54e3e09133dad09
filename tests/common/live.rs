//! For the tests against the live servers `scripts/test.sh` starts (`fingerprint_live.rs`,
//! `live_providers.rs`, `live_real_servers.rs`).

/// Why a live test is ignored under plain `cargo test`.
pub const NEEDS: &str = "needs the live servers started by scripts/test.sh";

/// The URL `scripts/test.sh` put in the environment variable `var`.
pub fn url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set: run scripts/test.sh ({NEEDS})"))
}
