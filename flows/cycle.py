"""The thidua cycle as Prefect flows: the yearly report with its sign-off gate, and the daily collection check.

The flows only wire the stage functions of `tasks/` (see docs/architecture.md); each stage opens
the DuckDB file itself, so any of them can run as a Prefect task.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.flow_runs import pause_flow_run
from prefect.runtime import deployment, flow_run
from prefect.settings import get_current_settings
from prefect.states import Failed

from flows.params import CheckParams, CycleParams, SignOffInput
from tasks.aggregate import aggregate as aggregate_marts
from tasks.aggregate import write_outputs
from tasks.config import Config, load_config
from tasks.ingest import ingest_year
from tasks.publish import publish_artifacts, publish_validation
from tasks.render import render_report
from tasks.runlog import log_outputs, new_run_id, save_draft
from tasks.signoff import how_to_sign_off, record_sign_off, rejection_message, sign_off_description
from tasks.validate import validate_year


def _stage(fn, name: str):
    # Stages write to DuckDB and the output folder: a cached result would skip the write.
    return task(fn, name=name, cache_policy=NO_CACHE)


load = _stage(load_config, "load-config")
ingest = _stage(ingest_year, "ingest")
validate = _stage(validate_year, "validate")
publish = _stage(publish_validation, "publish")
publish_ui = _stage(publish_artifacts, "publish-artifacts")
aggregate = _stage(aggregate_marts, "aggregate")
write_tables = _stage(write_outputs, "write-outputs")
render = _stage(render_report, "render")
record_outputs = _stage(log_outputs, "log-outputs")
keep_draft = _stage(save_draft, "save-draft")
record_decision = _stage(record_sign_off, "sign-off")


def check_year(config: Config, params: CheckParams, year: int) -> tuple[object, list[Path], list[str]]:
    """ingest → validate → publish for one year; returns the validation summary, its files and artifact keys."""
    db, out = params.db_path(), params.out_dir()
    ingest(config=config, submissions_dir=params.submissions_dir(), year=year, db_path=db)
    summary = validate(config=config, year=year, db_path=db)
    published = publish(config=config, year=year, db_path=db, out_dir=out)
    artifact_keys = publish_ui(summary, published)
    return summary, published, artifact_keys


@flow(name="collection-check")
def collection_check(params: CheckParams = CheckParams()) -> dict:
    """Validate-only pass over the year's submissions, so units get their feedback early."""
    config = load(params.config_dir())
    year = params.report_year()
    summary, published, _ = check_year(config, params, year)
    return {
        "year": year,
        "validation_run_id": summary.run_id,
        "accepted": summary.count("accepted"),
        "rejected": summary.count("rejected"),
        "missing": summary.count("missing"),
        "outputs": [str(p) for p in published],
    }


@flow(name="yearly-report")
def yearly_report(params: CycleParams = CycleParams()):
    """ingest → validate → publish (each year of the period) → aggregate → render → sign-off → final draft."""
    logger = get_run_logger()
    year, period_years = params.report_year(), params.period_years
    db, out = params.db_path(), params.out_dir()
    run_id, flow_run_id = new_run_id(year), flow_run.id
    config = load(params.config_dir())

    artifact_keys: list[str] = []
    for each in params.years():
        artifact_keys += check_year(config, params, each)[2]

    aggregate(config=config, year=year, period_years=period_years, db_path=db)
    tables = write_tables(config=config, year=year, period_years=period_years, db_path=db, out_dir=out)
    started = dt.datetime.now()
    report = render(config=config, year=year, period_years=period_years, db_path=db, out_dir=out)
    record_outputs(db_path=db, run_id=run_id, stage="render", year=year, started_at=started, paths=report,
                   flow_run_id=flow_run_id, period_years=period_years, sign_off=None)
    status_csv = out / str(year) / "submission_status.csv"
    draft = keep_draft(config=config, year=year, period_years=period_years, db_path=db, out_dir=out,
                       run_id=run_id, paths=[*report, *tables, status_csv], flow_run_id=flow_run_id)
    changes_key = f"thidua-thay-doi-{year}"
    create_markdown_artifact(
        markdown=draft.changes_md, key=changes_key,
        description=f"Thay đổi của bản dự thảo lần {draft.version} năm {year} so với lần trước",
    )
    result = {
        "year": year, "period_years": period_years, "run_id": run_id, "draft_version": draft.version,
        "draft_folder": str(draft.folder), "changed_units": draft.changed_units,
        "report": [str(p) for p in report], "sign_off": None,
    }

    decision = sign_off_gate(params, draft=draft, report=report, artifact_keys=[*artifact_keys, changes_key],
                             validation_page=out / str(year) / "validation" / "index.html")
    if decision is None:
        logger.info(how_to_sign_off(year, period_years))
        return result

    signed = record_decision(
        db_path=db, run_id=run_id, year=year, period_years=period_years, decision=decision["decision"],
        name=decision["name"], comment=decision.get("comment", ""), outputs=draft.outputs,
        draft_version=draft.version, flow_run_id=flow_run_id,
    )
    result["sign_off"] = signed
    if signed["decision"] == "reject":
        # Outputs stay as drafted; the run's state carries the reviewer's words to the UI.
        return Failed(name="Bị từ chối", message=rejection_message(signed), data=result)

    started = dt.datetime.now()
    final = render(config=config, year=year, period_years=period_years, db_path=db, out_dir=out, sign_off=signed)
    record_outputs(db_path=db, run_id=run_id, stage="final", year=year, started_at=started, paths=final,
                   flow_run_id=flow_run_id, period_years=period_years, sign_off_id=signed["sign_off_id"])
    logger.info("Báo cáo năm %s đã được %s duyệt: %s", year, signed["name"], ", ".join(str(p) for p in final))
    return result


def sign_off_gate(params: CycleParams, *, draft, report: list[Path], artifact_keys: list[str],
                  validation_page: Path) -> dict | None:
    """A deployment run waits for the reviewer's form; a local run takes the decision from its parameters."""
    if deployment.id is None:
        return params.sign_off.model_dump() if params.sign_off else None
    if params.sign_off:
        get_run_logger().warning(
            "Lượt chạy từ deployment: quyết định ghi sẵn trong tham số bị bỏ qua; người duyệt quyết định trong biểu mẫu."
        )
    year = draft.year
    description = sign_off_description(
        year=year, period_years=params.period_years, draft_version=draft.version,
        ui_url=get_current_settings().ui_url,
        artifact_keys=artifact_keys,
        files={"Báo cáo kiểm tra": validation_page, **{"Dự thảo": p for p in report if p.suffix == ".docx"},
               "Thư mục bản dự thảo": draft.folder},
        changes_md=draft.changes_md,
    )
    answer = pause_flow_run(
        wait_for_input=SignOffInput.with_initial_data(description=description),
        timeout=int(params.sign_off_timeout_hours * 3600),
        poll_interval=5,
    )
    return answer.model_dump(include={"decision", "name", "comment"})


if __name__ == "__main__":
    yearly_report(CycleParams(year=2020, period_years=5))
