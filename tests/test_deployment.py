"""prefect.yaml for real: a Prefect server, the process pool, `prefect deploy`, a worker, the UI's Run and Resume."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import httpx
import pytest
from factories import submission, write_xlsx
from prefect import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.flow_runs import resume_flow_run
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.params import TIMEZONE
from tasks.config import PROJECT_ROOT
from tasks.rollup import district_cycle

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import generate

PREFECT = str(Path(sys.executable).parent / "prefect")
POOL, QUEUE = "thidua-process", "hong-ngu"
YEARLY, CHECK = "yearly-report/hong-ngu", "collection-check/hong-ngu"
CHILD, CHILD_QUEUE = "district-run/district-run", "district-run"
REOPEN = "reopen-year/hong-ngu"
LEASE_SECONDS = 30  # the least Prefect 3.9 accepts for the deployment lease and the heartbeat


def restart_worker(server) -> None:
    server["restart_worker"]()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, *, timeout: float, what: str, logs: list[Path] = ()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs if p.exists())
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{tails}")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    """Stop a process we started, with everything it spawned (its own process group)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        # A server still holding a client's websocket waits for it to close: in the full suite
        # that was 20 s at every teardown. These processes are throwaway: 5 s, then SIGKILL.
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real `prefect server` on 127.0.0.1 with its own PREFECT_HOME, the pool, the deployments and a worker."""
    root = tmp_path_factory.mktemp("prefect")
    url = f"http://127.0.0.1:{free_port()}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(root / "home"),
        "PREFECT_API_URL": url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        # The intervals that killed a paused run (issue 12), as short as Prefect allows, so the
        # yearly test can wait three of them: the deployment lease and the flow-run heartbeat.
        "PREFECT_SERVER_CONCURRENCY_INITIAL_DEPLOYMENT_LEASE_DURATION": str(LEASE_SECONDS),
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(LEASE_SECONDS),
        "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "5",
        # Schedule a whole year ahead so the yearly run shows whatever the date of the test.
        "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": "P400D",
    }
    logs = [root / "server.log", root / "worker.log"]
    started: list[subprocess.Popen] = []

    def spawn(args: list[str], log: Path, cwd: Path) -> subprocess.Popen:
        with open(log, "ab") as fh:
            process = subprocess.Popen(args, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        started.append(process)
        return process

    def cli(*args: str, cwd: Path = root) -> str:
        done = subprocess.run([PREFECT, "--no-prompt", *args], check=False, cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    try:
        prefect_server = spawn([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", url.split(":")[-1][:-4]],
                               logs[0], root)
        wait_until(lambda: healthy(url) or prefect_server.poll() is not None, timeout=180,
                   what="the Prefect server", logs=logs)
        assert prefect_server.poll() is None, logs[0].read_text(errors="replace")[-3000:]
        cli("work-pool", "create", POOL, "--type", "process")
        cli("work-queue", "create", QUEUE, "--pool", POOL, "--limit", "1")
        deployed = cli("deploy", "--all", cwd=PROJECT_ROOT)
        # As the README starts it: --limit 2 lets the daily check run while a yearly run waits.
        worker = [PREFECT, "worker", "start", "--pool", POOL, "--limit", "2"]
        workers = [spawn(worker, logs[1], root)]

        def restart() -> None:
            stop(workers[-1])
            workers.append(spawn(worker, logs[1], root))

        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield {"url": url, "root": root, "logs": logs, "deployed": deployed, "restart_worker": restart}
    finally:
        for process in reversed(started):
            stop(process)


def next_runs(hour: int, days: range, count: int) -> list[dt.datetime]:
    """When a cron of `hour` on `days` of December fires next, in Vietnam time."""
    now, found, year = dt.datetime.now(TIMEZONE), [], dt.datetime.now(TIMEZONE).year
    while len(found) < count:
        found += [t for d in days if (t := dt.datetime(year, 12, d, hour, tzinfo=TIMEZONE)) > now]
        year += 1
    return found[:count]


def run_input(client, flow_run_id, key: str):
    try:
        return client.read_flow_run_input(flow_run_id, key)
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 404:
            return None
        raise


def scheduled(client, deployment_id) -> list[dt.datetime]:
    runs = client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))),
        sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        limit=3,
    )
    return [r.expected_start_time.astimezone(TIMEZONE) for r in runs]


def state_of(client, run_id):
    return client.read_flow_run(run_id).state


def finished(client, run_id, server, what: str, timeout: float = 240):
    return wait_until(lambda: (s := state_of(client, run_id)) and s.is_final() and s,
                      timeout=timeout, what=what, logs=server["logs"])


@pytest.mark.parametrize(
    "name, cron, hour, days, count",
    [
        (YEARLY, "0 7 20 12 *", 7, range(20, 21), 1),
        (CHECK, "0 6 1-20 12 *", 6, range(1, 21), 3),
    ],
)
def test_deployments_are_scheduled_in_vietnam_time(server, name, cron, hour, days, count):
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
        [schedule] = deployment.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone) == (cron, "Asia/Ho_Chi_Minh")
        assert (deployment.work_pool_name, deployment.work_queue_name) == (POOL, QUEUE)
        # No deployment concurrency limit: its lease does not survive a pause (tasks/guard.py instead).
        assert deployment.global_concurrency_limit is None
        assert deployment.pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(PROJECT_ROOT)}}
        ]
        upcoming = wait_until(lambda: len(d := scheduled(client, deployment.id)) >= count and d,
                              timeout=120, what=f"scheduled runs of {name}", logs=server["logs"])
    assert upcoming[:count] == next_runs(hour, days, count)


def test_scale_on_workers_runs_each_child_through_the_district_run_deployment(server, paused_yearly, tmp_path):
    """Runs while the yearly run of `paused_yearly` waits for sign-off (the worker has room for both)."""
    data = tmp_path / "data"
    generate.generate(scale="district", fmt="csv", out=data, communes=1, processes=1)
    out = tmp_path / "out"

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(CHILD)
        assert deployment.entrypoint == "flows/scale.py:district_run"
        assert (deployment.work_pool_name, deployment.work_queue_name) == (POOL, CHILD_QUEUE)
        # Children share any number of workers: neither the deployment nor its queue limits them.
        assert deployment.global_concurrency_limit is None and deployment.schedules == []
        assert client.read_work_queue_by_name(CHILD_QUEUE, work_pool_name=POOL).concurrency_limit is None
        assert deployment.pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(PROJECT_ROOT)}}
        ]
        schema = deployment.parameter_openapi_schema
        assert schema["required"] == ["folder", "year", "out_dir"]
        assert schema["properties"]["year"]["description"] == "Năm báo cáo."
        assert all(p["description"] for p in schema["properties"].values())
        # The server checks a run's parameters against the schema, as the UI's form does.
        with pytest.raises(httpx.HTTPStatusError, match="409"):
            client.create_flow_run_from_deployment(deployment.id, parameters={"folder": str(data / "HUYEN01")})

    # The operator's command: one district-run flow run per child folder, picked up by the worker.
    done = subprocess.run(
        [str(Path(sys.executable).parent / "thidua"), "scale", "--on-workers", "--year", "2025",
         "--parent", str(data), "--out", str(out)],
        cwd=PROJECT_ROOT, env={**os.environ, "PREFECT_API_URL": server["url"]},
        capture_output=True, text=True, timeout=400,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n" + server["logs"][1].read_text(errors="replace")[-3000:]
    assert "children: 1" in done.stdout and "failed: []" in done.stdout, done.stdout
    with get_client(sync_client=True) as client:
        [child] = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
                                        flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                                            type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))))
    assert child.parameters["folder"] == str(data / "HUYEN01")
    assert (out / "rollup.duckdb").is_file()

    plain = district_cycle(folder=data / "HUYEN01", year=2025, out_dir=tmp_path / "plain")
    for name in ("district_indicators.csv", "award_table.csv"):
        assert (out / "HUYEN01" / "2025" / name).read_text(encoding="utf-8") == \
            (tmp_path / "plain" / "2025" / name).read_text(encoding="utf-8")
    assert plain.accepted == 21


def test_reopen_year_deployment_takes_typed_year_reason_and_name(server):
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(REOPEN)
    assert deployment.entrypoint == "flows/cycle.py:reopen"
    fields = deployment.parameter_openapi_schema["definitions"]["ReopenParams"]
    assert fields["required"] == ["year", "reason", "by"]
    assert fields["properties"]["year"]["type"] == "integer"


@pytest.fixture(scope="module")
def paused_yearly(server, tmp_path_factory):
    """A yearly run from the UI's Run form, paused for sign-off; checked while it waits; the worker restarted.

    Module-scoped: the scale test asks for it, so the three lease intervals the yearly test must
    wait pass while that test runs (one wait for the module, not a wait after it).
    """
    tmp_path = tmp_path_factory.mktemp("yearly")
    subs = tmp_path / "submissions"
    write_xlsx(subs / "2020" / "TTT.xlsx", submission("TTT", 2020, {"so_ho": 1000, "so_ho_ngheo": 50}))
    write_xlsx(subs / "2020" / "TP1.xlsx", submission("TP1", 2020, {"so_ho": 2000, "so_ho_ngheo": 70}))
    out = tmp_path / "out"
    params = {"params": {"year": 2020, "submissions": str(subs), "out": str(out)}}

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(YEARLY)
        # What the UI's "Run" form posts: the deployment's parameters with the operator's changes.
        run = client.create_flow_run_from_deployment(deployment.id, parameters=params)
        paused = wait_until(
            lambda: (s := state_of(client, run.id)) and (s.is_paused() or s.is_final()) and s,
            timeout=300, what="the run to pause for sign-off", logs=server["logs"],
        )
        assert paused.is_paused() and paused.name == "Suspended", f"{paused.type}: {paused.message}"
        keyset = paused.state_details.run_input_keyset
        description = wait_until(lambda: run_input(client, run.id, keyset["description"]),
                                 timeout=60, what="the sign-off form's description", logs=server["logs"])
        assert "Ký duyệt bản dự thảo báo cáo năm 2020" in description and ", lần 1" in description
        assert "/artifacts/key/thidua-validation-2020-" in description
        schema = run_input(client, run.id, keyset["schema"])
        schema = json.loads(schema) if isinstance(schema, str) else schema
        assert schema["properties"]["draft_version"]["default"] == 1
        assert [c["title"] for c in schema["properties"]["decision"]["oneOf"]] == ["Duyệt", "Từ chối"]
        assert "DỰ THẢO" in (out / "2020" / "drafts" / "001" / "bao_cao_2020.md").read_text(encoding="utf-8")

        # While it waits: a second yearly run of the same year ends at once, naming the waiting run...
        second = client.create_flow_run_from_deployment(deployment.id, parameters=params)
        refused = finished(client, second.id, server, "the second yearly run to end")
        # Completed under its own name: any other final state makes Prefect log an ERROR traceback.
        assert (refused.type, refused.name) == (StateType.COMPLETED, "Trùng lượt"), refused
        assert str(run.id) in refused.message and "đang chờ ký duyệt" in refused.message
        # ...and the daily collection check of the same district runs.
        check = client.create_flow_run_from_deployment(client.read_deployment_by_name(CHECK).id,
                                                       parameters={"params": {"year": 2020, "submissions": str(subs),
                                                                              "out": str(out)}})
        assert finished(client, check.id, server, "the collection check").is_completed()

        # A worker restart while it waits; then three lease / heartbeat intervals (30 s each here).
        restart_worker(server)
        paused_at = time.monotonic()
    return {"run": run, "out": out, "paused_at": paused_at}


def test_yearly_run_stays_paused_across_leases_and_a_worker_restart_then_approval_writes_final(server, paused_yearly):
    run, out = paused_yearly["run"], paused_yearly["out"]
    with get_client(sync_client=True) as client:
        time.sleep(max(0.0, 3 * LEASE_SECONDS + 10 - (time.monotonic() - paused_yearly["paused_at"])))
        still = state_of(client, run.id)
        assert still.is_paused() and still.name == "Suspended", f"{still.type}: {still.message}"

        # The server checks the answers against the form's schema, as the UI does before posting.
        with pytest.raises(RuntimeError, match="decision"):
            resume_flow_run(run.id, run_input={"decision": "duyệt", "name": "Nguyễn Thị Duyệt", "draft_version": 1})
        # A resume must name the draft it signs (the UI's form fills it in).
        with pytest.raises(RuntimeError, match="draft_version"):
            resume_flow_run(run.id, run_input={"decision": "approve", "name": "Nguyễn Thị Duyệt"})
        assert state_of(client, run.id).is_paused()
        # What the UI's "Resume" form posts: the reviewer's answers to SignOffInput.
        resume_flow_run(run.id, run_input={"decision": "approve", "name": "Nguyễn Thị Duyệt", "comment": "Đồng ý",
                                           "draft_version": 1})
        final = finished(client, run.id, server, "the run to finish after approval")
        assert final.is_completed(), f"{final.type}: {final.message}"

    signed = json.loads((out / "2020" / "final" / "sign_off.json").read_text(encoding="utf-8"))
    assert (signed["nguoi_duyet"], signed["y_kien"], signed["ban_du_thao"], signed["flow_run_id"]) == \
        ("Nguyễn Thị Duyệt", "Đồng ý", 1, str(run.id))
    assert signed["thoi_diem"].endswith("+07:00")
    for name, digest in signed["sha256"].items():
        assert hashlib.sha256((out / "2020" / "final" / name).read_bytes()).hexdigest() == digest
    report = (out / "2020" / "final" / "bao_cao_2020.md").read_text(encoding="utf-8")
    assert "DỰ THẢO" not in report and "Nguyễn Thị Duyệt" in report
    con = duckdb.connect(str(out / "thidua.duckdb"), read_only=True)
    try:
        stored = con.execute("select flow_run_id, nam, decision, reviewer_name, comment, draft_version "
                             "from sign_off").fetchall()
        guard_rows = con.execute("select count(*) from cycle_guard").fetchone()[0]
    finally:
        con.close()
    assert stored == [(str(run.id), 2020, "approve", "Nguyễn Thị Duyệt", "Đồng ý", 1)]
    assert guard_rows == 0
    assert "Engine execution exited with unexpected exception" not in server["logs"][1].read_text(errors="replace")
