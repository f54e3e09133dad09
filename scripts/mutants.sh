#!/usr/bin/env bash
# Mutation testing of the model's security core with cargo-mutants: do the tests catch a broken
# provider or token/authorize/revoke/client-auth handler?
#
#   scripts/mutants.sh [extra cargo-mutants args, e.g. --sharding round-robin --shard 0/3]
#
# Runs on a scratch copy of HEAD (cargo-mutants edits sources in place there; this checkout is
# never touched), with the test binaries that exercise the model: the unit tests, the invariant
# campaigns, the state machine against the naive reference (OAUTH_ORACLE_SM_CASES, default
# 1000 here), the in-process and transcript probes, trace replay and the snapshots. The live
# provider and serve tests are left out (they need servers, and add nothing the model tests
# miss). Results: <scratch>/mutants.out/{caught,missed,timeout,unviable}.txt; the summary line
# gives the kill rate. About 30 s per mutant on a 2-core machine; ~300 mutants in all, so use
# `--sharding round-robin --shard k/n` to split the run into uniform samples.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${MUTANTS_DIR:-$root/target/mutants-work}"
if ! cargo mutants --version >/dev/null 2>&1; then
    cargo install cargo-mutants --locked --version 27.1.0
fi
mkdir -p "$scratch"
git -C "$root" archive HEAD | tar -x -C "$scratch"
cd "$scratch"
# git archive stamps files with the commit's time; a scratch target built from a mutated file
# later than that would look fresh to cargo. Touch everything so the baseline really rebuilds.
find src tests benches Cargo.toml -type f -exec touch {} +
export OAUTH_ORACLE_SM_CASES="${OAUTH_ORACLE_SM_CASES:-1000}"
cargo mutants --in-place --no-shuffle --timeout 120 --build-timeout 400 \
    --file src/provider/mod.rs --file src/provider/grants.rs --file src/provider/store.rs \
    --file src/endpoint/token.rs --file src/endpoint/authorize.rs \
    --file src/endpoint/revoke.rs --file src/endpoint/client_auth.rs \
    "$@" \
    -- --lib --test invariants --test state_machine \
    --test transcript_main_probe --test transcript_expiry_probe --test trace_replay \
    --test snapshots --test flow_smoke --test profile_knobs --test authorize_errors \
    --test client_secret_expiry --test token_grant_types || true
caught=$(wc -l < mutants.out/caught.txt)
missed=$(wc -l < mutants.out/missed.txt)
timeout=$(wc -l < mutants.out/timeout.txt)
unviable=$(wc -l < mutants.out/unviable.txt)
viable=$((caught + missed + timeout))
echo "mutants: caught $caught, missed $missed, timeout $timeout, unviable $unviable"
if ((viable > 0)); then
    echo "kill rate (caught + timeout) / viable: $(( (caught + timeout) * 1000 / viable / 10 )).$(( (caught + timeout) * 1000 / viable % 10 ))%"
fi
echo "survivors: $scratch/mutants.out/missed.txt"
