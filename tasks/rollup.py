"""Province and nation runs: one district-like cycle per child folder, then a roll-up of their marts.

A child folder holds `config/` (units.yaml, indicators.yaml, …) and `submissions/<year>/`, exactly
what one district's cycle needs; its cycle writes `<out>/<CODE>/thidua.duckdb`. The roll-up
attaches every child file read-only, copies the year's marts into one DuckDB file and combines
them with sql/rollup/*.sql. docs/scale.md explains the layout and how it spreads over workers.
"""

from __future__ import annotations

import csv
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from tasks.aggregate import aggregate, csv_number, write_outputs
from tasks.config import load_config
from tasks.db import materialize, open_db, session, sql_text
from tasks.ingest import ingest_year
from tasks.validate import validate_year

# (table in the roll-up file, select over the attached child `src`), copied in this order.
SOURCES = (
    ("rollup_district_indicators", "rollup/src_district_indicators"),
    ("rollup_district_awards", "rollup/src_award_table"),
    ("rollup_submission_status", "rollup/src_submission_status"),
)
MARTS = ("rollup/rollup_indicators", "rollup/rollup_award_table", "rollup/rollup_district_status")
OUTPUTS = {
    "rollup_indicators.csv": ("rollup_indicators", "sort_order, indicator_code"),
    "rollup_award_table.csv": ("rollup_award_table", "sort_order, hinh_thuc, doi_tuong"),
    "rollup_district_status.csv": ("rollup_district_status", "district_code"),
}


class RollupError(Exception):
    """Nothing to roll up (no child folder, or every child run failed)."""


@dataclass
class ChildRun:
    """What one child cycle left behind, for the roll-up and the operator."""

    district_code: str
    folder: str
    db_path: str | None
    trang_thai: str  # ok | failed
    loi: str | None = None
    so_giay: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    accepted: int = 0
    rejected: int = 0
    missing: int = 0


def child_folders(parent_dir: Path | str) -> list[Path]:
    """The child folders of a province or nation: every sub-folder holding config/units.yaml."""
    parent_dir = Path(parent_dir)
    if not parent_dir.is_dir():
        raise RollupError(f"{parent_dir}: không tìm thấy thư mục các đơn vị cấp dưới (folder not found)")
    folders = sorted(p for p in parent_dir.iterdir() if (p / "config" / "units.yaml").is_file())
    if not folders:
        raise RollupError(f"{parent_dir}: không có thư mục con nào chứa config/units.yaml")
    return folders


PLAIN_STAGES = {"ingest": ingest_year, "validate": validate_year, "aggregate": aggregate, "write": write_outputs}


def cycle_stages(*, config, submissions_dir: Path, year: int, period_years: int, db_path: Path, out_dir: Path,
                 stages: dict | None = None, write_files: bool = True, seconds: dict | None = None,
                 flow_run_id: str | None = None):
    """ingest → validate → aggregate (→ CSV/xlsx) of one district: the one definition of a child's cycle.

    `district_cycle` calls the plain functions in a worker process; the `district-run` flow passes
    its Prefect tasks as `stages` and its `flow_run_id` (recorded with the validation). Returns
    (ingest summary, validation summary, written files); `seconds` collects the time of each stage
    (writing the tables counts as aggregating).
    """
    run = {**PLAIN_STAGES, **(stages or {})}
    seconds = {} if seconds is None else seconds

    def timed(name: str, stage: str, **kwargs):
        clock = time.perf_counter()
        try:
            return run[stage](**kwargs)
        finally:
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - clock

    with session(db_path):  # one connection for the four stages
        ingested = timed("ingest", "ingest", config=config, submissions_dir=submissions_dir, year=year,
                         db_path=db_path)
        summary = timed("validate", "validate", config=config, year=year, db_path=db_path, flow_run_id=flow_run_id)
        timed("aggregate", "aggregate", config=config, year=year, period_years=period_years, db_path=db_path)
        written = timed("aggregate", "write", config=config, year=year, period_years=period_years, db_path=db_path,
                        out_dir=out_dir) if write_files else []
    return ingested, summary, written


def district_cycle(*, folder: Path | str, year: int, out_dir: Path | str, period_years: int = 1,
                   write_files: bool = True) -> ChildRun:
    """cycle_stages for one child folder, as plain calls in one process.

    A failure is returned, not raised: one broken district must not stop a province.
    """
    folder, out_dir = Path(folder), Path(out_dir)
    started = time.perf_counter()
    code = folder.name
    db_path = out_dir / "thidua.duckdb"
    seconds: dict[str, float] = {}
    try:
        config = load_config(folder / "config")
        code = config.district.code
        _, summary, _ = cycle_stages(config=config, submissions_dir=folder / "submissions", year=year,
                                     period_years=period_years, db_path=db_path, out_dir=out_dir,
                                     write_files=write_files, seconds=seconds)
    except Exception as exc:  # reported in rollup_run and the status CSV, named by its folder
        return ChildRun(code, str(folder), str(db_path) if db_path.exists() else None, "failed",
                        f"{type(exc).__name__}: {str(exc)[:500]}", time.perf_counter() - started, seconds)
    return ChildRun(code, str(folder), str(db_path), "ok", None, time.perf_counter() - started, seconds,
                    summary.count("accepted"), summary.count("rejected"), summary.count("missing"))


def child_counts(db_path: Path | str, year: int) -> tuple[int, int, int]:
    """(accepted, rejected, missing) units of a finished child file, read without locking it for writing."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql_text("rollup/child_status_counts"), {"nam": year}).fetchone()
    finally:
        con.close()


def rollup(*, runs: list[ChildRun], year: int, db_path: Path | str, out_dir: Path | str | None = None) -> list[Path]:
    """Copy the year's marts of every finished child into db_path, build the roll-up marts, write CSVs."""
    codes = [r.district_code for r in runs]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise RollupError(f"mã đơn vị cấp dưới bị trùng giữa các thư mục: {', '.join(twice)} (district.code in units.yaml)")
    done = [r for r in runs if r.trang_thai == "ok"]
    if not done:
        raise RollupError("không có lượt chạy cấp dưới nào hoàn thành; xem lỗi của từng thư mục trong rollup_run")
    with open_db(db_path) as con:
        con.execute(sql_text("rollup/rollup_run"))
        con.executemany(
            "insert into rollup_run values (?, ?, ?, ?, ?, ?)",
            [(r.district_code, r.folder, r.db_path, r.trang_thai, r.loi, r.so_giay) for r in runs],
        )
        for n, run in enumerate(done):
            con.execute("attach ? as src (read_only)", [run.db_path])
            try:
                for table, name in SOURCES:
                    params = {"district_code": run.district_code, "nam": year}
                    if n == 0:
                        con.execute(f"create or replace table {table} as (\n{sql_text(name)}\n)", params)
                    else:
                        con.execute(f"insert into {table} by name (\n{sql_text(name)}\n)", params)
            finally:
                con.execute("detach src")
        for name in MARTS:
            materialize(con, name)
        if out_dir is None:
            return []
        target = Path(out_dir) / str(year)
        target.mkdir(parents=True, exist_ok=True)
        return [_write_table(con, target / file, table, order) for file, (table, order) in OUTPUTS.items()]


def _write_table(con, path: Path, table: str, order: str) -> Path:
    # Table and order come from OUTPUTS above, never from input.
    cur = con.execute(f"select * from {table} order by {order}")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([d[0] for d in cur.description])
        for row in cur.fetchall():
            writer.writerow([v if isinstance(v, str) else csv_number(v) for v in row])
    return path


def run_summary(run: ChildRun) -> dict:
    return asdict(run)
