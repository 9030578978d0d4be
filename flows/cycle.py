"""The thidua cycle as Prefect flows: the yearly report with its sign-off gate, the daily collection
check, and the reopening of a signed year.

The flows only wire the stage functions of `tasks/` (see docs/architecture.md); each stage opens
the DuckDB file itself, so any of them can run as a Prefect task. The life of a yearly run (guard,
suspend for sign-off, final/, lock, reopen) is drawn in docs/orchestration.md.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import Pause
from prefect.flow_runs import suspend_flow_run
from prefect.runtime import deployment, flow_run
from prefect.settings import get_current_settings
from prefect.states import Completed

from flows.params import CheckParams, CycleParams, ReopenParams, SignOffInput
from tasks import guard, locked
from tasks.aggregate import aggregate as aggregate_marts
from tasks.aggregate import write_outputs
from tasks.config import Config, load_config
from tasks.ingest import ingest_year
from tasks.publish import publish_artifacts, publish_validation
from tasks.runlog import artifact_key, draft_of_flow_run, new_run_id, save_draft, year_counts_line
from tasks.signoff import (
    SignOffError,
    decide,
    how_to_sign_off,
    locked_message,
    rejection_message,
    reopen_year,
    sign_off_description,
    signed_before,
    store_sign_off,
    write_final,
    year_lock,
)
from tasks.validate import validate_year
from tasks.year_outputs import aside, render, swap


# Runs that end without a new signed report end Completed under these names: Prefect 3.9 logs any
# other final state of a deployment run as an ERROR with a traceback ("Engine execution exited with
# unexpected exception"), which is no error here: the run did what it had to.
REJECTED, BUSY, REFUSED, LOCKED = "Bị từ chối", "Trùng lượt", "Không ghi quyết định", "Đã khoá"


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
render_draft = _stage(render, "render")
swap_in = _stage(swap, "swap-outputs")
keep_draft = _stage(save_draft, "save-draft")
final_report = _stage(write_final, "final")
record_decision = _stage(store_sign_off, "sign-off")


def check_year(config: Config, params: CheckParams, year: int) -> tuple[object, list[Path], list[str]]:
    """ingest → validate → publish for one year; returns the validation summary, its files and artifact keys.

    A signed (locked) year is checked in a file of its own, so nothing sent after the sign-off
    reaches its figures (tasks/locked.py).
    """
    db, out = params.db_path(), params.out_dir()
    lock = year_lock(db, year)
    if lock:
        db, out = locked.late_paths(out, year)
    ingest(config=config, submissions_dir=params.submissions_dir(), year=year, db_path=db)
    summary = validate(config=config, year=year, db_path=db, flow_run_id=str(flow_run.id))
    published = publish(config=config, year=year, db_path=db, out_dir=out)
    artifact_keys = publish_ui(summary, published, key_scope=params.artifact_scope())
    get_run_logger().info(year_counts_line(summary))
    if lock:
        line = locked_message(year, lock)
        files = locked.late_files(db_path=params.db_path(), late_db=db, year=year)
        locked.write_late_changes(params.out_dir(), year, locked.late_markdown(year, line, files))
        get_run_logger().info("%s (%s tệp %s)", line, len(files), locked.LATE_LABEL)
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
    """guard → ingest → validate → publish (each year) → aggregate → draft → sign-off → final/."""
    logger = get_run_logger()
    year, period_years = params.report_year(), params.period_years
    db, out = params.db_path(), params.out_dir()
    config = load(params.config_dir())
    lock = year_lock(db, year)
    if lock:
        for each in params.years():
            check_year(config, params, each)
        message = locked_message(year, lock)
        return Completed(name=LOCKED, message=message, data={"year": year, "locked": True, "message": message})

    flow_run_id = str(flow_run.id)
    held = {"db_path": db, "district_code": config.district.code, "year": year}
    draft = draft_of_flow_run(db, flow_run_id)  # set when a suspended run was resumed: it starts again here
    run_id = draft.run_id if draft else new_run_id(year)
    try:
        guard.take(**held, flow_run_id=flow_run_id, run_id=run_id, flow_run_name=flow_run.name)
    except guard.YearBusy as exc:
        logger.warning(str(exc))
        return Completed(name=BUSY, message=str(exc))
    try:
        if draft is None:
            draft, artifact_keys = new_draft(config, params, run_id=run_id, flow_run_id=flow_run_id)
        else:
            artifact_keys = []
            logger.info("Tiếp tục lượt chạy đã dừng chờ ký duyệt bản dự thảo lần %s năm %s", draft.version, year)
        result = {
            "year": year, "period_years": period_years, "run_id": run_id, "draft_version": draft.version,
            "draft_folder": str(draft.folder), "changed_units": draft.changed_units, "sign_off": None,
        }
        answer = sign_off_gate(params, draft=draft, artifact_keys=artifact_keys)
        if answer is None:
            guard.release(**held, flow_run_id=flow_run_id)
            logger.info(how_to_sign_off(year, period_years))
            return result
        try:
            signed = decide(db_path=db, run_id=run_id, year=year, period_years=period_years,
                            decision=answer["decision"], name=answer["name"], comment=answer.get("comment", ""),
                            draft_version=draft.version, form_version=answer.get("draft_version"),
                            flow_run_id=flow_run_id)
        except SignOffError as exc:
            guard.release(**held, flow_run_id=flow_run_id)
            logger.warning("Không ghi quyết định: %s", exc)
            return Completed(name=REFUSED, message=str(exc), data=result)
        if signed["decision"] == "approve":
            final = final_report(config=config, year=year, period_years=period_years, db_path=db, out_dir=out,
                                 signed=signed, draft=draft, report_date=params.report_date)
            signed["final_folder"] = str(final)
        result["sign_off"] = record_decision(db_path=db, signed=signed, outputs=draft.outputs)
        guard.release(**held, flow_run_id=flow_run_id)
    except Pause:
        raise  # suspended for sign-off: the year stays held while the run waits
    except BaseException:
        guard.release(**held, flow_run_id=flow_run_id)
        raise
    if signed["decision"] == "reject":
        # The draft stays as it was; the run's state carries the reviewer's words to the UI.
        logger.info(rejection_message(signed))
        return Completed(name=REJECTED, message=rejection_message(signed), data=result)
    logger.info("Báo cáo năm %s đã được %s duyệt; bản ký duyệt: %s", year, signed["name"], final)
    return result


def new_draft(config: Config, params: CycleParams, *, run_id: str, flow_run_id: str):
    """Check every year of the period, aggregate, write the year's tables and report aside, swap them in."""
    year, period_years, db, out = params.report_year(), params.period_years, params.db_path(), params.out_dir()
    artifact_keys: list[str] = []
    for each in params.years():
        artifact_keys += check_year(config, params, each)[2]
    aggregate(config=config, year=year, period_years=period_years, db_path=db)
    root = aside(out, year, run_id)
    write_tables(config=config, year=year, period_years=period_years, db_path=db, out_dir=root)
    render_draft(config=config, year=year, period_years=period_years, db_path=db, out_dir=root,
                 report_date=params.report_date, signed_before=signed_before(db, year))
    written = swap_in(root=root, year=year, run_id=run_id, db_path=db, flow_run_id=flow_run_id)
    draft = keep_draft(config=config, year=year, period_years=period_years, db_path=db, out_dir=out, run_id=run_id,
                       paths=[*written, out / str(year) / "submission_status.csv"], flow_run_id=flow_run_id)
    changes_key = artifact_key("thay-doi", year, params.artifact_scope())
    create_markdown_artifact(markdown=draft.changes_md, key=changes_key,
                             description=f"Thay đổi của bản dự thảo lần {draft.version} năm {year} so với lần trước")
    return draft, [*artifact_keys, changes_key]


def sign_off_gate(params: CycleParams, *, draft, artifact_keys: list[str]) -> dict | None:
    """A deployment run suspends for the reviewer's form; a local run takes the decision from its parameters.

    Suspended, the run's process exits and the worker is free; Resume reschedules the run, a worker
    starts it again, `yearly_report` finds its draft and `suspend_flow_run` (same key) returns the
    form's answers at once.
    """
    if deployment.id is None:
        return params.sign_off.model_dump() if params.sign_off else None
    if params.sign_off:
        get_run_logger().warning(
            "Lượt chạy từ deployment: quyết định ghi sẵn trong tham số bị bỏ qua; người duyệt quyết định trong biểu mẫu."
        )
    year, out = draft.year, params.out_dir()
    description = sign_off_description(
        year=year, period_years=params.period_years, draft_version=draft.version,
        ui_url=get_current_settings().ui_url, artifact_keys=artifact_keys,
        files={"Báo cáo kiểm tra": out / str(year) / "validation" / "index.html",
               "Dự thảo": draft.folder / f"bao_cao_{year}.docx", "Thư mục bản dự thảo": draft.folder},
        changes_md=draft.changes_md,
    )
    answer = suspend_flow_run(
        wait_for_input=SignOffInput.for_draft(description=description, draft_version=draft.version),
        timeout=int(params.sign_off_timeout_hours * 3600),
        key=f"ky-duyet-lan-{draft.version}",  # lowercase letters, digits and dashes only
    )
    return answer.model_dump(include={"decision", "name", "comment", "draft_version"})


@flow(name="reopen-year")
def reopen(params: ReopenParams) -> dict:
    """Lift the lock of a signed year, recording who and why; the next yearly run applies the waiting files."""
    try:
        reopened = reopen_year(db_path=params.db_path(), year=params.year, reason=params.reason, by=params.by,
                               flow_run_id=str(flow_run.id))
    except SignOffError as exc:
        return Completed(name="Không mở lại", message=str(exc))
    get_run_logger().info("Năm %s đã được %s mở lại: %s", params.year, params.by, params.reason)
    return {k: str(v) for k, v in reopened.items()}


if __name__ == "__main__":
    yearly_report(CycleParams(year=2020, period_years=5))
