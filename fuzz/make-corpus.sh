#!/usr/bin/env bash
# Regenerate the seed corpus (fuzz/seeds/<target>/golden-NN) from the golden traces in
# tests/golden/, with the seed encoders of oauth_oracle::fuzzing::seeds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rm -rf "$root/fuzz/seeds"
OAUTH_ORACLE_CORPUS_DIR="$root/fuzz/seeds" cargo test --manifest-path "$root/Cargo.toml" \
    --features fuzzing --lib fuzzing::tests::write_seed_corpus -- --ignored --exact
du -sh "$root/fuzz/seeds"/*
