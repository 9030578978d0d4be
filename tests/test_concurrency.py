"""Two runs of one district at once: the second is refused with a clear message and nothing is corrupted."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from tasks.config import PROJECT_ROOT, load_config
from tasks.db import DatabaseError, connect
from tasks.ingest import ingest_year
from tests.factories import submission, write_xlsx

YEAR = 2020
ENV = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DO_NOT_TRACK": "1",
       "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false"}

# Holds the district's DuckDB file open, as a running cycle does, until told to stop on stdin.
HOLDER = """
import sys
from tasks.db import open_db
with open_db(sys.argv[1]) as con:
    con.execute("insert into run_log values ('holder', 'ingest', 2020, current_timestamp, null, null, null)")
    print("holding", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture()
def subs(tmp_path):
    for unit in ("TTT", "TP1", "TP2"):
        write_xlsx(tmp_path / "subs" / str(YEAR) / f"{unit}.xlsx", submission(unit, YEAR, {"so_ho": 100}))
    return tmp_path / "subs"


@pytest.fixture()
def holder(tmp_path):
    db = tmp_path / "t.duckdb"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT, env=ENV)
    assert proc.stdout.readline().strip() == "holding", proc.stderr.read()
    yield db, proc
    if proc.poll() is None:
        proc.communicate("stop\n", timeout=60)


def test_second_process_is_refused_with_a_message_in_both_languages(holder):
    db, _ = holder

    with pytest.raises(DatabaseError) as refused:
        connect(db)

    assert "đang được một lượt chạy khác sử dụng" in str(refused.value)
    assert "locked by another run" in str(refused.value)


def test_second_ingest_from_the_command_line_exits_with_one_line(holder, subs):
    db, _ = holder

    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "ingest", "--year", str(YEAR), "--submissions", str(subs), "--db", str(db)],
        capture_output=True, text=True, cwd=PROJECT_ROOT, env=ENV, timeout=300,
    )

    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "locked by another run" in result.stderr


def test_refused_run_leaves_the_first_run_and_the_file_intact(holder, subs):
    db, proc = holder
    with pytest.raises(DatabaseError):
        ingest_year(load_config(), subs, YEAR, db)

    proc.communicate("stop\n", timeout=60)
    summary = ingest_year(load_config(), subs, YEAR, db)

    assert [f.status for f in summary.files] == ["accepted"] * 3
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select run_id from run_log where run_id = 'holder'").fetchall() == [("holder",)]
        assert con.execute("select count(*) from raw_file_version").fetchone() == (3,)
        assert con.execute("pragma database_size").fetchone() is not None


def test_two_ingests_started_together_end_as_one_ingest(tmp_path, subs):
    db = tmp_path / "t.duckdb"
    code = ("import sys; from pathlib import Path; from tasks.config import load_config; "
            "from tasks.db import DatabaseError; from tasks.ingest import ingest_year\n"
            "try:\n    ingest_year(load_config(), Path(sys.argv[1]), 2020, Path(sys.argv[2]))\n"
            "except DatabaseError as exc:\n    print('refused', exc)\n    sys.exit(3)\n")
    runs = [subprocess.Popen([sys.executable, "-c", code, str(subs), str(db)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT, env=ENV) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in runs]

    # Either both ran one after the other, or the later one was refused: never an error of another kind.
    assert sorted(r[0] for r in results) in ([0, 0], [0, 3]), results
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select unit_code, version, status from raw_file_version order by unit_code").fetchall() == [
            ("TP1", 1, "accepted"), ("TP2", 1, "accepted"), ("TTT", 1, "accepted")]
        assert con.execute("select count(*) from stg_indicator_value").fetchone() == (3,)


def test_refused_validation_touches_nothing_before_it_gets_the_lock(holder):
    """GX keeps its stores as files beside the database; a refused run must not write them either."""
    from tasks import validate

    db, _ = holder

    with pytest.raises(DatabaseError):
        validate.validate_year(load_config(), YEAR, db)

    leftovers = [p.relative_to(db.parent).as_posix() for p in db.parent.rglob("*") if p.is_file()
                 and p.name not in (db.name, db.name + ".wal")]
    assert leftovers == []
