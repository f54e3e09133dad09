#!/usr/bin/env bash
# Side by side, same machine, same run: FastMCP 4.2.3's InMemoryOAuthProvider in-process (Python)
# against the model, for the complete flow (flows/s) and memory per live token pair.
#
# Usage: [SECONDS_PER_RUN=3] [PAIRS=1000000] [CORE=1] benches/compare_fastmcp.sh
#
# - Python: benches/fastmcp_inprocess.py in the pinned venv of scripts/providers/fastmcp/start.sh
#   (${OAUTH_ORACLE_BUILD:-target}/providers/fastmcp-venv, created from requirements.txt the same
#   way, with the same stamp, if missing or stale).
# - Model: benches/side_by_side.rs and benches/memory.rs, release build.
# - Both timed the way docs/transcripts.md §3 times FastMCP: 3 runs of at least
#   SECONDS_PER_RUN s, clock read every 200 flows, median. One process at a time, pinned to
#   core CORE with taskset when available. Flows/s are given by the wall clock (the method of
#   §3) and by the benchmarking thread's CPU time (immune to other tenants' load on a shared
#   machine); the machine's idle share during each timed part is printed beside it.
# - Memory: peak resident set (VmHWM) growth while one client's live pairs grow to PAIRS, over
#   PAIRS.
# Prints both figures, the ratios, and issue 6's goals (>= 50x the flows/s, <= 1/5 the bytes).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source=../scripts/providers/common.sh
. "$ROOT/scripts/providers/common.sh"
cd "$ROOT"

SECONDS_PER_RUN="${SECONDS_PER_RUN:-3}"
PAIRS="${PAIRS:-1000000}"
CORE="${CORE:-1}"
PYTHON="${PYTHON:-python3}"

# 1. The pinned FastMCP venv (as scripts/providers/fastmcp/start.sh makes it).
REQ="$ROOT/scripts/providers/fastmcp/requirements.txt"
VENV="$(provider_build_dir)/fastmcp-venv"
STAMP="$VENV/.requirements.sha256"
want_sha="$(file_sha "$REQ")"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null || true)" != "$want_sha" ]; then
  log "creating $VENV (fastmcp==4.2.3 and its pinned dependencies)..."
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2
  "$VENV/bin/python" -m pip check >&2
  printf '%s\n' "$want_sha" > "$STAMP"
fi
PY="$VENV/bin/python"
"$PY" -c 'import fastmcp, mcp.shared.auth; assert fastmcp.__version__ == "4.2.3", fastmcp.__version__'

# 2. The model's binaries (built before anything is timed).
bench_exe() {
  cargo bench --no-run --bench "$1" --message-format=json 2>/dev/null |
    "$PY" -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$1" | tail -n 1
}
log "building the model's benchmarks (release)..."
cargo bench --no-run --bench side_by_side --bench memory >&2
SIDE="$(bench_exe side_by_side)"
MEM="$(bench_exe memory)"

PIN=()
if command -v taskset >/dev/null 2>&1; then PIN=(taskset -c "$CORE"); fi

value() { grep -oE "(^| )$1=[0-9.]+" | tail -n 1 | cut -d= -f2; }

# idle share of the machine since the last call (50% = one busy core of two).
IDLE_T=0; IDLE_I=0
idle_since() {
  local a b c d e f g h t i
  read -r _ a b c d e f g h _ < /proc/stat
  t=$((a+b+c+d+e+f+g+h)); i=$((d+e))
  if [ "$IDLE_T" -gt 0 ]; then echo "machine idle during this part: $(( 100*(i-IDLE_I)/(t-IDLE_T) ))% (50% = this benchmark alone on one of 2 cores)"; fi
  IDLE_T=$t; IDLE_I=$i
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pinned to: ${PIN[*]:-(no taskset)}; runs: 3 x >= ${SECONDS_PER_RUN} s, median; memory: ${PAIRS} live pairs"
echo

echo "== complete flow: FastMCP in-process (Python)"
idle_since >/dev/null
py_out="$("${PIN[@]}" "$PY" "$HERE/fastmcp_inprocess.py" flow "$SECONDS_PER_RUN")"
echo "$py_out"; idle_since
py_flows="$(value fastmcp_flows_per_s <<<"$py_out")"
py_cpu="$(value fastmcp_flows_per_s_cpu <<<"$py_out")"

echo "== complete flow: the model (six events through AuthServer::apply)"
rs_out="$("${PIN[@]}" "$SIDE" --seconds "$SECONDS_PER_RUN")"
echo "$rs_out"; idle_since
rs_flows="$(value model_flows_per_s <<<"$rs_out")"
rs_cpu="$(value model_flows_per_s_cpu <<<"$rs_out")"

echo "== memory per live token pair: FastMCP (VmHWM growth)"
py_mem_out="$("${PIN[@]}" "$PY" "$HERE/fastmcp_inprocess.py" memory "$PAIRS")"
echo "$py_mem_out"
py_mem="$(value fastmcp_bytes_per_pair <<<"$py_mem_out")"

echo "== memory per live token pair: the model (VmHWM growth)"
rs_mem_out="$("${PIN[@]}" "$MEM" "$PAIRS")"
echo "$rs_mem_out"
rs_mem="$(value model_bytes_per_pair <<<"$rs_mem_out")"

echo
"$PY" - "$py_flows" "$rs_flows" "$py_cpu" "$rs_cpu" "$py_mem" "$rs_mem" <<'EOF'
import sys
py_flows, rs_flows, py_cpu, rs_cpu, py_mem, rs_mem = map(float, sys.argv[1:])
mem = py_mem / rs_mem
print(f"{'':34} {'FastMCP':>12} {'model':>12} {'ratio':>8}  goal")
for name, py, rs in (("complete flows/s (wall clock)", py_flows, rs_flows), ("complete flows/s (CPU time)", py_cpu, rs_cpu)):
    speed = rs / py
    print(f"{name:34} {py:>12,.0f} {rs:>12,.0f} {speed:>7.1f}x  >= 50x and >= 1,000,000/s: "
          f"{'met' if speed >= 50 and rs >= 1e6 else 'missed'}")
print(f"{'bytes per live token pair (peak)':34} {py_mem:>12,.0f} {rs_mem:>12,.0f} {mem:>7.2f}x  model <= 1/5 of FastMCP: "
      f"{'met' if mem >= 5 else 'missed'}")
EOF
