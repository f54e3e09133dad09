# Shared by .ci/fuzz.sh and scripts/fuzz-long.sh (sourced, not run): the cargo-fuzz toolchain,
# the targets, and how a crash is reported.
#
# cargo-fuzz needs nightly-only rustc flags: the nightly toolchain when rustup lists one, else the
# stable one with RUSTC_BOOTSTRAP=1. Targets build without AddressSanitizer (the crate forbids
# unsafe code) but with debug assertions and overflow checks.

fuzz_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_targets=(step trace_parse http_parse model_vs_reference)
fuzz_flags=(--sanitizer none --debug-assertions)
cargo_fuzz_version=0.13.2

fuzz_setup() {
    if ! cargo fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
        echo "fuzz: installing cargo-fuzz $cargo_fuzz_version"
        cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked
    fi
    fuzz_toolchain=()
    if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        fuzz_toolchain=(+nightly)
    else
        export RUSTC_BOOTSTRAP=1
    fi
}

fuzz_build() {
    echo "fuzz: building ${fuzz_targets[*]} (${fuzz_toolchain[*]:-stable with RUSTC_BOOTSTRAP=1})"
    (cd "$fuzz_root/fuzz" && cargo "${fuzz_toolchain[@]}" fuzz build "${fuzz_flags[@]}")
}

# fuzz_run TARGET LOG LIBFUZZER-ARGS... : cargo fuzz run from fuzz/, output into LOG.
fuzz_run() {
    local t=$1 log=$2
    shift 2
    (cd "$fuzz_root/fuzz" && cargo "${fuzz_toolchain[@]}" fuzz run "${fuzz_flags[@]}" "$t" "$@") \
        >"$log" 2>&1
}

# fuzz_report_crash TARGET LOG: the panic message, the reproducer's path and its bytes (base64,
# so a CI log alone is enough to reproduce), and how to keep it as a regression.
fuzz_report_crash() {
    local t=$1 log=$2 artifact
    echo "fuzz: $t CRASHED"
    echo "---- panic message ----"
    grep -A 12 -E "panicked at|^==[0-9]+== ERROR|deadly signal|out-of-memory|timeout after" "$log" \
        | grep -vE '^(note: run with|stack backtrace)' | head -n 40 || true
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ -n "$artifact" ]; then
        case "$artifact" in /*) ;; *) artifact="$fuzz_root/fuzz/$artifact" ;; esac
        echo "---- reproducer: $artifact ($(wc -c <"$artifact") bytes) ----"
        if [ "$(wc -c <"$artifact")" -le 65536 ]; then
            echo "base64:"
            base64 -w 120 "$artifact"
        fi
        echo "---- to keep it: cp '$artifact' fuzz/regressions/$t/ and fix the cause; the test"
        echo "     fuzzing::tests::committed_fuzz_inputs_pass replays every file there ----"
    else
        echo "---- no reproducer written; the log ends: ----"
        tail -n 30 "$log"
    fi
}
