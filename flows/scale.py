"""Province and nation runs: fan the district-like cycles out, then roll their marts up into one.

Two ways to spread the children (docs/scale.md):

- `province_run`: one flow on this machine; one Prefect task per child, mapped over a
  `ThreadPoolTaskRunner`, each handing its cycle to a shared pool of warm worker processes
  (parsing and validation are CPU-bound: threads alone would share one GIL);
- `province_run_on_workers`: one flow run of the `district-run` deployment per child, picked up by
  however many Prefect workers serve its work pool, on any machine that sees the folders.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import without_heartbeat
from tasks.aggregate import aggregate as aggregate_marts
from tasks.aggregate import write_outputs
from tasks.config import PROJECT_ROOT, load_config
from tasks.ingest import ingest_year
from tasks.rollup import ChildRun, child_counts, child_folders, cycle_stages, district_cycle, rollup
from tasks.validate import validate_year

# Children of a nation run are whole districts: one task each keeps Prefect's cost per child to a
# single task run, whatever the number of units (docs/scale.md, "Prefect's cost").
roll_up = task(rollup, name="rollup", cache_policy=NO_CACHE)
# A deployment's child run shows each stage, as the yearly flow does (reading the config is not one:
# it takes milliseconds, and a task run costs more than that).
STAGES = {stage: task(fn, name=name, cache_policy=NO_CACHE) for stage, name, fn in (
    ("ingest", "ingest", ingest_year), ("validate", "validate", validate_year),
    ("aggregate", "aggregate", aggregate_marts), ("write", "write-outputs", write_outputs))}


def _quiet_worker() -> None:
    for key in ("GX_ANALYTICS_ENABLED", "PREFECT_SERVER_ANALYTICS_ENABLED"):
        os.environ.setdefault(key, "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


@task(name="district-cycle", cache_policy=NO_CACHE)
def cycle_in_pool(pool: ProcessPoolExecutor, folder: Path, year: int, out_dir: Path, period_years: int):
    """One child's cycle in a warm worker process; the Prefect task run tracks it in the UI."""
    return pool.submit(district_cycle, folder=folder, year=year, out_dir=out_dir, period_years=period_years).result()


def _anchored(path: Path | str) -> Path:
    path = Path(path)
    return path if path.is_absolute() else PROJECT_ROOT / path


@flow(name="district-run")
def district_run(folder: Path, year: int, out_dir: Path, period_years: int = 1) -> dict:
    """One child folder's cycle, stage by stage: the unit of work a deployment hands to a worker.

    Args:
        folder: Thư mục của đơn vị con: config/ (units.yaml, indicators.yaml, ...) và submissions/<năm>/.
        year: Năm báo cáo.
        out_dir: Thư mục kết quả riêng của đơn vị con (thidua.duckdb, CSV, xlsx).
        period_years: Số năm của kỳ báo cáo, kết thúc ở năm báo cáo.
    """
    folder, out_dir = _anchored(folder), _anchored(out_dir)
    db = out_dir / "thidua.duckdb"
    config = load_config(folder / "config")
    # quote: Prefect would otherwise walk every unit and indicator of the config looking for futures,
    # at each of the four calls (docs/scale.md, "Prefect's cost per district run").
    ingested, summary, written = cycle_stages(
        config=quote(config), submissions_dir=folder / "submissions", year=year, period_years=period_years,
        db_path=db, out_dir=out_dir, stages=STAGES, flow_run_id=str(flow_run.id))
    return {"district_code": config.district.code, "db_path": str(db), "files": len(ingested.files),
            "accepted": summary.count("accepted"), "rejected": summary.count("rejected"),
            "missing": summary.count("missing"), "outputs": [str(p) for p in written]}


def run_district(folder: Path | str, year: int, out_dir: Path | str, *, period_years: int = 1) -> dict:
    """district_run called from Python with plain paths, without the flow-run heartbeat (see `without_heartbeat`)."""
    with without_heartbeat():
        return district_run(folder=Path(folder), year=year, out_dir=Path(out_dir), period_years=period_years)


# Threads only wait on the process pool, so there may be more of them than CPUs.
@flow(name="province-run", task_runner=ThreadPoolTaskRunner(max_workers=64))
def province_run(parent_dir: Path, year: int, out_dir: Path, period_years: int = 1,
                 workers: int | None = None) -> dict:
    """Every child folder of parent_dir → its own DuckDB file under out_dir/<child>/ → out_dir/rollup.duckdb.

    workers: processes running cycles at once (default: one per CPU).
    """
    parent_dir, out_dir = _anchored(parent_dir), _anchored(out_dir)
    folders = child_folders(parent_dir)
    # Prefect 3.9's ProcessPoolTaskRunner started every task's process cold and took 110 s for
    # four trivial tasks here (docs/scale.md); a plain spawn pool keeps its workers warm.
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count(), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_quiet_worker) as pool:
        futures = cycle_in_pool.map(pool=unmapped(pool), folder=folders, year=unmapped(year),
                                    out_dir=[out_dir / f.name for f in folders], period_years=unmapped(period_years))
        runs = [f.result() for f in futures]
    written = roll_up(runs=runs, year=year, db_path=out_dir / "rollup.duckdb", out_dir=out_dir)
    return _summary(runs, written)


def run_province(parent_dir: Path | str, year: int, out_dir: Path | str, *, workers: int | None = None,
                 period_years: int = 1) -> dict:
    """province_run called from Python with plain paths (no heartbeat, see `without_heartbeat`)."""
    with without_heartbeat():
        return province_run(parent_dir=Path(parent_dir), year=year, out_dir=Path(out_dir),
                            period_years=period_years, workers=workers)


@flow(name="province-run-on-workers")
def province_run_on_workers(parent_dir: Path, year: int, out_dir: Path, period_years: int = 1,
                            deployment: str = "district-run/district-run", poll_seconds: float = 1.0,
                            retries: int = 1) -> dict:
    """One `district-run` deployment run per child; waits for all, then rolls up what finished.

    A child whose run ends Crashed (its worker or machine died; the server's heartbeat automation in
    deploy/automations.yaml marks it so) is handed to the workers again, up to `retries` times; a
    child that never completes is a failed row of rollup_run, named in the summary's `failed`.
    """
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    parent_dir, out_dir = _anchored(parent_dir), _anchored(out_dir)
    folders = child_folders(parent_dir)

    def submit(f: Path):
        # timeout=0 only creates the run: every child is queued at once and the workers share them.
        return run_deployment(name=deployment, timeout=0, parameters={
            "folder": str(f), "year": year, "out_dir": str(out_dir / f.name), "period_years": period_years,
        })

    flow_runs = [submit(f) for f in folders]
    tries = [0] * len(folders)
    started = time.perf_counter()
    states: dict[int, object] = {}
    with get_client(sync_client=True) as client:
        while len(states) < len(flow_runs):
            for n, fr in enumerate(flow_runs):
                if n in states:
                    continue
                state = client.read_flow_run(fr.id).state
                if state is not None and state.is_crashed() and tries[n] < retries:
                    tries[n] += 1
                    flow_runs[n] = submit(folders[n])
                elif state is not None and state.is_final():
                    states[n] = state
            time.sleep(poll_seconds)
    runs = []
    for n, folder in enumerate(folders):
        state = states[n]
        code = load_config(folder / "config").district.code
        db = out_dir / folder.name / "thidua.duckdb"
        ok = state.is_completed() and db.exists()
        run = ChildRun(code, str(folder), str(db) if db.exists() else None, "ok" if ok else "failed",
                       None if ok else (state.message or state.name), time.perf_counter() - started)
        if ok:
            run.accepted, run.rejected, run.missing = child_counts(db, year)
        runs.append(run)
    written = roll_up(runs=runs, year=year, db_path=out_dir / "rollup.duckdb", out_dir=out_dir)
    return _summary(runs, written)


def _summary(runs: list[ChildRun], written: list[Path]) -> dict:
    return {
        "children": len(runs),
        "failed": [r.district_code for r in runs if r.trang_thai != "ok"],
        "accepted": sum(r.accepted for r in runs),
        "rejected": sum(r.rejected for r in runs),
        "missing": sum(r.missing for r in runs),
        "outputs": [str(p) for p in written],
    }


if __name__ == "__main__":
    # Generate first: uv run python bench/generate.py --scale nation --format csv --out /tmp/thidua-nation
    print(run_province("/tmp/thidua-nation", 2025, "/tmp/thidua-nation-out"))
