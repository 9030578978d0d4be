"""Publish a validation run for people: Data Docs, the Vietnamese summary page, feedback workbooks."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import re
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, select_autoescape

from tasks import rules
from tasks.config import PROJECT_ROOT, Config
from tasks.db import open_db, query
from tasks.feedback import SEVERITY_VI, load_unit_files, write_feedback
from tasks.report.charts import validation_charts
from tasks.runlog import artifact_key, now_vn
from tasks.safety import forbid_scripts, neutralise
from tasks.site import site_links
from tasks.validate import YEAR_AWARDS_SQL, ValidationSummary, gx_context
from tasks.workbook_templates import build_template

TEMPLATES_DIR = PROJECT_ROOT / "templates" / "validation"
STATUS_VI = {"accepted": "Chấp nhận", "rejected": "Bị trả lại", "missing": "Chưa nộp"}
STATUS_COLUMNS = ("ma_don_vi", "trang_thai", "ten_don_vi", "nam", "so_loi_nghiem_trong", "so_canh_bao",
                  "source_path", "version", "reason_vi")
_UNIT_CODE = re.compile(r"^[A-Z0-9_]{1,32}$")

log = logging.getLogger(__name__)


def publish_validation(config: Config, year: int, db_path: Path | str, out_dir: Path | str) -> list[Path]:
    """Write <out>/<year>/validation/ and <out>/<year>/submission_status.csv for the latest run."""
    year_dir = Path(out_dir).resolve() / str(year)
    target = year_dir / "validation"
    target.mkdir(parents=True, exist_ok=True)
    with open_db(db_path) as con:
        run = _latest_run(con, year)
        statuses = query(con, "validation/int_submission_status_year", {"nam": year})
        found = query(con, "validation/int_finding_current", {"nam": year})
        files = load_unit_files(con, year)
        year_awards = con.execute(YEAR_AWARDS_SQL, {"nam": year}).df()
        charts = validation_charts(config, con, year)
        docs_index = build_data_docs(Path(run["gx_project_dir"]), run_id=run["run_id"], target=target / "data_docs")
        con.execute("update validation_run set data_docs_path = ? where run_id = ?", [str(docs_index), run["run_id"]])

    by_unit: dict[str, list[dict]] = {}
    for f in found:
        f["muc_do"] = SEVERITY_VI[f["severity"]]
        by_unit.setdefault(f["unit_code"], []).append(f)
    units = []
    for s in statuses:
        unit_findings = by_unit.get(s["ma_don_vi"], [])
        units.append({
            **s,
            "trang_thai_vi": STATUS_VI[s["trang_thai"]],
            "so_nghiem_trong": sum(f["severity"] == "critical" for f in unit_findings),
            "so_canh_bao": sum(f["severity"] == "warning" for f in unit_findings),
            "findings": unit_findings,
            "has_page": bool(unit_findings) and bool(_UNIT_CODE.match(s["ma_don_vi"])),
        })

    written = [docs_index]
    env = _templates()
    page = {
        "district": config.district,
        "year": year,
        "run": run,
        "units": units,
        "missing": [u for u in units if u["trang_thai"] == "missing"],
        "counts": {k: sum(u["trang_thai"] == k for u in units) for k in STATUS_VI},
        "totals": {"critical": sum(u["so_nghiem_trong"] for u in units),
                   "warning": sum(u["so_canh_bao"] for u in units)},
        "rules": rules.rules_overview(config, year, year_awards),
        "data_docs_href": docs_index.relative_to(target).as_posix(),
        "charts": charts,
        "generated_at": now_vn(),
    }
    written.append(_write(target / "index.html", env.get_template("index.html").render(**page)))
    for unit in units:
        if not unit["has_page"]:
            continue
        code = unit["ma_don_vi"]
        written.append(_write(target / "don_vi" / f"{code}.html",
                              env.get_template("unit.html").render(**page, unit=unit)))
        template = None
        if unit["trang_thai"] != "accepted" and config.unit(code) is not None:  # a unit that must (re)send
            template = target / f"mau_{code}.xlsx"
            build_template(config, config.unit(code), year).save(template)
            written.append(template)
        written.append(write_feedback(target / f"phan_hoi_{code}.xlsx", unit=unit, year=year, config=config,
                                      file=files.get(code), template=template))
    written.append(write_status_csv(year_dir / "submission_status.csv", statuses))
    return written


@cache
def _templates() -> Environment:
    """Built once per process, like tasks.report.outline.template_env (compiled templates kept)."""
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True, bytecode_cache=FileSystemBytecodeCache())


def _latest_run(con, year: int) -> dict:
    cur = con.execute("select * from validation_run where nam = ? order by finished_at desc limit 1", [year])
    row = cur.fetchone()
    if row is None:
        raise ValueError(f"năm {year} chưa được kiểm tra (no validation run for {year}); run validate first")
    return dict(zip([d[0] for d in cur.description], row))


def build_data_docs(project_dir: Path, *, run_id: str, target: Path) -> Path:
    """Build the year's GX Data Docs into `target`; return its index.html."""
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )

    context = gx_context(project_dir)
    site = {
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(target)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    stored = (context.variables.data_docs_sites or {}).get("thidua")
    # Rewriting great_expectations.yml would make the next validation reopen the project.
    if stored is None:
        context.add_data_docs_site("thidua", site)
    elif _plain_config(stored) != site:
        context.update_data_docs_site("thidua", site)
    keys = [k for k in context.validation_results_store.list_keys()
            if isinstance(k, ValidationResultIdentifier) and k.run_id.run_name == run_id]
    context.build_data_docs(site_names=["thidua"], resource_identifiers=keys or None)
    # Data Docs print submitted values into their pages; offline their CDN scripts load nothing
    # anyway, so forbidding every script costs nothing and keeps a planted <script> inert.
    forbid_scripts(target)
    return target / "index.html"


def _plain_config(value):
    """GX's stored config (ruamel maps and lists) as plain dicts and lists, to compare."""
    if isinstance(value, dict):
        return {k: _plain_config(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_config(v) for v in value]
    return value


def write_status_csv(path: Path, statuses: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(STATUS_COLUMNS)
        for s in statuses:
            # A unit code comes from a file name, and a file may be named "=2+3.xlsx".
            writer.writerow(["" if s.get(c) is None else neutralise(s.get(c)) for c in STATUS_COLUMNS])
    return path


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def publish_artifacts(summary: ValidationSummary, paths: list[Path] | None = None, key_scope: str = "local") -> list[str]:
    """Prefect artifacts for the UI (unit status table, Markdown summary); a no-op outside a flow run.

    key_scope names the output folder (CheckParams.artifact_scope), so two districts or two output
    folders never overwrite each other's artifacts.
    """
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        log.info("publish_artifacts: not inside a Prefect flow run; no artifact created")
        return []
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    year = summary.year
    table = [
        {"ma_don_vi": s["ma_don_vi"], "ten_don_vi": s.get("ten_don_vi") or "", "trang_thai": s["trang_thai"],
         "trang_thai_vi": STATUS_VI.get(s["trang_thai"], s["trang_thai"]),
         "so_loi_nghiem_trong": s.get("so_loi_nghiem_trong") or 0, "so_canh_bao": s.get("so_canh_bao") or 0}
        for s in summary.statuses
    ]
    keys = [artifact_key("validation-status", year, key_scope), artifact_key("validation", year, key_scope)]
    create_table_artifact(table=table, key=keys[0],
                          description=f"Trạng thái báo cáo của các đơn vị năm {year} (lượt {summary.run_id})")
    create_markdown_artifact(markdown=summary_markdown(summary, paths or []), key=keys[1],
                             description=f"Kết quả kiểm tra số liệu năm {year}")
    return keys


def summary_markdown(summary: ValidationSummary, paths: list[Path]) -> str:
    missing = [s["ma_don_vi"] for s in summary.statuses if s["trang_thai"] == "missing"]
    rejected = [s["ma_don_vi"] for s in summary.statuses if s["trang_thai"] == "rejected"]
    # A unit that has not submitted yet is counted as missing, not as a critical error of its data.
    critical = sum(s.get("so_loi_nghiem_trong") or 0 for s in summary.statuses if s["trang_thai"] != "missing")
    lines = [
        f"# Kết quả kiểm tra số liệu năm {summary.year}",
        "",
        f"- Lượt kiểm tra: `{summary.run_id}` ({summary.finished_at:%d/%m/%Y %H:%M})",
        f"- Chấp nhận: **{summary.count('accepted')}**, bị trả lại: **{summary.count('rejected')}**, "
        f"chưa nộp: **{summary.count('missing')}**",
        f"- Lỗi nghiêm trọng trong bài đã nộp: **{critical}**, cảnh báo: **{summary.so_canh_bao}**",
        f"- Bị trả lại: {', '.join(rejected) or 'không có'}",
        f"- Chưa nộp: {', '.join(missing) or 'không có'}",
    ]
    site = site_links(summary.year)
    links = [p for p in paths if p.name in ("index.html",) or p.suffix == ".csv"]
    if site:  # pages a reviewer opens from any machine, not file:// paths of the server
        lines += ["", "## Xem trên trang duyệt", ""]
        lines += [f"- [{label}]({url})" for label, url in site.items()]
    elif links:
        lines += ["", "## Tệp kết quả", ""]
        lines += [f"- [{p.parent.name}/{p.name}]({p.resolve().as_uri()})" for p in links]
    return "\n".join(lines) + "\n"
