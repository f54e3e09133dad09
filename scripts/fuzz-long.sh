#!/usr/bin/env bash
# A long, random bug hunt on one cargo-fuzz target (not part of CI, which is deterministic):
#
#   scripts/fuzz-long.sh TARGET SECONDS        e.g. scripts/fuzz-long.sh step 600
#
# Fuzzes from fuzz/corpus/TARGET (kept between runs, ignored by git), the committed seeds and
# regressions, with a random seed. What it finds must become a committed regression
# (fuzz/regressions/TARGET/, replayed by CI and by `cargo test --features fuzzing`) and a fix.
set -euo pipefail
. "$(dirname "$0")/fuzz-common.sh"
t=${1:?usage: scripts/fuzz-long.sh TARGET SECONDS (targets: ${fuzz_targets[*]})}
seconds=${2:?usage: scripts/fuzz-long.sh TARGET SECONDS}
[[ " ${fuzz_targets[*]} " == *" $t "* ]] || { echo "unknown target $t (${fuzz_targets[*]})" >&2; exit 2; }

fuzz_setup
fuzz_build
inputs=("seeds/$t")
[ -d "$fuzz_root/fuzz/regressions/$t" ] && inputs+=("regressions/$t")
mkdir -p "$fuzz_root/fuzz/corpus/$t"
log="$(mktemp)"
echo "fuzz-long: $t for ${seconds}s (log $log)"
if fuzz_run "$t" "$log" "corpus/$t" "${inputs[@]}" -- -max_total_time="$seconds" -print_final_stats=1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$log" || true
    echo "fuzz-long: $t: no crash in ${seconds}s"
else
    fuzz_report_crash "$t" "$log"
    exit 1
fi
