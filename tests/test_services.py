"""deploy/ for real on PostgreSQL: two workers with one killed mid-province-run; a server restart while a run waits for sign-off."""

from __future__ import annotations

import csv
import os
import signal
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from factories import submission, write_xlsx
from pg_server import services  # noqa: F401  (fixture)
from pg_server import postgres_url  # noqa: F401  (fixture)
from prefect import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.flow_runs import resume_flow_run
from test_deployment import wait_until

from tasks.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import generate  # noqa: E402

CHILDREN = 6  # enough for both workers to hold a child when one dies; the 90 s heartbeat automation sets the pace


def descendants(pid: int) -> list[int]:
    """Every process started, directly or not, by pid (a process of ours)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def running_child(pid: int) -> int | None:
    """The pid of the flow-run process (`python -m prefect.engine`) a worker is running, if any."""
    for kid in descendants(pid):
        try:
            if b"prefect.engine" in Path(f"/proc/{kid}/cmdline").read_bytes():
                return kid
        except OSError:
            continue
    return None


def flow_run_of(pid: int) -> str:
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return next(v.split(b"=", 1)[1].decode() for v in environ if v.startswith(b"PREFECT__FLOW_RUN_ID="))


@pytest.fixture(scope="module")
def waiting_run(services, tmp_path_factory):
    """A yearly run waiting for sign-off, then the server on PostgreSQL stopped and started again.

    Module-scoped so the 100 s it must then wait (past the heartbeat automation) overlap the
    killed-worker test, which asks for it first: the module takes one wait instead of two.
    """
    root = tmp_path_factory.mktemp("waiting")
    subs = root / "submissions"
    write_xlsx(subs / "2020" / "TTT.xlsx", submission("TTT", 2020, {"so_ho": 1000, "so_ho_ngheo": 50}))
    write_xlsx(subs / "2020" / "TP1.xlsx", submission("TP1", 2020, {"so_ho": 2000, "so_ho_ngheo": 70}))
    out = root / "out"
    services.start_worker("worker-district", "hong-ngu")

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("yearly-report/hong-ngu")
        run = client.create_flow_run_from_deployment(
            deployment.id, parameters={"params": {"year": 2020, "submissions": str(subs), "out": str(out)}})
        waiting = wait_until(lambda: (s := client.read_flow_run(run.id).state) and (s.is_paused() or s.is_final()) and s,
                             timeout=400, what="the run to wait for sign-off", logs=services.logs)
        assert waiting.is_paused() and waiting.name == "Suspended", f"{waiting.type}: {waiting.message}"
        suspended_at = time.monotonic()

    services.stop_server()
    services.start_server()
    return {"run_id": run.id, "out": out, "suspended_at": suspended_at}


def test_province_on_two_workers_survives_a_worker_killed_mid_run(services, waiting_run, tmp_path):
    parent = tmp_path / "province"
    generate.generate(scale="nation", fmt="csv", out=parent, folders=CHILDREN, communes=1, processes=1)
    out = tmp_path / "out"
    survivor = services.start_worker("worker-a", "district-run")
    doomed = services.start_worker("worker-b", "district-run")

    result: dict = {}
    operator = threading.Thread(target=lambda: result.update(done=services.thidua(
        "scale", "--on-workers", "--year", "2025", "--parent", str(parent), "--out", str(out), timeout=1200)))
    operator.start()
    # The machine of worker-b dies while it runs a child: the worker and the child's process at once.
    child = wait_until(lambda: running_child(doomed.pid), timeout=300, what="worker-b to start a child",
                       logs=services.logs)
    child_run = flow_run_of(child)
    with get_client(sync_client=True) as client:
        wait_until(lambda: client.read_flow_run(child_run).state.is_running(), timeout=180,
                   what="worker-b's child to run", logs=services.logs)
    time.sleep(2)  # past its first heartbeat, sent as it starts running
    for pid in [child, *descendants(doomed.pid), doomed.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    doomed.wait(timeout=30)
    operator.join(timeout=1300)
    assert survivor.poll() is None, services.tails()
    done = result["done"]
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{services.tails()}"
    assert f"children: {CHILDREN}" in done.stdout and "failed: []" in done.stdout, done.stdout

    # The killed child was marked Crashed by the server's automation and handed out again.
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("district-run/district-run")
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))
    crashed = [r for r in runs if r.state.is_crashed()]
    assert len(crashed) == 1 and "nhịp tim" in crashed[0].state.message, [(r.name, r.state) for r in runs]
    again = [r for r in runs if r.parameters["folder"] == crashed[0].parameters["folder"]]
    assert sorted(r.state.type.value for r in again) == ["COMPLETED", "CRASHED"]
    assert sum(r.state.is_completed() for r in runs) == CHILDREN

    # The roll-up holds every child, each once.
    with open(out / "2025" / "rollup_district_status.csv", encoding="utf-8") as fh:
        status = list(csv.DictReader(fh))
    assert sorted(r["district_code"] for r in status) == [f"TINH{n:02d}" for n in range(1, CHILDREN + 1)]
    con = duckdb.connect(str(out / "rollup.duckdb"), read_only=True)
    try:
        assert con.execute("select trang_thai, count(*) from rollup_run group by all").fetchall() == [("ok", CHILDREN)]
    finally:
        con.close()


def test_yearly_run_waiting_for_sign_off_survives_a_server_restart_then_approval_writes_final(services, waiting_run):
    """The server on PostgreSQL was stopped and started again while the run waits; then the reviewer approves."""
    run_id, out = waiting_run["run_id"], waiting_run["out"]
    # Past the heartbeat automation's 90 s: a run waiting for sign-off is not a dead run.
    time.sleep(max(0.0, 100 - (time.monotonic() - waiting_run["suspended_at"])))
    with get_client(sync_client=True) as client:
        still = client.read_flow_run(run_id).state
        assert still.is_paused() and still.name == "Suspended", f"{still.type}: {still.message}"
        resume_flow_run(run_id, run_input={"decision": "approve", "name": "Nguyễn Thị Duyệt", "comment": "Đồng ý",
                                           "draft_version": 1})
        final = wait_until(lambda: (s := client.read_flow_run(run_id).state) and s.is_final() and s,
                           timeout=400, what="the run to finish after approval", logs=services.logs)
        assert final.is_completed(), f"{final.type}: {final.message}"

    report = (out / "2020" / "final" / "bao_cao_2020.md").read_text(encoding="utf-8")
    assert "DỰ THẢO" not in report and "Nguyễn Thị Duyệt" in report
    con = duckdb.connect(str(out / "thidua.duckdb"), read_only=True)
    try:
        assert con.execute("select flow_run_id, decision, reviewer_name from sign_off").fetchall() == \
            [(str(run_id), "approve", "Nguyễn Thị Duyệt")]
    finally:
        con.close()
