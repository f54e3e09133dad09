#!/usr/bin/env bash
# Fuzz smoke: every cargo-fuzz target in fuzz/ runs for a short while; any crash fails.
#
#   .ci/fuzz-smoke.sh [seconds-per-target]     (default 30; env FUZZ_SMOKE_SECONDS too)
#
# Installs cargo-fuzz when missing. Uses the nightly toolchain when rustup lists one, else the
# stable one with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly-only rustc flags). Targets run one
# after another (2 cores: one fuzzer at a time), from the committed seeds in fuzz/seeds/ into a
# scratch corpus, without AddressSanitizer (the crate forbids unsafe code) but with debug
# assertions and overflow checks.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-${FUZZ_SMOKE_SECONDS:-30}}"
targets=(step trace_parse http_parse model_vs_reference)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

cd "$root/fuzz"
flags=(--sanitizer none --debug-assertions)
echo "fuzz-smoke: building ${targets[*]} (${toolchain[*]:-stable with RUSTC_BOOTSTRAP=1})"
cargo "${toolchain[@]}" fuzz build "${flags[@]}"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
    mkdir -p "$scratch/$t"
    echo "fuzz-smoke: $t for ${seconds}s"
    if cargo "${toolchain[@]}" fuzz run "${flags[@]}" "$t" "$scratch/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$scratch/$t.log" 2>&1; then
        grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec)' "$scratch/$t.log" || true
    else
        echo "fuzz-smoke: $t CRASHED; its log ends:"
        tail -n 40 "$scratch/$t.log"
        failed+=("$t")
    fi
done

if ((${#failed[@]})); then
    echo "fuzz-smoke: crashes in ${failed[*]} (reproducers under fuzz/artifacts/)"
    exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets, no crash"
