"""A failing test leaves its session trace, and the trace replays."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

INNER = '''
import pytest

def register(server):
    return server.request("POST", "/register", json={
        "redirect_uris": ["http://127.0.0.1:3000/cb"], "token_endpoint_auth_method": "none"})

def test_fails(oauth_server):
    assert register(oauth_server).status == 201
    oauth_server.advance(10)
    assert oauth_server.request("POST", "/mcp").status == 200  # no token: 401, the test fails

def test_passes(oauth_server):
    assert register(oauth_server).status == 201

@pytest.mark.xfail(strict=True)
def test_expected_to_fail(oauth_server):
    register(oauth_server)
    assert False
'''


def steps_of(path: Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def test_a_failing_test_saves_its_trace(pytester: pytest.Pytester, oauth_oracle_bin: str, tmp_path: Path) -> None:
    pytester.makepyfile(test_inner=INNER)
    traces = tmp_path / "traces"
    result = pytester.runpytest(
        "-p", "no:cacheprovider",
        f"--oauth-oracle-bin={oauth_oracle_bin}",
        f"--oauth-oracle-trace-dir={traces}",
        f"--junitxml={tmp_path / 'junit.xml'}",
    )
    result.assert_outcomes(passed=1, failed=1, xfailed=1)

    # Only the failing test's trace is saved, named after its node id.
    saved = traces / "test_inner.py_test_fails.jsonl"
    assert sorted(p.name for p in traces.iterdir()) == [saved.name]
    assert [s["event"]["kind"] for s in steps_of(saved)] == ["register", "resource"]
    assert [s["output"]["status"] for s in steps_of(saved)] == [201, 401]
    assert steps_of(saved)[1]["at"] == steps_of(saved)[0]["at"] + 10_000

    # The failure report says where it is and how to replay it; so does the JUnit XML.
    result.stdout.fnmatch_lines(["*- oauth-oracle -*", f"*session trace of http://127.0.0.1:* saved: {saved}"])
    result.stdout.fnmatch_lines([f"replay it: *oauth-oracle replay {saved}"])
    assert f'name="oauth_oracle_trace" value="{saved}"' in (tmp_path / "junit.xml").read_text()

    # And it replays: the model reproduces every answer of the failing session.
    done = subprocess.run([oauth_oracle_bin, "replay", str(saved)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_a_trace_dir_the_trace_goes_to_tmp_path(pytester: pytest.Pytester, oauth_oracle_bin: str) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:cacheprovider", f"--oauth-oracle-bin={oauth_oracle_bin}", "-k", "test_fails")
    result.assert_outcomes(failed=1)
    line = next(l for l in result.outlines if " saved: " in l)
    saved = Path(line.split(" saved: ", 1)[1])
    assert saved.name == "test_inner.py_test_fails.jsonl"
    assert saved.parent.name.startswith("test_fails")  # the inner test's tmp_path
    assert len(steps_of(saved)) == 2


def test_a_missing_binary_is_an_error_naming_the_option(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:cacheprovider", f"--oauth-oracle-bin={tmp_path / 'nope'}", "-k", "test_passes")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*OracleError: oauth-oracle binary not found*--oauth-oracle-bin PATH*"])
