"""Validate a year's staged submissions with the Great Expectations suites in expectations/.

GX's SQL datasource does not work with DuckDB, so each suite names a select in sql/validation/
(suite meta `frame_sql`) whose rows are read into pandas and validated in a GX file context kept
beside the DuckDB file. Every failed row becomes a `finding` placed at its file, sheet, row and
cell; then `submission_status` is rebuilt so a critical finding quarantines the unit's year.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Iterator

import pandas as pd

from tasks import rules
from tasks.config import PROJECT_ROOT, Config
from tasks.db import load_reference, materialize, open_db, query, sql_text
from tasks.runlog import now_vn

# Before GX is imported anywhere: no usage statistics leave the machine.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# Suites run in this order; the findings they write do not depend on each other.
SUITES = ("stg_submission", "stg_indicator_value", "stg_award", "stg_narrative")
# The year's award rows (the share cap counts them per file; the summary page per level).
YEAR_AWARDS_SQL = "select * from int_award where nam = $nam"

log = logging.getLogger(__name__)


@dataclass
class ValidationSummary:
    run_id: str
    year: int
    started_at: dt.datetime
    finished_at: dt.datetime
    gx_success: bool
    gx_project_dir: Path
    statuses: list[dict] = field(default_factory=list)
    so_loi_nghiem_trong: int = 0
    so_canh_bao: int = 0
    data_docs_path: Path | None = None

    def count(self, trang_thai: str) -> int:
        return sum(1 for s in self.statuses if s["trang_thai"] == trang_thai)


def gx_project_dir(db_path: Path | str, year: int) -> Path:
    """The year's GX file context, beside the DuckDB file (by default under the output folder).

    One per year so that the year's Data Docs list only that year's runs.
    """
    return Path(db_path).resolve().parent / "gx" / str(year)


def load_suite(name: str) -> dict:
    return json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))


def gx_context(project_dir: Path):
    """The GX file context of `project_dir`, opened once per process while its project file is unchanged.

    Opening a file context reads and validates its YAML (≈ 40–80 ms); a warm worker validating the
    same district again reuses it. Any write to great_expectations.yml made elsewhere (another
    process, or publish adding its Data Docs site) changes the file's stamp and reopens it.
    """
    from great_expectations.data_context.data_context.context_factory import (
        project_manager,
    )

    key = Path(project_dir).resolve()
    stamp = _config_stamp(key)
    cached = _CONTEXTS.get(key)
    if cached is not None and stamp is not None and cached[0] == stamp:
        # GX resolves some objects through its "current" project: make it this one again.
        project_manager.set_project(cached[1])
        return cached[1]
    context = _open_context(key)
    _remember_context(key, context)
    return context


# Per process: project folder -> (stamp of its great_expectations.yml, open context), most recent
# last. A context holds its last batches (≈ 23 MiB for a 120-unit district) and a pool worker
# validates district after district: only the two most recent are kept.
_CONTEXTS: dict[Path, tuple[tuple[int, ...], object]] = {}
_CONTEXTS_KEPT = 2


def _config_stamp(project_dir: Path) -> tuple[int, ...] | None:
    try:
        st = (project_dir / "gx" / "great_expectations.yml").stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _remember_context(project_dir: Path, context) -> None:
    """Record the context with the stamp of the project file as this process last left it."""
    stamp = _config_stamp(project_dir)
    _CONTEXTS.pop(project_dir, None)
    if stamp is not None:
        _CONTEXTS[project_dir] = (stamp, context)
    while len(_CONTEXTS) > _CONTEXTS_KEPT:
        del _CONTEXTS[next(iter(_CONTEXTS))]


def _open_context(project_dir: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _freeze_imports()
    context = gx.get_context(mode="file", project_root_dir=str(project_dir))
    # GX reads and parses this file (≈ 3 ms) at every access to a project variable, ≈ 80 times per
    # validation; it holds only the template's `instance_id` for analytics, which are off. Absent,
    # each access finds nothing at once; GX never writes it again to a project that has its YAML.
    (project_dir / "gx" / "uncommitted" / "config_variables.yml").unlink(missing_ok=True)
    bars = context.variables.progress_bars
    if bars is None or (bars.get("globally") if isinstance(bars, dict) else bars.globally):
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        context.variables.save()
    if context.config.analytics_enabled is not False:
        context.enable_analytics(False)
    return context


@cache
def _freeze_imports() -> None:
    """Move what the imports made (GX, pandas, DuckDB: most objects of the process) out of the cyclic collector's reach.

    Each validation leaves its batches (the frame with GX's execution engine) in reference
    cycles; only a full collection frees them, and with the imports' objects tracked it costs
    ≈ 0.35 s, so it ran rarely and a worker grew ≈ 8 MiB per district. Frozen, the interpreter's
    own full collections scan only what was made since, run often and keep memory flat. At exit
    they are handed back, so the interpreter's last collection finalises them (DuckDB's bindings
    report instances still alive then as leaks).
    """
    gc.freeze()
    atexit.register(gc.unfreeze)


def validation_definition(context, *, table: str, suite: dict):
    """The table's GX validation definition, written only when the project lacks it or differs.

    `add_or_update` rewrites the suite JSON twice, great_expectations.yml three times and the
    definition JSON on every call; what is already stored and equal is reused as it is.
    """
    import great_expectations as gx
    from great_expectations.core import ExpectationSuite
    from great_expectations.exceptions import DataContextError

    wanted = ExpectationSuite(**{k: v for k, v in suite.items() if k in ("name", "expectations", "meta")})
    try:
        gx_suite = context.suites.get(wanted.name)
    except DataContextError:
        gx_suite = None
    if gx_suite is None or not _same_suite(gx_suite, wanted):
        gx_suite = context.suites.add_or_update(wanted)

    try:
        source = context.data_sources.get("thidua")
    except (KeyError, ValueError, DataContextError):
        source = None
    if source is None or source.type != "pandas":
        source = context.data_sources.add_or_update_pandas("thidua")
    asset = next((a for a in source.assets if a.name == table), None) or source.add_dataframe_asset(table)
    batch = next((b for b in asset.batch_definitions if b.name == "toan_bo"), None) \
        or asset.add_batch_definition_whole_dataframe("toan_bo")

    try:
        definition = context.validation_definitions.get(table)
    except DataContextError:
        definition = None
    if (definition is None or definition.suite.id != gx_suite.id or definition.data.id != batch.id
            or not _same_suite(definition.suite, gx_suite)):
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=table, data=batch, suite=gx_suite)
        )
    return definition


def _same_suite(stored, wanted) -> bool:
    """Same name, meta and expectations in the same order (findings follow it); GX's ids aside."""
    return (stored.name == wanted.name and stored.meta == wanted.meta
            and stored.suite_parameters == wanted.suite_parameters
            and [_spec(e) for e in stored.expectations] == [_spec(e) for e in wanted.expectations])


def _spec(expectation) -> dict:
    spec = expectation.configuration.to_json_dict()
    spec.pop("id", None)
    return spec


def validate_frame(context, *, table: str, suite: dict, frame: pd.DataFrame, run_id: str,
                   parameters: dict) -> tuple[bool, list[dict]]:
    """Run one suite over one frame; return GX's success and one dict per failed row."""
    from great_expectations.core.run_identifier import RunIdentifier

    definition = validation_definition(context, table=table, suite=suite)
    index_columns = suite["meta"]["index_columns"]
    result = definition.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns},
        run_id=RunIdentifier(run_name=run_id, run_time=dt.datetime.now(dt.timezone.utc)),
    )
    failures = []
    for outcome in result.results:
        raised = (outcome.exception_info or {}).get("raised_exception")
        if raised:
            # A broken suite is a bug, never a clean bill of health.
            raise RuntimeError(f"{table}: {outcome.expectation_config.type} failed to run: "
                               f"{outcome.exception_info.get('exception_message')}")
        if outcome.success:
            continue
        meta = outcome.expectation_config.meta
        for row in outcome.result.get("unexpected_index_list") or []:
            failures.append({"table": table, "meta": meta, "row": row})
    return bool(result.success), failures


def _plain(value):
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _Blank(dict):
    def __missing__(self, key):
        return "?"


def _failure_record(failure: dict, *, year: int, context: dict) -> dict:
    meta, row = failure["meta"], {k: _plain(v) for k, v in failure["row"].items()}
    words = _Blank({**context, "nam": year, **{k: ("" if v is None else v) for k, v in row.items()}})
    observed = row.get(meta.get("observed")) if meta.get("observed") else None
    return {
        "check_code": meta["check_code"],
        # A legal rule's severity is configured per rule (config/rules.yaml): its row carries it.
        "severity": row.get(meta.get("severity_column")) or meta["severity"],
        "unit_code": row["unit_code"],
        "file_version_id": row.get("file_version_id"),
        "sheet_name": row.get("sheet_name"),
        "row_number": row.get("row_number"),
        "column_name": meta.get("column"),
        "observed_value": None if observed is None else str(observed),
        "message_vi": meta["description_vi"].format_map(words),
        "fix_vi": meta["fix_vi"].format_map(words),
    }


def _with_place(row: dict) -> str:
    """The message with its place in words a clerk understands: file, sheet, row, column."""
    if not row["source_path"]:
        return row["message_vi"][:1].upper() + row["message_vi"][1:]
    parts = [f"Tệp {row['source_path']}"]
    if row["sheet_name"]:
        parts.append(f"sheet {row['sheet_name']}")
    if row["row_number"]:
        parts.append(f"dòng {row['row_number']}")
    if row["column_name"]:
        cell = f" (ô {row['cell_ref']})" if row["cell_ref"] else ""
        parts.append(f"cột {row['column_name']}{cell}")
    return ", ".join(parts) + ": " + row["message_vi"]


def _store_findings(con, *, run_id: str, year: int, records: list[dict]) -> int:
    """Place the run's failures in their files and cells and insert them as one frame."""
    from openpyxl.utils import get_column_letter

    columns = ["check_code", "severity", "unit_code", "file_version_id", "sheet_name", "row_number",
               "column_name", "observed_value", "message_vi", "fix_vi"]
    frame = pd.DataFrame.from_records(records, columns=columns).astype(
        {"file_version_id": "Int64", "row_number": "Int64", "observed_value": "object"}
    )
    con.register("validation_failure", frame)
    try:
        cur = con.execute(sql_text("validation/int_validation_finding"))
        names = [d[0] for d in cur.description]
        located = [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.unregister("validation_failure")
    if not located:
        return 0
    for r in located:
        r["cell_ref"] = (f"{get_column_letter(r['column_number'])}{r['row_number']}"
                         if r["column_number"] and r["row_number"] else None)
    placed = [_with_place(r) for r in located]
    rows = pd.DataFrame.from_records(located, columns=_FINDING_COLUMNS).astype(
        {"file_version_id": "Int64", "row_number": "Int64"}
    )
    rows["message_vi"] = placed
    # One bulk insert: executemany costs ≈ 0.5 ms a row (2,000 findings ≈ 1 s).
    con.register("_validation_finding", rows)
    try:
        con.execute(
            f"insert into finding (run_id, stage, nam, {', '.join(_FINDING_COLUMNS)}) "
            f"select ?, 'validate', ?, {', '.join(_FINDING_COLUMNS)} from _validation_finding",
            [run_id, year],
        )
    finally:
        con.unregister("_validation_finding")
    return len(rows)


# The columns of `finding` a validation failure fills, besides run, stage and year.
_FINDING_COLUMNS = ["check_code", "severity", "unit_code", "file_version_id", "source_path", "sheet_name",
                    "row_number", "column_name", "cell_ref", "observed_value", "message_vi", "fix_vi"]


def suite_frames(con, config: Config, year: int) -> Iterator[tuple[str, dict, pd.DataFrame]]:
    """Each suite of SUITES with the frame it judges: its frame SQL's rows and the legal rules' columns."""
    settings = config.settings
    sql_params = {"nam": year, "threshold": settings.yoy_change_threshold, "min_base": settings.yoy_min_base}
    for table in SUITES:
        suite = load_suite(table)
        frame_sql = sql_text(suite["meta"]["frame_sql"])
        frame = con.execute(frame_sql, {k: v for k, v in sql_params.items() if f"${k}" in frame_sql}).df()
        # Legal rules (config/rules.yaml, kinds in tasks/rules.py) add columns to the frame they judge.
        if table == "stg_award":
            frame = rules.add_prerequisite_columns(frame, year=year, config=config)
        elif table == "stg_submission":
            frame = rules.add_cap_columns(frame, year=year, config=config,
                                          awards=con.execute(YEAR_AWARDS_SQL, {"nam": year}).df())
        yield table, suite, frame


def validate_year(config: Config, year: int, db_path: Path | str, *, flow_run_id: str | None = None) -> ValidationSummary:
    """Run every suite over the year's staged data, store findings, status and the run.

    flow_run_id: the Prefect flow run this validation belongs to, recorded with the run (the flow
    passes it in, so the stage itself never imports Prefect).
    """
    started_at = now_vn()
    run_id = f"validate-{year}-{started_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    project_dir = gx_project_dir(db_path, year)
    settings = config.settings
    words = {"nguong_pct": f"{settings.yoy_change_threshold * 100:g}",
             "co_quan_thuong_truc": config.district.standing_office}
    success = True
    records: list[dict] = []
    with open_db(db_path) as con:
        # The GX project is touched only once this run holds the database: a refused run writes nothing.
        context = gx_context(project_dir)
        load_reference(con, config)
        materialize(con, "intermediate/int_award")
        # Earlier years' statuses (kept from their runs) give a merged unit its predecessors' sum.
        materialize(con, "validation/submission_status")
        materialize(con, "intermediate/int_merged_unit_values")
        # A rerun replaces the year's previous validation findings; the run table keeps history.
        con.execute("delete from finding where stage = 'validate' and nam = ?", [year])
        for table, suite, frame in suite_frames(con, config, year):
            ok, failures = validate_frame(context, table=table, suite=suite, frame=frame, run_id=run_id,
                                          parameters={"nam": year})
            success = success and ok
            records += [_failure_record(f, year=year, context=words) for f in failures]
        # Writes of this run (a new project's data source) are this process's own: keep the context.
        _remember_context(project_dir.resolve(), context)
        _store_findings(con, run_id=run_id, year=year, records=records)
        materialize(con, "validation/submission_status")
        statuses = _statuses(con, year)
        critical, warning = con.execute(
            "select count(*) filter (where severity = 'critical'), count(*) filter (where severity = 'warning') "
            "from finding where nam = ? and (stage = 'validate' or file_version_id in "
            "(select file_version_id from submission_status where nam = ?))",
            [year, year],
        ).fetchone()
        finished_at = now_vn()
        summary = ValidationSummary(
            run_id=run_id, year=year, started_at=started_at, finished_at=finished_at, gx_success=success,
            gx_project_dir=project_dir, statuses=statuses, so_loi_nghiem_trong=critical, so_canh_bao=warning,
        )
        con.execute(
            "insert into validation_run values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?)",
            [run_id, year, started_at, finished_at, sum(1 for s in statuses if s["is_expected"]),
             summary.count("accepted"), summary.count("rejected"), summary.count("missing"),
             critical, warning, success, str(project_dir), flow_run_id],
        )
    log.info("validation %s: %d accepted, %d rejected, %d missing; %d critical, %d warning findings",
             run_id, summary.count("accepted"), summary.count("rejected"), summary.count("missing"),
             critical, warning)
    return summary


def _statuses(con, year: int) -> list[dict]:
    return query(con, "validation/int_submission_status_year", {"nam": year})

