#!/usr/bin/env bash
# CI fuzz stage: deterministic, so it passes or fails for a reason, never by chance.
#
#   .ci/fuzz.sh
#
# For every cargo-fuzz target:
#  1. replay: every committed input runs once: the seeds (fuzz/seeds/<target>) and every crash
#     ever found (fuzz/regressions/<target>);
#  2. explore: a fixed number of executions (-runs=) from a fixed seed (-seed=), starting from
#     those inputs. The same code always executes the same inputs.
# A crash prints the panic message and the reproducer (path and base64 bytes) and fails the stage.
# Random, long bug hunts are scripts/fuzz-long.sh TARGET SECONDS, outside CI.
set -euo pipefail
. "$(dirname "$0")/../scripts/fuzz-common.sh"

# Executions per target in the explore phase: about 30 s each on a 2-core machine.
declare -A runs=([step]=25000 [trace_parse]=60000 [http_parse]=30000 [model_vs_reference]=1500)
seed=20261201

fuzz_setup
fuzz_build
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "${fuzz_targets[@]}"; do
    inputs=("seeds/$t")
    [ -d "$fuzz_root/fuzz/regressions/$t" ] && inputs+=("regressions/$t")
    n=$(find "${inputs[@]/#/$fuzz_root/fuzz/}" -type f | wc -l)
    t0=$(date +%s)
    if ! fuzz_run "$t" "$scratch/$t.replay.log" "${inputs[@]}" -- -runs=0; then
        fuzz_report_crash "$t" "$scratch/$t.replay.log"
        failed+=("$t")
        continue
    fi
    mkdir -p "$scratch/corpus-$t"
    if fuzz_run "$t" "$scratch/$t.log" "$scratch/corpus-$t" "${inputs[@]}" -- \
        -seed="$seed" -runs="${runs[$t]}" -print_final_stats=1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t.log")
        echo "fuzz: $t: $n committed inputs replayed, then ${execs:-?} executions from seed $seed: no crash ($(( $(date +%s) - t0 )) s)"
    else
        fuzz_report_crash "$t" "$scratch/$t.log"
        failed+=("$t")
    fi
done

if ((${#failed[@]})); then
    echo "fuzz: crashes in ${failed[*]}"
    exit 1
fi
echo "fuzz: ${#fuzz_targets[@]} targets, no crash"
