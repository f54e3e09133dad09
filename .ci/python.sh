#!/usr/bin/env bash
# CI Python stage: the `oauth-oracle` wheel and the pytest plugin, as a user installs them.
#
#   .ci/python.sh
#
#  1. builds the wheel from this source with maturin (pinned, in a fresh virtualenv):
#     `maturin build --locked` (the root pyproject.toml: `bin` bindings) in the dev profile, which
#     this crate optimizes (Cargo.toml: opt-level 1, dependencies 2): it reuses the dependencies
#     `cargo test` built, where a release build would compile them all again (a user's wheel is
#     built with --release, as README says);
#  2. installs the wheel, python/pytest-oauth-oracle and pytest (pinned) into another fresh
#     virtualenv, and checks that its `oauth-oracle` is the one on PATH (`oauth-oracle --version`);
#  3. runs `pytest python/pytest-oauth-oracle/tests -q` with that virtualenv's binary on PATH;
#  4. installs the wheel, the plugin and python/mcp-client-tests/requirements.txt (FastMCP 4.2.3,
#     pinned as scripts/providers/fastmcp pins it, and pytest) into a third fresh virtualenv and
#     runs the real-client suite `pytest python/mcp-client-tests` with its binary on PATH:
#     FastMCP's own `fastmcp.Client` against `oauth-oracle serve`.
# Fails on any failure, including pytest collecting no test (exit 5). Cargo builds into
# $CARGO_TARGET_DIR (default: target/), so a warm target directory makes step 1 quick.
# PYTHON (default python3) is the interpreter of both virtualenvs.
set -euo pipefail
cd "$(dirname "$0")/.."
MATURIN=maturin==1.16.0
PYTEST=pytest==8.4.2
PYTHON="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
start=$(date +%s)
step() { echo "python: $* (+$(($(date +%s) - start)) s)"; }

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

step "wheel: $MATURIN in a fresh venv, maturin build --locked (dev profile)"
"$PYTHON" -m venv "$scratch/build"
"$scratch/build/bin/pip" install -q "$MATURIN"
"$scratch/build/bin/maturin" build --locked --out "$scratch/dist"
wheels=("$scratch"/dist/oauth_oracle-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
    echo "python: expected one oauth_oracle wheel in $scratch/dist, found: ${wheels[*]}" >&2
    exit 1
fi
echo "python: built $(basename "${wheels[0]}") ($(du -k "${wheels[0]}" | cut -f1) KiB)"

step "install: the wheel, python/pytest-oauth-oracle and $PYTEST in a fresh venv"
"$PYTHON" -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install -q "${wheels[0]}" ./python/pytest-oauth-oracle "$PYTEST"
export PATH="$scratch/venv/bin:$PATH"
if [ "$(command -v oauth-oracle)" != "$scratch/venv/bin/oauth-oracle" ]; then
    echo "python: oauth-oracle on PATH is $(command -v oauth-oracle), not the wheel's" >&2
    exit 1
fi
oauth-oracle --version

# run_pytest DIR: pytest on DIR, quiet; no cache directory in the work tree, temporary files
# (and the saved trace of a failing test) under $scratch (removed on exit).
run_pytest() {
    local rc=0
    pytest "$1" -q -p no:cacheprovider --basetemp "$scratch/pytest-$(basename "$1")" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "python: pytest $1 collected no tests (exit 5): a failure here" >&2
        exit 1
    elif [ "$rc" -ne 0 ]; then
        echo "python: pytest $1 failed (exit $rc)" >&2
        exit "$rc"
    fi
}

step "pytest python/pytest-oauth-oracle/tests"
run_pytest python/pytest-oauth-oracle/tests

step "install: the wheel, the plugin, python/mcp-client-tests/requirements.txt (fastmcp) in a fresh venv"
"$PYTHON" -m venv "$scratch/client-venv"
"$scratch/client-venv/bin/pip" install -q "${wheels[0]}" ./python/pytest-oauth-oracle \
    -r python/mcp-client-tests/requirements.txt
export PATH="$scratch/client-venv/bin:$PATH"
if [ "$(command -v oauth-oracle)" != "$scratch/client-venv/bin/oauth-oracle" ]; then
    echo "python: oauth-oracle on PATH is $(command -v oauth-oracle), not the wheel's" >&2
    exit 1
fi

step "pytest python/mcp-client-tests (fastmcp.Client against oauth-oracle serve)"
run_pytest python/mcp-client-tests
echo "python: done in $(($(date +%s) - start)) s"
