"""Start `oauth-oracle serve` and drive it: the manual clock, the session trace, replay.

Standard library only. Every request here goes straight to the server (no proxy from the
environment, no redirect followed), so a test sees exactly what the server answered.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

__all__ = [
    "Clock",
    "OracleError",
    "OracleServer",
    "ReplayMismatch",
    "ReplayResult",
    "Response",
    "ServerOptions",
    "replay_file",
]

#: How long the server may take to print its base URL.
START_TIMEOUT_S = 15.0
#: How long a stopped server may take to exit after SIGTERM before it is killed.
STOP_TIMEOUT_S = 5.0
#: How long one HTTP request (control route or `request()`) may take.
HTTP_TIMEOUT_S = 30.0


class OracleError(RuntimeError):
    """The server could not start, or a control route refused a request."""


class ReplayMismatch(AssertionError):
    """`oauth-oracle replay` did not reproduce the session (exit 1) or could not read it (exit 2)."""

    def __init__(self, result: "ReplayResult") -> None:
        super().__init__(
            f"oauth-oracle replay {result.trace_path} exited {result.returncode}:\n{result.output}"
        )
        self.result = result


@dataclass(frozen=True)
class ServerOptions:
    """Options of `oauth-oracle serve`; None leaves the server's default.

    `scopes` are the scopes accepted at registration (`--valid-scopes`, default "read write"),
    `required_scopes` those the `/mcp` resource requires. Lifetimes are in seconds (server
    defaults: code 300, access 3600, refresh never). `extra_args` are passed as they are
    (e.g. `["--no-revocation"]`), except `--base-url`, `--port`, `--bind` and `--clock`: the fixture
    connects to the URL the server prints, which `--base-url` would replace.
    """

    profile: Optional[str] = None
    seed: Optional[int] = None
    code_ttl: Optional[int] = None
    access_ttl: Optional[int] = None
    refresh_ttl: Optional[int] = None
    scopes: Optional[Sequence[str]] = None
    required_scopes: Optional[Sequence[str]] = None
    start_at_ms: Optional[int] = None
    extra_args: Sequence[str] = ()

    def args(self) -> List[str]:
        """The command-line arguments after `serve --port 0 --clock manual`."""
        for arg in self.extra_args:
            if arg.split("=", 1)[0] in ("--base-url", "--port", "--clock", "--bind"):
                raise ValueError(f"extra_args: {arg} is set by OracleServer.start, not an option")
        out: List[str] = []
        pairs: List[Tuple[str, Any]] = [
            ("--profile", self.profile),
            ("--seed", self.seed),
            ("--code-ttl", self.code_ttl),
            ("--access-ttl", self.access_ttl),
            ("--refresh-ttl", self.refresh_ttl),
            ("--start-at", self.start_at_ms),
        ]
        for flag, value in pairs:
            if value is not None:
                out += [flag, str(value)]
        for flag, scopes in (
            ("--valid-scopes", self.scopes),
            ("--required-scopes", self.required_scopes),
        ):
            if scopes is not None:
                # `--valid-scopes=` so that an empty list is still one argument.
                out.append(f"{flag}={' '.join(_scope_list(scopes))}")
        out += list(self.extra_args)
        return out


def _scope_list(scopes: Union[str, Sequence[str]]) -> List[str]:
    return scopes.split() if isinstance(scopes, str) else list(scopes)


@dataclass(frozen=True)
class Clock:
    """`GET /_oracle/clock`: `mode` is "manual" or "system"; `at` is Unix milliseconds."""

    mode: str
    at: int


@dataclass(frozen=True)
class ReplayResult:
    """What `oauth-oracle replay FILE` did: exit code, its stdout and stderr, the trace file."""

    returncode: int
    output: str
    trace_path: Path


@dataclass
class Response:
    """An HTTP answer as the server sent it (redirects are not followed)."""

    status: int
    headers: Message = field(repr=False)
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102
        return None


# No proxies from the environment (the server is on loopback), no redirects followed.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _http(
    method: str,
    url: str,
    body: Optional[bytes] = None,
    headers: Optional[Mapping[str, str]] = None,
    timeout: float = HTTP_TIMEOUT_S,
) -> Response:
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:  # 3xx (not followed), 4xx, 5xx: answers all the same
        with e:
            return Response(e.code, e.headers, e.read())


@dataclass
class OracleServer:
    """A running `oauth-oracle serve --port 0 --clock manual`, and a client for it.

    `base_url` is the URL the server printed (the issuer, e.g. `http://127.0.0.1:41234`).
    Use it as a context manager, or call `stop()`.
    """

    base_url: str
    process: "subprocess.Popen[bytes]"
    binary: str
    options: ServerOptions = field(default_factory=ServerOptions)
    _workdir: Optional[str] = field(default=None, repr=False)
    _replays: int = field(default=0, repr=False)

    # -- life cycle --------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        binary: str = "oauth-oracle",
        options: Optional[ServerOptions] = None,
        timeout: float = START_TIMEOUT_S,
    ) -> "OracleServer":
        """Start the server on a free port with a manual clock; wait for its base URL."""
        options = options or ServerOptions()
        exe = shutil.which(binary) or binary
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            raise OracleError(
                f"oauth-oracle binary not found: {binary!r}. Install it (`pip install "
                "oauth-oracle`, or `cargo install --locked --path .` in its repository) or pass "
                "--oauth-oracle-bin PATH."
            )
        cmd = [exe, "serve", "--port", "0", "--clock", "manual", *options.args()]
        # A work directory (removed by stop()) for stderr and replayed traces. stderr goes to a
        # file opened for appending: never a pipe that fills up and blocks the server; read
        # through another open file, so reading never moves the server's write offset.
        workdir = tempfile.mkdtemp(prefix="oauth-oracle-")
        with open(os.path.join(workdir, "stderr.log"), "ab") as stderr:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
            )
        try:
            line = _first_line(proc, timeout)
        except BaseException as e:
            _stop(proc)
            detail = _read_text(os.path.join(workdir, "stderr.log")).strip()
            shutil.rmtree(workdir, ignore_errors=True)
            if not isinstance(e, Exception):  # KeyboardInterrupt & co: the server is stopped
                raise
            raise OracleError(
                f"{' '.join(cmd)} did not start ({e}; exit code {proc.returncode}): "
                f"{detail or 'nothing on stderr'}"
            ) from None
        return cls(base_url=line, process=proc, binary=exe, options=options, _workdir=workdir)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> Optional[int]:
        """SIGTERM, wait up to STOP_TIMEOUT_S, then SIGKILL. Returns the exit code."""
        code = _stop(self.process)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        return code

    def stderr(self) -> str:
        """What the server wrote on stderr so far ("" once stopped)."""
        if self._workdir is None:
            return ""
        return _read_text(os.path.join(self._workdir, "stderr.log"))

    def __enter__(self) -> "OracleServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- plain HTTP to the server ------------------------------------------------------------

    def url(self, path: str = "") -> str:
        """`base_url + path` (`url("/mcp")`)."""
        return self.base_url + path

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Union[Mapping[str, str], Sequence[Tuple[str, str]]]] = None,
        json: Any = None,
        form: Optional[Union[Mapping[str, str], Sequence[Tuple[str, str]]]] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Response:
        """One request to the server, as an MCP client would send it; 3xx are not followed.

        `params` go in the query string, `json` or `form` in the body (with their content type).
        Every such request is a step of the session.
        """
        url = self.url(path)
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        hdrs = dict(headers or {})
        body: Optional[bytes] = None
        if json is not None:
            body = _json_dumps(json)
            hdrs.setdefault("Content-Type", "application/json")
        elif form is not None:
            body = urllib.parse.urlencode(form).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return _http(method, url, body, hdrs)

    # -- control routes ----------------------------------------------------------------------

    def clock(self) -> Clock:
        """`GET /_oracle/clock`."""
        data = self._control("GET", "/_oracle/clock")
        return Clock(mode=data["mode"], at=int(data["at"]))

    def now(self) -> int:
        """The server's time, Unix milliseconds."""
        return self.clock().at

    def set_time(self, ms: int) -> int:
        """Move the manual clock to `ms` (Unix milliseconds; never backwards). Returns it."""
        return int(self._control("POST", "/_oracle/clock", {"at": int(ms)})["at"])

    def advance(self, seconds: float) -> int:
        """Move the manual clock forward by `seconds` (rounded to ms). Returns the new time."""
        ms = round(seconds * 1000)
        if ms < 0:
            raise ValueError(f"advance({seconds}): the clock never goes backwards")
        return int(self._control("POST", "/_oracle/clock", {"advance_ms": ms})["at"])

    # -- fault controls: stepped through the model and recorded, so the session still replays --

    def controls(self) -> Dict[str, str]:
        """`GET /_oracle/`: every control route and what its body holds."""
        return dict(self._control("GET", "/_oracle/")["routes"])

    def expire(self, token: Optional[str] = None, client_id: Optional[str] = None) -> Dict[str, Any]:
        """Expire now: one token or code, every token and code of `client_id`, or (neither) all.

        Returns the counts expired: `{"expired": {"access_tokens", "refresh_tokens", "codes"}}`.
        """
        return self._control("POST", "/_oracle/expire", _selection(token, client_id, False))

    def revoke(
        self, token: Optional[str] = None, client_id: Optional[str] = None, grant: bool = False
    ) -> Dict[str, Any]:
        """Revoke now, as the revocation endpoint would: one token (its pair; with `grant`, its
        whole grant), every token and code of `client_id`, or (neither) all."""
        return self._control("POST", "/_oracle/revoke", _selection(token, client_id, grant))

    def fail(
        self,
        endpoint: str,
        status: Optional[int] = None,
        error: Optional[str] = None,
        error_description: Optional[str] = None,
        count: int = 1,
        delay: float = 0.0,
    ) -> Dict[str, Any]:
        """The next `count` answers of `endpoint` (`as_metadata`, `pr_metadata`, `register`,
        `authorize`, `token`, `revoke`, `resource`) are `status`, with a JSON `error` body when
        `error` is given (e.g. `fail("token", 503, "temporarily_unavailable")`); `delay` seconds
        (at most 60) hold each answer — without `status`, the endpoint's own answer, late."""
        payload: Dict[str, Any] = {"endpoint": endpoint, "count": count}
        if status is not None:
            payload["status"] = status
        if delay:
            payload["delay_ms"] = round(delay * 1000)
        if error is not None:
            payload["error"] = error
        if error_description is not None:
            payload["error_description"] = error_description
        return self._control("POST", "/_oracle/fail", payload)

    def deny_consent(self, count: int = 1) -> Dict[str, Any]:
        """The next `count` authorizations redirect with `error=access_denied`."""
        return self._control("POST", "/_oracle/deny-consent", {"count": count})

    def adversary(self, *switches: str) -> Dict[str, Any]:
        """Misbehave, to test a client's defences: any of `wrong_iss`, `issuer_mismatch`,
        `no_new_refresh_token`, `duplicate_code`, `no_token_type` (replaces the previous set;
        none turns them all off)."""
        return self._control("POST", "/_oracle/adversary", {"switches": list(switches)})

    def trace(self) -> str:
        """The session so far as a JSON Lines trace (`GET /_oracle/trace`): header + steps."""
        r = _http("GET", self.url("/_oracle/trace"))
        if r.status != 200:
            raise OracleError(f"GET /_oracle/trace: {r.status} {r.text}")
        return r.text

    def header(self) -> Dict[str, Any]:
        """The trace header (profile, config, seed)."""
        return json.loads(self.trace().splitlines()[0])

    def steps(self) -> List[Dict[str, Any]]:
        """The session's steps, parsed: `{"step", "at", "event": {"kind", ...}, "output": {...}}`."""
        lines = self.trace().splitlines()[1:]
        return [json.loads(line) for line in lines if line.strip()]

    def save_trace(self, path: Union[str, Path]) -> Path:
        """Write the session trace to `path` (parents created); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.trace(), encoding="utf-8")
        return path

    def replay(self, path: Optional[Union[str, Path]] = None, check: bool = True) -> ReplayResult:
        """Save the trace (to `path`, or a temporary file removed by `stop()`) and run
        `oauth-oracle replay` on it.

        Raises ReplayMismatch if the exit code is not 0 (unless `check=False`).
        """
        if path is None:
            if self._workdir is None:
                self._workdir = tempfile.mkdtemp(prefix="oauth-oracle-")
            self._replays += 1
            path = Path(self._workdir) / f"replay-{self._replays}.jsonl"
        return replay_file(self.binary, self.save_trace(path), check=check)

    def _control(self, method: str, path: str, payload: Any = None) -> Dict[str, Any]:
        body = None if payload is None else _json_dumps(payload)
        headers = {} if body is None else {"Content-Type": "application/json"}
        r = _http(method, self.url(path), body, headers)
        if r.status != 200:
            raise OracleError(f"{method} {path}: {r.status} {r.text}")
        data = r.json()
        assert isinstance(data, dict)
        return data


def _selection(token: Optional[str], client_id: Optional[str], grant: bool) -> Dict[str, Any]:
    if token is not None and client_id is not None:
        raise ValueError("give token or client_id, not both")
    payload: Dict[str, Any] = {}
    if token is not None:
        payload["token"] = token
    if client_id is not None:
        payload["client_id"] = client_id
    if grant:
        payload["grant"] = True
    return payload


def replay_file(binary: str, path: Union[str, Path], check: bool = True) -> ReplayResult:
    """Run `binary replay path`: exit 0 iff every recorded output is the model's.

    Raises ReplayMismatch if the exit code is not 0 (1: a step differs; 2: a malformed trace),
    unless `check=False`.
    """
    done = subprocess.run(
        [binary, "replay", str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=300,
    )
    result = ReplayResult(
        returncode=done.returncode,
        output=done.stdout.decode("utf-8", errors="replace"),
        trace_path=Path(path),
    )
    if check and result.returncode != 0:
        raise ReplayMismatch(result)
    return result


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _first_line(proc: "subprocess.Popen[bytes]", timeout: float) -> str:
    """The first stdout line of `proc` (the base URL), within `timeout` seconds.

    Read on a thread (portable, unlike select on a pipe); if the server hangs, the caller stops
    it, which ends the read.
    """
    assert proc.stdout is not None
    stdout = proc.stdout
    got: List[bytes] = []
    reader = threading.Thread(target=lambda: got.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        raise TimeoutError(f"no base URL on stdout within {timeout} s")
    line = got[0].decode("utf-8", errors="replace").strip() if got else ""
    if not line:
        proc.wait(timeout=STOP_TIMEOUT_S)
        raise EOFError("stdout closed before the base URL")
    if not line.startswith("http://"):
        raise ValueError(f"unexpected first line on stdout: {line!r}")
    return line


def _stop(proc: "subprocess.Popen[bytes]") -> Optional[int]:
    if proc.poll() is None:
        try:
            proc.terminate()  # SIGTERM: the server exits 0
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        except ProcessLookupError:
            pass
    if proc.stdout is not None:
        proc.stdout.close()
    return proc.returncode
