"""Faults: a run killed with SIGKILL at any point, then rerun, ends exactly where an undisturbed run does."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tasks.config import PROJECT_ROOT, load_config

SAMPLE = PROJECT_ROOT / "data" / "sample" / "submissions"
YEAR = 2020
STAGES = ("ingest", "validate", "aggregate")

# The child prints a line at each stage boundary so the parent can aim its kill inside a stage.
CHILD = """
import sys
from pathlib import Path
from tasks.config import load_config
import shutil
db, out, submissions, year, stages = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split(",")
checkpoints = Path(sys.argv[6]) if len(sys.argv) > 6 else None
from tasks.ingest import ingest_year
from tasks.aggregate import aggregate, write_outputs
if "validate" in stages:
    from tasks.validate import validate_year
config = load_config()
print("ready", flush=True)
for stage in stages:
    print("start", stage, flush=True)
    if stage == "ingest":
        ingest_year(config, submissions, year, db)
    elif stage == "validate":
        validate_year(config, year, db)
    elif stage == "aggregate":
        aggregate(config, year, 1, db)
        write_outputs(config, year, 1, db, out)
    if checkpoints:  # every stage has closed the database when it returns: a copy is consistent
        shutil.copytree(db.parent, checkpoints / stage)
    print("done", stage, flush=True)
"""


def _child(db: Path, out: Path, stages, checkpoints: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(out), str(SAMPLE), str(YEAR), ",".join(stages),
         *([str(checkpoints)] if checkpoints else [])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT, env=env,
    )


def _run_to_end(db: Path, out: Path, checkpoints: Path) -> dict[str, float]:
    """Run the cycle undisturbed in a child, copying the folder after each stage; the seconds each took."""
    proc = _child(db, out, STAGES, checkpoints)
    times, started = {}, {}
    for line in proc.stdout:
        word, *stage = line.split()
        if word == "start":
            started[stage[0]] = time.perf_counter()
        elif word == "done":
            times[stage[0]] = time.perf_counter() - started[stage[0]]
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    return times


def _kill_inside(db: Path, out: Path, stage: str, after: float) -> bool:
    """Run the cycle from `stage` on, SIGKILL it `after` seconds into `stage`; False if it ended first."""
    proc = _child(db, out, STAGES[STAGES.index(stage):])
    for line in proc.stdout:
        if line.split() == ["start", stage]:
            break
    time.sleep(after)
    finished = proc.poll() is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return not finished


# ---------------------------------------------------------------------------------------------
# What "the same state" means: every table and output, without ids, run ids and clock times.

_VOLATILE = ("file_version_id", "run_id", "found_at", "received_at", "ingest_run_id", "started_at", "finished_at",
             "validation_run_id", "gx_project_dir", "flow_run_id")


def _table(con, sql: str) -> list[tuple]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def _stable(con, table: str, extra: str = "") -> list[tuple]:
    columns = [r[0] for r in con.execute(f"describe {table}").fetchall() if r[0] not in _VOLATILE]
    return _table(con, f"select {', '.join(columns)} from {table} {extra}")


def snapshot(db: Path, out: Path, stages=STAGES) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        snap = {
            "raw_file_version": _stable(con, "raw_file_version"),
            # Cells keyed by unit and version instead of the sequence number a killed run may have used.
            "raw_cell": _table(con, "select f.unit_code, f.version, c.sheet_name, c.cell_ref, c.column_name, "
                                    "c.value_text from raw_cell c join raw_file_version f using (file_version_id)"),
            "finding": _stable(con, "finding", "where stage = 'ingest'" if "validate" not in stages else ""),
            **{t: _stable(con, t) for t in ("stg_submission", "stg_indicator_value", "stg_award", "stg_narrative")},
        }
        if "aggregate" in stages:
            snap.update({t: _stable(con, t) for t in sorted(tables) if t.startswith("mart_")})
            snap["submission_status"] = _stable(con, "submission_status")
    if "aggregate" in stages:
        for path in sorted((out / str(YEAR)).glob("*.csv")):
            snap[path.name] = list(csv.reader(path.open(encoding="utf-8")))
        for path in sorted((out / str(YEAR)).glob("*.xlsx")):
            wb = openpyxl.load_workbook(path)
            snap[path.name] = [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets]
    return snap


def half_versions(db: Path) -> list:
    """Anything a transaction should never leave behind: staging or cells without an accepted version."""
    if not db.exists():
        return []
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        if not {"raw_cell", "raw_file_version", "stg_indicator_value", "stg_submission"} <= tables:
            # Killed while the schema was being created, before ingest could write: nothing may be in.
            written = con.execute("select count(*) from raw_file_version").fetchone()[0] \
                if "raw_file_version" in tables else 0
            return [("version written before the schema was complete", written)]
        return con.execute("""
            select 'cell without version', count(*) from raw_cell
                where file_version_id not in (select file_version_id from raw_file_version)
            union all
            select 'staging of a non-accepted version', count(*) from stg_indicator_value
                where file_version_id not in (select file_version_id from raw_file_version where status = 'accepted')
            union all
            select 'accepted version without its thong_tin row', count(*) from raw_file_version
                where status = 'accepted' and file_version_id not in (select file_version_id from stg_submission)
            union all
            select 'two current versions of one unit', count(*) from (
                select nam, unit_code from raw_file_version where status = 'accepted'
                group by all having count(*) > 1)
        """).fetchall()


def versions_written(db: Path) -> int:
    if not db.exists():
        return 0
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        return con.execute("select count(*) from raw_file_version").fetchone()[0] if "raw_file_version" in tables else 0


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("undisturbed")
    checkpoints = tmp_path_factory.mktemp("checkpoints")
    db, out = folder / "t.duckdb", folder / "out"
    times = _run_to_end(db, out, checkpoints)
    return times, checkpoints, {"ingest": snapshot(db, out, ("ingest",)), "all": snapshot(db, out)}


def _rerun_in_process(db: Path, out: Path, killed: str) -> tuple[str, ...]:
    """Rerun as an operator would: ingest (a no-op for files already in), then the killed stage onwards."""
    config = load_config()
    from tasks.aggregate import aggregate, write_outputs
    from tasks.ingest import ingest_year

    ingest_year(config, SAMPLE, YEAR, db)
    if killed == "ingest":
        return ("ingest",)
    if killed == "validate":
        from tasks.validate import validate_year
        validate_year(config, YEAR, db)
    aggregate(config, YEAR, 1, db)
    write_outputs(config, YEAR, 1, db, out)
    return STAGES


# Where to kill: a stage and a fraction of its undisturbed duration (seeded, so a failure replays).
_RANDOM = random.Random(8)
KILLS = [("ingest", round(_RANDOM.uniform(0.05, 0.95), 2)) for _ in range(3)] + [
    ("validate", round(_RANDOM.uniform(0.2, 0.8), 2)) for _ in range(1)] + [
    ("aggregate", round(_RANDOM.uniform(0.1, 0.7), 2))]


@pytest.mark.parametrize("stage, fraction", KILLS, ids=[f"{s}-{f}" for s, f in KILLS])
def test_sigkill_then_rerun_ends_where_an_undisturbed_run_ends(tmp_path, undisturbed, stage, fraction):
    times, checkpoints, snapshots = undisturbed
    db, out = tmp_path / "t.duckdb", tmp_path / "out"
    if stage != STAGES[0]:
        # Start from the undisturbed state just before this stage, as a real run would reach it.
        shutil.copytree(checkpoints / STAGES[STAGES.index(stage) - 1], tmp_path, dirs_exist_ok=True)

    assert _kill_inside(db, out, stage, after=fraction * times[stage]), "the run ended before the kill"
    assert [problem for problem in half_versions(db) if problem[1]] == []
    # The year's new versions are written in one transaction: a killed ingest left all of them or none.
    assert versions_written(db) in (0, len(snapshots["ingest"]["raw_file_version"]))
    compared = _rerun_in_process(db, out, stage)

    expected = snapshots["ingest" if compared == ("ingest",) else "all"]
    got = snapshot(db, out, compared)
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == expected[name], name
    assert [problem for problem in half_versions(db) if problem[1]] == []


def test_a_fault_in_our_code_on_one_file_is_recorded_and_the_year_goes_on(tmp_path, monkeypatch):
    """A bug met while reading one unit's file (here forced) drops what it read, records why, and ingests the rest."""
    import tasks.ingest as ingest
    from tests.factories import submission, write_xlsx

    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    for unit in ("TTT", "TP1"):
        write_xlsx(subs / str(YEAR) / f"{unit}.xlsx", submission(unit, YEAR, {"so_ho": 100}))
    real_stage = ingest._stage

    def stage_with_a_bug(config, year, unit_code, *args):
        if unit_code == "TTT":
            raise ZeroDivisionError("division by zero")
        return real_stage(config, year, unit_code, *args)

    monkeypatch.setattr(ingest, "_stage", stage_with_a_bug)
    summary = ingest.ingest_year(load_config(), subs, YEAR, db)

    assert [(f.unit_code, f.status) for f in summary.files] == [("TP1", "accepted"), ("TTT", "rejected")]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select status from raw_file_version where unit_code = 'TTT'").fetchall() == [("rejected",)]
        # The half-written version was rolled back, then recorded again with its cells and no staging.
        cells = "select count(*) from raw_cell join raw_file_version using (file_version_id) where unit_code = ?"
        assert con.execute(cells, ["TTT"]).fetchone() == con.execute(cells, ["TP1"]).fetchone() != (0,)
        assert con.execute("select count(*) from stg_indicator_value where unit_code = 'TTT'").fetchone() == (0,)
        (message,) = con.execute("select message_vi from finding where unit_code = 'TTT' "
                                 "and check_code = 'loi_khi_nhap'").fetchone()
    assert "ZeroDivisionError" in message and message.startswith("Tệp 2020/TTT.xlsx")


# Stops ingest inside its write transaction: versions and cells inserted, staging and findings not yet.
MID_WRITE = """
import sys, time
from pathlib import Path
import tasks.ingest as ingest
from tasks.config import load_config
real = ingest._insert_columns
def insert_then_wait(con, table, data):
    real(con, table, data)
    if table == "raw_cell":
        print("inside", flush=True)
        time.sleep(120)
ingest._insert_columns = insert_then_wait
ingest.ingest_year(load_config(), Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[1]))
"""


def test_sigkill_inside_the_write_leaves_no_version_and_the_rerun_writes_the_year(tmp_path, undisturbed):
    _, _, snapshots = undisturbed
    db = tmp_path / "t.duckdb"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DO_NOT_TRACK": "1"}
    proc = subprocess.Popen([sys.executable, "-c", MID_WRITE, str(db), str(SAMPLE), str(YEAR)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT, env=env)
    assert proc.stdout.readline().split() == ["inside"], proc.stderr.read()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select (select count(*) from raw_file_version), (select count(*) from raw_cell), "
                           "(select count(*) from finding)").fetchone() == (0, 0, 0)
    _rerun_in_process(db, tmp_path / "out", "ingest")
    got = snapshot(db, tmp_path / "out", ("ingest",))
    for name, expected in snapshots["ingest"].items():
        assert got[name] == expected, name


def test_a_unit_the_database_refuses_is_recorded_and_the_year_goes_on(tmp_path, monkeypatch):
    """When the year's one write fails, it is rolled back and written unit by unit: only the bad unit is refused."""
    import tasks.ingest as ingest
    from tests.factories import submission, write_xlsx

    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    for unit in ("TTT", "TP1", "TP2"):
        write_xlsx(subs / str(YEAR) / f"{unit}.xlsx", submission(unit, YEAR, {"so_ho": 100}))
    real_stage = ingest._stage

    def stage_with_a_row_number_no_integer_holds(config, year, unit_code, *args):
        staged = real_stage(config, year, unit_code, *args)
        if unit_code == "TP1":  # the bug only shows when DuckDB casts the row: phase 1 cannot see it
            staged.indicators = [row[:-1] + (2**40,) for row in staged.indicators]
        return staged

    monkeypatch.setattr(ingest, "_stage", stage_with_a_row_number_no_integer_holds)
    summary = ingest.ingest_year(load_config(), subs, YEAR, db)

    assert [(f.unit_code, f.status, f.version) for f in summary.files] == [
        ("TP1", "rejected", 1), ("TP2", "accepted", 1), ("TTT", "accepted", 1)]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select unit_code, status from raw_file_version order by unit_code").fetchall() == [
            ("TP1", "rejected"), ("TP2", "accepted"), ("TTT", "accepted")]
        cells = "select count(*) from raw_cell join raw_file_version using (file_version_id) where unit_code = ?"
        assert con.execute(cells, ["TP1"]).fetchone() == con.execute(cells, ["TTT"]).fetchone() != (0,)
        assert con.execute("select unit_code, count(*) from stg_indicator_value group by all order by 1").fetchall() == [
            ("TP2", 1), ("TTT", 1)]
        assert con.execute("select unit_code from stg_submission order by 1").fetchall() == [("TP2",), ("TTT",)]
        (message,) = con.execute("select message_vi from finding where unit_code = 'TP1' "
                                 "and check_code = 'loi_khi_nhap'").fetchone()
    assert message.startswith("Tệp 2020/TP1.xlsx") and "ConversionException" in message  # the real error, named


def test_a_rust_panic_in_a_reader_library_costs_only_that_unit(tmp_path, monkeypatch):
    """pyo3's PanicException is a BaseException: `except Exception` let it stop the whole year."""
    import python_calamine

    import tasks.ingest as ingest
    from tests.bad_inputs.corpus import formatted
    from tests.factories import submission, write_xlsx

    formatted(-1e12, "dd/mm/yyyy")(tmp_path)  # python-calamine panics on this cell
    try:
        python_calamine.CalamineWorkbook.from_path(str(tmp_path / "TTT.xlsx")).get_sheet_by_name("chi_tieu").to_python()
    except BaseException as exc:  # noqa: BLE001
        panic = type(exc)
    assert not issubclass(panic, Exception)
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    for unit in ("TTT", "TP1"):
        write_xlsx(subs / str(YEAR) / f"{unit}.xlsx", submission(unit, YEAR, {"so_ho": 100}))
    real_stage = ingest._stage

    def stage_that_panics(config, year, unit_code, *args):
        if unit_code == "TTT":
            raise panic("TimeDelta::milliseconds out of bounds")
        return real_stage(config, year, unit_code, *args)

    monkeypatch.setattr(ingest, "_stage", stage_that_panics)
    summary = ingest.ingest_year(load_config(), subs, YEAR, db)

    assert [(f.unit_code, f.status) for f in summary.files] == [("TP1", "accepted"), ("TTT", "rejected")]
    assert "PanicException" in next(f.reason_vi for f in summary.files if f.unit_code == "TTT")
