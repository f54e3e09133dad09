"""FastMCP 4.2.3's InMemoryOAuthProvider driven in-process: the Python side of compare_fastmcp.sh.

Method of docs/transcripts.md section 3: one asyncio event loop, no HTTP; 3 runs of at
least SECONDS each, the clock (time.perf_counter) read every 200 flows, flows/s = flows / elapsed,
median of the 3. A fresh provider per run; clients accumulate in it, tokens do not. Each run also
reports flows/s by this thread's CPU time (time.thread_time), which other tenants' load on a
shared machine does not inflate.

One flow = construct OAuthClientInformationFull (new uuid4 client_id, token_hex(32) secret) ->
register_client -> authorize (new AuthorizationParams, S256 challenge precomputed) -> parse the
code out of the redirect URL -> load_authorization_code -> the SDK token handler's S256 check
(sha256 + base64url of the verifier, compared with the stored challenge) ->
exchange_authorization_code -> verify_token -> load_refresh_token -> exchange_refresh_token ->
load_access_token -> revoke_token.

Usage:
  python fastmcp_inprocess.py flow [SECONDS]        -> last line: fastmcp_flows_per_s=<wall median> fastmcp_flows_per_s_cpu=<CPU median>
  python fastmcp_inprocess.py memory [PAIRS]        -> last line: fastmcp_bytes_per_pair=<VmHWM growth / pairs>
  python fastmcp_inprocess.py tracemalloc [PAIRS]   -> last line: fastmcp_traced_bytes_per_pair=<...>
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import sys
import time
import uuid
from urllib.parse import parse_qs, urlparse

from fastmcp.server.auth.providers.in_memory import InMemoryOAuthProvider
from mcp.server.auth.provider import AuthorizationParams
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import AnyUrl

CB = "http://localhost:9999/cb"
VERIFIER = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")


def provider() -> InMemoryOAuthProvider:
    return InMemoryOAuthProvider(
        base_url="http://127.0.0.1:8765",
        client_registration_options=ClientRegistrationOptions(enabled=True, valid_scopes=["read", "write"]),
        revocation_options=RevocationOptions(enabled=True),
    )


def new_client() -> OAuthClientInformationFull:
    return OAuthClientInformationFull(
        client_id=str(uuid.uuid4()),
        client_secret=secrets.token_hex(32),
        client_id_issued_at=int(time.time()),
        client_secret_expires_at=0,
        redirect_uris=[CB],
        token_endpoint_auth_method="client_secret_post",
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        scope="read write",
    )


async def issue(p: InMemoryOAuthProvider, client: OAuthClientInformationFull):
    """authorize -> parse code -> load -> S256 check -> exchange: one live pair."""
    url = await p.authorize(
        client,
        AuthorizationParams(
            state="st",
            scopes=["read"],
            code_challenge=CHALLENGE,
            redirect_uri=AnyUrl(CB),
            redirect_uri_provided_explicitly=True,
        ),
    )
    code = parse_qs(urlparse(url).query)["code"][0]
    loaded = await p.load_authorization_code(client, code)
    assert loaded is not None
    hashed = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
    assert hashed == loaded.code_challenge
    return await p.exchange_authorization_code(client, loaded)


async def flow(p: InMemoryOAuthProvider) -> None:
    client = new_client()
    await p.register_client(client)
    tok = await issue(p, client)
    assert await p.verify_token(tok.access_token) is not None
    rt = await p.load_refresh_token(client, tok.refresh_token)
    assert rt is not None
    tok2 = await p.exchange_refresh_token(client, rt, rt.scopes)
    at2 = await p.load_access_token(tok2.access_token)
    assert at2 is not None
    await p.revoke_token(at2)


async def timed_run(seconds: float) -> tuple[float, float]:
    p = provider()
    n = 0
    start, cpu = time.perf_counter(), time.thread_time()
    while True:
        for _ in range(200):
            await flow(p)
        n += 200
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            busy = time.thread_time() - cpu
            assert len(p.access_tokens) == 0 and len(p.refresh_tokens) == 0
            return n / elapsed, n / busy


def vm(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


async def grow(pairs: int, checkpoints: list[int], report) -> InMemoryOAuthProvider:
    p = provider()
    client = new_client()
    await p.register_client(client)
    await issue(p, client)  # one pair first: one-time allocations go into the baseline
    report(1)
    live = 1
    for cp in checkpoints:
        while live < cp:
            await issue(p, client)
            live += 1
        report(cp)
    assert len(p.access_tokens) == pairs and len(p.refresh_tokens) == pairs
    return p


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "flow"
    if mode == "flow":
        seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
        runs = [asyncio.run(timed_run(seconds)) for _ in range(3)]
        wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
        print("fastmcp runs (flows/s), wall clock: " + " / ".join(f"{r:.0f}" for r in wall))
        print("fastmcp runs (flows/s), CPU time:   " + " / ".join(f"{r:.0f}" for r in cpu))
        print(f"fastmcp_flows_per_s={sorted(wall)[1]:.0f} fastmcp_flows_per_s_cpu={sorted(cpu)[1]:.0f}")
    elif mode == "memory":
        pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
        checkpoints = [c for c in (100_000, 250_000, 500_000) if c < pairs] + [pairs]
        base = {}

        def report(n: int) -> None:
            hwm, rss = vm("VmHWM"), vm("VmRSS")
            if n == 1:
                base["hwm"], base["rss"] = hwm, rss
                print(f"baseline: VmHWM {hwm} B, VmRSS {rss} B")
                print(f"{'pairs':>10} {'VmHWM growth':>14} {'VmRSS growth':>14} {'peak B / pair':>16}")
                return
            grown = hwm - base["hwm"]
            print(f"{n:>10} {grown:>14} {rss - base['rss']:>14} {grown / (n - 1):>16.1f}")
            base["last"] = grown / (n - 1)

        asyncio.run(grow(pairs, checkpoints, report))
        print(f"fastmcp_bytes_per_pair={base['last']:.1f}")
    elif mode == "tracemalloc":
        import tracemalloc

        pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
        base = {}

        def report(n: int) -> None:
            current, _peak = tracemalloc.get_traced_memory()
            if n == 1:
                base["cur"] = current
                tracemalloc.reset_peak()
                return
            _, peak = tracemalloc.get_traced_memory()
            print(f"{n} pairs: traced current growth {current - base['cur']} B, peak growth {peak - base['cur']} B")
            base["last"] = (current - base["cur"]) / (n - 1)

        tracemalloc.start()
        asyncio.run(grow(pairs, [pairs], report))
        print(f"fastmcp_traced_bytes_per_pair={base['last']:.1f}")
    else:
        sys.exit(f"unknown mode {mode!r}: flow | memory | tracemalloc")


if __name__ == "__main__":
    main()
