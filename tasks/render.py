"""Render the report draft (DOCX, HTML, Markdown, sources workbook) from the marts.

The work is done in tasks/report/: `context` reads the marts once, `outline` arranges the report
as blocks, and one writer per format walks those blocks. This module keeps the entry point.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tasks.config import Config
from tasks.report.charts import build_charts
from tasks.report.context import RenderError, build_context, load_sections
from tasks.report.html import render_html
from tasks.report.markdown import render_markdown
from tasks.report.outline import build_outline
from tasks.report.sources import write_sources_xlsx
from tasks.report.text import markdown_escape
from tasks.report.word import write_docx

__all__ = ["RenderError", "build_context", "load_sections", "markdown_escape", "render_report"]


def render_report(
    config: Config,
    year: int,
    period_years: int,
    db_path: Path | str,
    out_dir: Path | str,
    sign_off: dict | None = None,
    *,
    report_date: date | None = None,
    dest: Path | None = None,
    signed_before: dict | None = None,
) -> list[Path]:
    """Write bao_cao_<year>.docx, .html, .md and nguon_so_lieu_<year>.xlsx into `dest`
    (default <out_dir>/<year>/); returns their paths.

    report_date: the date on the place-date line and the appendices; without it a draft shows
    "ngày … tháng … năm …" for the office, and an approved report takes the sign-off date.
    signed_before: {"signed_on": date, "draft_version": int} when a signed version exists.
    """
    context = build_context(config, year, period_years, db_path, sign_off=sign_off, report_date=report_date,
                            signed_before=signed_before)
    outline = build_outline(context, build_charts(context))
    target = Path(dest) if dest is not None else Path(out_dir) / str(year)
    target.mkdir(parents=True, exist_ok=True)
    docx_path = write_docx(context, outline, target / f"bao_cao_{year}.docx")
    html_path = target / f"bao_cao_{year}.html"
    md_path = target / f"bao_cao_{year}.md"
    html_path.write_text(render_html(context, outline), encoding="utf-8")
    md_path.write_text(render_markdown(context, outline), encoding="utf-8")
    xlsx_path = write_sources_xlsx(context, target / f"nguon_so_lieu_{year}.xlsx")
    return [docx_path, html_path, md_path, xlsx_path]
