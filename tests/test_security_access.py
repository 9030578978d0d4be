"""Access: thidua's flows and deployments behind a Prefect server with basic auth, started as the README says.

One server for the module (`prefect server start --host 127.0.0.1` with PREFECT_SERVER_API_AUTH_STRING);
clients and workers get PREFECT_API_AUTH_STRING, or nothing.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from factories import write_xlsx
from test_validation import clean_sheets

from tasks.config import PROJECT_ROOT

AUTH = "thidua:mat-khau-thu"
BIN = Path(sys.executable).parent
POOL, QUEUE, CHECK = "thidua-process", "hong-ngu", "collection-check/hong-ngu"
YEAR = 2020


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               GX_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING", **extra)
    return env


def _call(url: str, *, auth: str | None = None, body: dict | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, data=json.dumps(body or {}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The README's server command with an auth string; tiny submissions of two units for 2020."""
    root = tmp_path_factory.mktemp("access")
    for code in ("GDDT", "TTT"):
        write_xlsx(root / "submissions" / str(YEAR) / f"{code}.xlsx", clean_sheets(code, YEAR))
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(root / "home", PREFECT_SERVER_API_AUTH_STRING=AUTH), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=5) as response:  # health stays open for probes
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if proc.poll() is not None:
            pytest.fail(proc.stdout.read())
        time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("prefect server did not start in 180 s")
    yield {"api": api, "port": port, "root": root}
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _as(server, auth: str | None) -> dict[str, str]:
    return _env(server["root"] / "home", PREFECT_API_URL=server["api"],
                **({"PREFECT_API_AUTH_STRING": auth} if auth else {}))


def _run(args: list[str], server, auth: str | None, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=_as(server, auth), cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _flow_runs(server, flow_name: str) -> list[dict]:
    status, runs = _call(f"{server['api']}/flow_runs/filter", auth=AUTH,
                         body={"flows": {"name": {"any_": [flow_name]}}})
    assert status == 200
    return runs


def test_readme_server_command_listens_on_loopback_only(server):
    """Every socket listening on the server's port, read from the kernel's table, is 127.0.0.1."""
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:] + Path("/proc/net/tcp6").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port = local.rsplit(":", 1)
        if state == "0A" and int(port, 16) == server["port"]:  # 0A: LISTEN
            listening.add(address)
    assert listening == {"0100007F"}  # 127.0.0.1, little-endian hex; no 0.0.0.0, no IPv6


@pytest.mark.parametrize("auth, expected", [(None, 401), ("thidua:sai", 401), (AUTH, 200)],
                         ids=["no credentials", "wrong password", "right credentials"])
def test_api_answers_only_with_the_auth_string(server, auth, expected):
    assert _call(f"{server['api']}/flows/filter", auth=auth)[0] == expected


@pytest.mark.parametrize("auth", [AUTH, None], ids=["with credentials", "without"])
def test_thidua_validate_runs_its_flow_on_the_server_only_with_credentials(server, tmp_path, auth):
    done = _run([str(BIN / "thidua"), "validate", "--year", str(YEAR), "--submissions",
                 str(server["root"] / "submissions"), "--out", "out"], server, auth, tmp_path)

    if auth:
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.startswith(f"Năm {YEAR}: 2 đơn vị được chấp nhận")
        assert {r["state_type"] for r in _flow_runs(server, "collection-check")} == {"COMPLETED"}
    else:
        assert (done.returncode, done.stdout) == (1, "")
        assert done.stderr.splitlines()[-1].startswith("thidua: máy chủ Prefect từ chối (401 Unauthorized)")
    assert (tmp_path / "out" / str(YEAR) / "validation" / "index.html").is_file() is bool(auth)


def test_deployments_are_created_and_run_by_a_worker_only_with_credentials(server, tmp_path):
    prefect = str(BIN / "prefect")
    refused = _run([prefect, "--no-prompt", "deploy", "--all"], server, None, PROJECT_ROOT)
    assert refused.returncode != 0 and "401" in refused.stdout + refused.stderr

    for args in (["work-pool", "create", POOL, "--type", "process"],
                 ["work-queue", "create", QUEUE, "--pool", POOL, "--limit", "1"], ["deploy", "--all"]):
        done = _run([prefect, "--no-prompt", *args], server, AUTH, PROJECT_ROOT)
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    params = {"params": {"year": YEAR, "submissions": str(server["root"] / "submissions"), "out": str(tmp_path / "out")}}
    queued = _run([prefect, "deployment", "run", CHECK, "--params", json.dumps(params)], server, AUTH, tmp_path)
    assert queued.returncode == 0, queued.stderr[-3000:]

    worker = [prefect, "worker", "start", "--pool", POOL, "--work-queue", QUEUE, "--run-once"]
    anonymous = _run(worker, server, None, tmp_path)
    assert anonymous.returncode != 0 and "401" in anonymous.stdout + anonymous.stderr
    assert not (tmp_path / "out").exists()

    logged_in = _run(worker, server, AUTH, tmp_path)

    assert logged_in.returncode == 0, (logged_in.stdout + logged_in.stderr)[-3000:]
    # prefect.yaml's schedule adds runs of its own (1–20 December); this is the run asked for above.
    [run] = [r for r in _flow_runs(server, "collection-check")
             if r["parameters"].get("params", {}).get("out") == params["params"]["out"]]
    assert run["state_type"] == "COMPLETED"
    assert (tmp_path / "out" / str(YEAR) / "validation" / "index.html").is_file()
