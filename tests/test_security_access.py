"""Access: a Prefect server with basic auth refuses anonymous calls and serves clients and workers that log in."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tasks.config import PROJECT_ROOT

AUTH = "thidua:mat-khau-thu"
PREFECT = str(Path(sys.executable).with_name("prefect"))


def test_server_binds_to_loopback_by_default(monkeypatch):
    monkeypatch.delenv("PREFECT_SERVER_API_HOST", raising=False)
    from prefect.settings import Settings

    assert Settings().server.api.host == "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_UI_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING", PYTHONPATH=str(PROJECT_ROOT), **extra)
    return env


def _call(url: str, *, auth: str | None = None, body: dict | None = None, answer: list | None = None) -> int:
    request = urllib.request.Request(url, data=json.dumps(body or {}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            if answer is not None:
                answer.append(json.loads(response.read()))
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect_home")
    port = _free_port()
    proc = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(home, PREFECT_SERVER_API_AUTH_STRING=AUTH), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
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
    yield api, home
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.parametrize("auth, expected", [(None, 401), ("thidua:sai", 401), (AUTH, 200)],
                         ids=["no credentials", "wrong password", "right credentials"])
def test_api_answers_only_with_the_auth_string(server, auth, expected):
    api, _ = server
    assert _call(f"{api}/flows/filter", auth=auth) == expected


FLOW = """
from prefect import flow

@flow(name="kiem-tra-dang-nhap")
def kiem_tra() -> int:
    return 42

print(kiem_tra())
"""


@pytest.mark.parametrize("auth, works", [(AUTH, True), (None, False)], ids=["with credentials", "without"])
def test_flow_runs_against_the_server_only_with_credentials(server, tmp_path, auth, works):
    api, home = server
    extra = {"PREFECT_API_URL": api} | ({"PREFECT_API_AUTH_STRING": auth} if auth else {})

    result = subprocess.run([sys.executable, "-c", FLOW], env=_env(home, **extra), capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)

    assert (result.returncode == 0 and result.stdout.strip().endswith("42")) is works, result.stderr[-2000:]
    if works:
        runs: list = []
        body = {"flows": {"name": {"any_": ["kiem-tra-dang-nhap"]}}}
        assert _call(f"{api}/flow_runs/filter", auth=AUTH, body=body, answer=runs) == 200
        assert {r["state_type"] for r in runs[0]} == {"COMPLETED"}
    else:
        assert "401" in result.stderr or "Unauthorized" in result.stderr


@pytest.mark.parametrize("auth, works", [(AUTH, True), (None, False)], ids=["with credentials", "without"])
def test_worker_polls_the_server_only_with_credentials(server, tmp_path, auth, works):
    api, home = server
    extra = {"PREFECT_API_URL": api} | ({"PREFECT_API_AUTH_STRING": auth} if auth else {})
    env = _env(home, **extra)
    subprocess.run([PREFECT, "work-pool", "create", "thidua-kiem-tra", "--type", "process"],
                   env=_env(home, PREFECT_API_URL=api, PREFECT_API_AUTH_STRING=AUTH), capture_output=True,
                   text=True, timeout=300)

    result = subprocess.run([PREFECT, "worker", "start", "--pool", "thidua-kiem-tra", "--run-once"], env=env,
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)

    assert (result.returncode == 0) is works, (result.stdout + result.stderr)[-2000:]
    if not works:
        assert "401" in result.stdout + result.stderr
