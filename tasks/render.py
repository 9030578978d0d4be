"""Render the report draft (DOCX, HTML, Markdown) from the marts, in the Nghị định 30/2020 layout."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from tasks.config import PROJECT_ROOT, Config, Indicator
from tasks.db import open_db, query
from tasks.formatting import (
    MISSING,
    clean_text,
    format_fraction,
    format_number,
    format_percent,
    format_period,
    format_place_date,
    format_trieu_dong,
)

TEMPLATE_DIR = PROJECT_ROOT / "templates" / "report"
REQUIRED_TABLES = (
    "mart_district_indicators",
    "mart_award_table",
    "mart_narrative",
    "mart_unit_indicators",
)
MISSING_MARK = f"[{MISSING}]"
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}


class RenderError(Exception):
    """The report cannot be drafted (marts not built, sections file unreadable)."""


@dataclass(frozen=True)
class Source:
    unit_code: str
    unit_name: str
    source_path: str


@dataclass(frozen=True)
class Figure:
    """One district figure as the report states it, with where it came from."""

    code: str
    name: str
    nam: str  # "2019" or "2016 - 2020"
    value: float | None
    so: str  # the number alone: "4,97%", "22/48", "99,605 tỷ đồng", "2.780"
    text: str  # with its unit: "2.780 người"
    bang: str  # as a table cell, in the catalogue's unit: "99.605", "4,97", "–"
    is_missing: bool
    is_partial: bool
    ghi_chu: str
    sources: tuple[Source, ...] = ()

    def shown(self, bare: bool = False) -> str:
        text = self.so if bare else self.text
        return f"{text} (số liệu chưa đầy đủ)" if self.is_partial else text


@dataclass(frozen=True)
class Change:
    """The difference between two figures of one indicator: "tăng 2,23"."""

    huong: str  # tăng | giảm | không đổi
    so: str

    def __str__(self) -> str:
        return self.huong if self.huong == "không đổi" else f"{self.huong} {self.so}"


class _ByCode(dict):
    """Figures by indicator code; a code the district's catalogue lacks reads as "no data", so the
    shared sentences still render for a district with a shorter catalogue."""

    def __missing__(self, code: str) -> Figure:
        return Figure(code=code, name=code, nam="", value=None, so=MISSING_MARK, text=MISSING_MARK, bang="–",
                      is_missing=True, is_partial=False, ghi_chu="Chỉ tiêu không có trong danh mục của đơn vị.")


@dataclass
class FigureRefs:
    """Numbers each figure the first time a sentence states it, for footnotes and the appendix."""

    figures: list[Figure] = field(default_factory=list)

    def ref(self, fig: Figure) -> int:
        key = (fig.code, fig.nam)
        for n, seen in enumerate(self.figures, start=1):
            if (seen.code, seen.nam) == key:
                return n
        self.figures.append(fig)
        return len(self.figures)


# ---------------------------------------------------------------------------------------------
# Context: everything the templates and the DOCX writer need, read once from the marts.


def load_sections(config: Config) -> dict:
    """The report's sections and group headings (config/sections.yaml beside units.yaml)."""
    path = config.config_dir / "sections.yaml"
    if not path.is_file():
        path = PROJECT_ROOT / "config" / "sections.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RenderError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data.get("sections"), list):
        raise RenderError(f"{path}: key sections: expected a list of sections")
    return {"sections": data["sections"], "groups": data.get("groups") or []}


def _figure(ind: Indicator, row: dict | None, nam: str, sources: tuple[Source, ...]) -> Figure:
    row = row or {}
    value, tu_so, mau_so = row.get("gia_tri"), row.get("tu_so"), row.get("mau_so")
    ghi_chu = clean_text(row.get("ghi_chu")) or ("" if row else "Chưa tổng hợp số liệu năm này.")
    if ind.aggregation == "fraction":
        missing = tu_so is None or mau_so is None
        so = bang = format_fraction(tu_so, mau_so)
        text = so
    elif ind.aggregation == "count_true":
        expected = row.get("so_don_vi_du_kien")
        missing = value is None or not expected
        so = bang = format_fraction(value, expected)
        text = so
    elif ind.unit == "%":
        missing = value is None
        so = text = format_percent(value, ind.decimals)
        bang = format_number(value, ind.decimals)
    elif ind.unit == "triệu đồng":
        missing = value is None
        so = text = format_trieu_dong(value, decimals=ind.decimals)
        bang = format_number(value, ind.decimals)
    else:
        missing = value is None
        so = format_number(value, ind.decimals)
        text = f"{so} {ind.unit}"
        bang = so
    if missing:
        so = text = MISSING_MARK
        bang = "–"
    return Figure(
        code=ind.code,
        name=ind.name,
        nam=nam,
        value=None if missing else value,
        so=so,
        text=text,
        bang=bang,
        is_missing=missing,
        is_partial=not missing and bool(ghi_chu),
        ghi_chu=ghi_chu,
        sources=sources,
    )


def _change(a: Figure, b: Figure, decimals: int) -> Change:
    if a.value is None or b.value is None:
        return Change(huong="chưa so sánh được", so=MISSING_MARK)
    diff = round(b.value - a.value, 9)
    huong = "tăng" if diff > 0 else "giảm" if diff < 0 else "không đổi"
    return Change(huong=huong, so=format_number(abs(diff), decimals))


def _sources_by_indicator(config: Config, unit_rows: list[dict]) -> dict[tuple[str, int], list[Source]]:
    order = {u.code: n for n, u in enumerate(config.units)}
    found: dict[tuple[str, int], list[Source]] = {}
    for r in sorted(unit_rows, key=lambda r: (order.get(r["unit_code"], 10**6), r["source_path"] or "")):
        unit = config.unit(r["unit_code"])
        src = Source(r["unit_code"], unit.name if unit else r["unit_code"], clean_text(r["source_path"]))
        found.setdefault((r["indicator_code"], r["nam"]), []).append(src)
    return found


def _figure_sources(ind: Indicator, years: list[int], by_ind: dict) -> tuple[Source, ...]:
    codes = [c for c in (ind.code, ind.numerator, ind.denominator) if c]
    seen: dict[Source, None] = {}
    for nam in years:
        for code in codes:
            for src in by_ind.get((code, nam), []):
                seen.setdefault(src, None)
    return tuple(seen)


def _outline(config: Config, sections_cfg: dict, ky: str, narrative: dict[str, list[dict]]) -> list[dict]:
    """Parts → top-level items (a section, or a group heading with its sections) in report order."""
    sections = []
    for s in sections_cfg["sections"]:
        code = str(s["code"])
        label = code.split(".")[-1] + "."
        paragraphs = narrative.get(code, [])
        sections.append({
            "code": code,
            "part": int(s.get("part", 1)),
            "label": label,
            "title": str(s["title"]).replace("{ky}", ky),
            "so_lieu_nam": s.get("so_lieu_nam", "cuoi"),
            "paragraphs": paragraphs,
            "parent": code.rsplit(".", 1)[0] if "." in code else None,
        })
    groups = {str(g["code"]): g for g in sections_cfg["groups"]}
    tops: dict[str, dict] = {}
    for s in sections:
        if s["parent"] is None or s["parent"] == "P2":
            tops[s["code"]] = {"kind": "section", "code": s["code"], "part": s["part"], "section": s}
        else:
            g = groups.get(s["parent"], {"title": s["parent"], "part": s["part"]})
            item = tops.setdefault(s["parent"], {
                "kind": "group", "code": s["parent"], "part": int(g.get("part", s["part"])),
                "title": str(g["title"]).replace("{ky}", ky), "sections": [],
            })
            item["sections"].append(s)
    for code, g in groups.items():
        tops.setdefault(code, {"kind": "group", "code": code, "part": int(g.get("part", 1)),
                               "title": str(g["title"]).replace("{ky}", ky), "sections": []})

    def key(item: dict) -> tuple[int, int]:
        last = item["code"].split(".")[-1]
        return item["part"], _ROMAN.get(last, 99)

    parts = []
    for part in (1, 2):
        items = sorted((t for t in tops.values() if t["part"] == part), key=key)
        for item in items:
            item["label"] = item["code"].split(".")[-1] + "."
            item["is_award_table"] = item["code"] == "III"
        parts.append({"part": part, "entries": items})
    return parts


def build_context(
    config: Config,
    year: int,
    period_years: int,
    db_path: Path | str,
    sign_off: dict | None = None,
    issued_on: date | None = None,
) -> dict[str, Any]:
    """The plain data every output is rendered from; the templates never query."""
    first = year - period_years + 1
    years = list(range(first, year + 1))
    sections_cfg = load_sections(config)
    with open_db(db_path) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        absent = [t for t in REQUIRED_TABLES if t not in tables]
        if absent:
            raise RenderError(
                f"{db_path}: chưa có bảng {', '.join(absent)} — cần chạy bước tổng hợp (aggregate) "
                f"cho năm {year} trước khi lập dự thảo báo cáo"
            )
        span = {"nam_dau": first, "nam_cuoi": year}
        district_rows = query(con, "report/district_indicators", span)
        period_rows = query(con, "report/period_indicators", span) if "mart_period_indicators" in tables else []
        award_rows = query(con, "report/award_table", span)
        unit_rows = query(con, "report/unit_sources", span)
        narrative_rows = query(con, "report/narrative", {"nam_cuoi": year})
        status_rows = query(con, "report/submission_status", span) if "submission_status" in tables else []

    ky = format_period(first, year)
    by_ind = _sources_by_indicator(config, unit_rows)
    district = {(r["indicator_code"], r["nam"]): r for r in district_rows}
    period = {r["indicator_code"]: r for r in period_rows}
    per_year = {
        nam: _ByCode({
            i.code: _figure(i, district.get((i.code, nam)), str(nam), _figure_sources(i, [nam], by_ind))
            for i in config.indicators
        })
        for nam in years
    }
    period_label = f"{first} - {year}" if first != year else str(year)
    ky_figures = _ByCode({
        i.code: _figure(i, period.get(i.code), period_label, _figure_sources(i, years, by_ind))
        for i in config.indicators
    })
    previous = max(year - 1, first)
    figures = {
        "cuoi": per_year[year], "truoc": per_year[previous], "dau": per_year[first],
        "ky": ky_figures, "nam": per_year,
    }
    changes = {
        name: defaultdict(lambda: Change(huong="chưa so sánh được", so=MISSING_MARK), {
            i.code: _change(per_year[first][i.code], per_year[then][i.code], i.decimals)
            for i in config.indicators
        })
        for name, then in (("cuoi_dau", year), ("truoc_dau", previous))
    }

    source_of = {r["file_version_id"]: clean_text(r.get("source_path")) for r in status_rows}
    narrative, stray = _narrative(config, sections_cfg, narrative_rows, source_of)
    approved = bool(sign_off) and sign_off.get("decision") == "approve"
    issued_on = issued_on or (_decided_on(sign_off) if approved else None) or date.today()
    return {
        "district": _district(config),
        "nam": year,
        "nam_dau": first,
        "nam_truoc": previous,
        "so_nam": period_years,
        "is_period": period_years > 1,
        "years": years,
        "ky": ky,
        "ky_toi": format_period(year + 1, year + period_years) if period_years > 1 else f"năm {year + 1}",
        "trong_ky": f"{period_years} năm ({first} - {year})" if period_years > 1 else f"năm {year}",
        "place_date": format_place_date(config.district.place_name, issued_on),
        "is_draft": not approved,
        "sign_off": _sign_off(sign_off),
        "coverage": _coverage(config, years, status_rows),
        "stray_narrative": stray,
        "outline": _outline(config, sections_cfg, ky, narrative),
        "f": figures,
        "d": changes,
        "award": _award_table(years, award_rows),
        "indicator_table": [
            {"code": i.code, "name": i.name, "unit": i.unit,
             "cells": [per_year[n][i.code].bang for n in years],
             "ky": ky_figures[i.code].bang}
            for i in config.indicators
        ],
    }


def _decided_on(sign_off: dict) -> date | None:
    """The approved report is dated the day the data was approved; a draft, the day it was drafted."""
    value = sign_off.get("decided_at")
    if isinstance(value, date):
        return value if not hasattr(value, "date") else value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _district(config: Config) -> dict:
    d = config.district
    body = d.issuing_body.strip()
    prefix = "Ủy ban nhân dân"
    lines = [prefix.upper(), body[len(prefix):].strip().upper()] if body.lower().startswith(prefix.lower()) \
        else [body.upper()]
    recipients = [clean_text(r) for r in d.recipients]
    return {
        "name": d.name,
        "issuing_body": body,
        "issuing_lines": [line for line in lines if line],
        "symbol": d.document_symbol,
        "signer_on_behalf": d.signer_on_behalf,
        "signer_title": d.signer_title,
        "signer_name": d.signer_name,
        # Nghị định 30: each recipient line ends with ";", the last one with "."
        "recipients": [f"- {r}{'.' if n == len(recipients) else ';'}" for n, r in enumerate(recipients, 1)],
    }


def _sign_off(sign_off: dict | None) -> dict | None:
    if not sign_off:
        return None
    return {k: clean_text(sign_off.get(k)) for k in ("decision", "name", "comment", "decided_at")}


def _coverage(config: Config, years: list[int], status_rows: list[dict]) -> list[dict]:
    """Per year: how many expected units were aggregated, and which were missing or quarantined."""
    out = []
    for nam in years:
        rows = [r for r in status_rows if r["nam"] == nam and r.get("is_expected", True)]
        if not rows:
            out.append({"nam": nam, "known": False, "accepted": 0, "expected": 0, "missing": [], "rejected": []})
            continue
        order = {u.code: n for n, u in enumerate(config.units)}
        rows.sort(key=lambda r: order.get(r["ma_don_vi"], 10**6))

        def name(code: str) -> str:
            unit = config.unit(code)
            return unit.name if unit else code

        out.append({
            "nam": nam,
            "known": True,
            "accepted": sum(r["trang_thai"] == "accepted" for r in rows),
            "expected": len(rows),
            "missing": [name(r["ma_don_vi"]) for r in rows if r["trang_thai"] == "missing"],
            "rejected": [name(r["ma_don_vi"]) for r in rows if r["trang_thai"] == "rejected"],
        })
    return out


def _narrative(config: Config, sections_cfg: dict, rows: list[dict], source_of: dict) -> tuple[dict, list[dict]]:
    codes = {str(s["code"]).casefold(): str(s["code"]) for s in sections_cfg["sections"]}
    by_section: dict[str, list[dict]] = {}
    stray: list[dict] = []
    for r in rows:
        muc = clean_text(r.get("muc"))
        unit = config.unit(r["unit_code"])
        base = {
            "unit": unit.name if unit else clean_text(r.get("ten_don_vi")) or r["unit_code"],
            "source": source_of.get(r.get("file_version_id"), ""),
            "sheet": clean_text(r.get("sheet_name")) or "noi_dung",
            "row": r.get("row_number"),
        }
        code = codes.get(muc.casefold())
        if code is None:
            stray.append({**base, "muc": muc})
            continue
        # A cell with line breaks is several paragraphs, as its author typed them.
        for line in clean_text(r.get("noi_dung")).split("\n"):
            if line.strip():
                by_section.setdefault(code, []).append({**base, "text": line.strip()})
    return by_section, stray


def _award_table(years: list[int], rows: list[dict]) -> dict:
    """Section III as the seed lays it out: one row per title and recipient, one column per year."""
    by_key: dict[tuple, dict] = {}
    years_present = {r["nam"] for r in rows}
    for r in sorted(rows, key=lambda r: (r.get("sort_order") or 99, r["hinh_thuc"], r["doi_tuong"])):
        key = (r.get("sort_order") or 99, r["hinh_thuc"], r["doi_tuong"])
        row = by_key.setdefault(key, {
            "hinh_thuc": r["hinh_thuc"],
            "ten_hinh_thuc": clean_text(r.get("ten_hinh_thuc")) or r["hinh_thuc"],
            "ten_doi_tuong": clean_text(r.get("ten_doi_tuong")) or r["doi_tuong"],
            "counts": {},
        })
        row["counts"][r["nam"]] = r["so_luong"]
    table_rows = []
    stt = 0
    previous = None
    for key in sorted(by_key):
        row = by_key[key]
        first_of_group = row["hinh_thuc"] != previous
        if first_of_group:
            stt += 1
            previous = row["hinh_thuc"]
        group_size = sum(1 for k in by_key if by_key[k]["hinh_thuc"] == row["hinh_thuc"])
        table_rows.append({
            "stt": f"{stt:02d}",
            "ten_hinh_thuc": row["ten_hinh_thuc"],
            "ten_doi_tuong": row["ten_doi_tuong"],
            "rowspan": group_size if first_of_group else 0,
            "cells": [
                format_number(row["counts"].get(n, 0), 0) if n in years_present else "–"
                for n in years
            ],
        })
    return {
        "rows": table_rows,
        "years": years,
        "years_missing": [n for n in years if n not in years_present],
    }


# ---------------------------------------------------------------------------------------------
# Outputs


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_escape
    return env


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|#])")


def markdown_escape(text: object) -> str:
    """Submitted text shown literally in Markdown: no links, emphasis, tables or raw HTML."""
    return _MD_SPECIAL.sub(r"\\\1", clean_text(text))


def _source_note(fig: Figure) -> str:
    files: dict[str, list[str]] = {}
    for s in fig.sources:
        files.setdefault(s.unit_name, []).append(s.source_path)
    units = "; ".join(f"{unit} ({', '.join(paths)})" for unit, paths in files.items()) or "không có tệp nào"
    note = f" {fig.ghi_chu}" if fig.ghi_chu else ""
    return f"{fig.name}, {fig.nam}: {fig.shown()}. Nguồn: {units}.{note}"


def _html_figure(refs: FigureRefs) -> Callable[..., Markup]:
    def so(fig: Figure, bare: bool = False) -> Markup:
        n = refs.ref(fig)
        css = "so-lieu" + (" thieu" if fig.is_missing else "") + (" chua-du" if fig.is_partial else "")
        return Markup(
            f'<span class="{css}" title="{escape(_source_note(fig))}">{escape(fig.shown(bare))}</span>'
            f'<sup class="tham-chieu"><a href="#nguon-{n}" id="ref-{n}">{n}</a></sup>'
        )
    return so


def _md_figure(refs: FigureRefs) -> Callable[..., str]:
    def so(fig: Figure, bare: bool = False) -> str:
        return f"{markdown_escape(fig.shown(bare))}[^{refs.ref(fig)}]"
    return so


def _text_figure(refs: FigureRefs) -> Callable[..., str]:
    def so(fig: Figure, bare: bool = False) -> str:
        refs.ref(fig)
        return fig.shown(bare)
    return so


def render_html(context: dict) -> str:
    refs = FigureRefs()
    return _environment(True).get_template("report.html.j2").render(
        r=context, so=_html_figure(refs), refs=refs, source_note=_source_note)


def render_markdown(context: dict) -> str:
    refs = FigureRefs()
    return _environment(False).get_template("report.md.j2").render(
        r=context, so=_md_figure(refs), refs=refs, source_note=_source_note)


class Prose:
    """The sentences of templates/report/_prose.j2 as plain text, for the DOCX writer."""

    def __init__(self, context: dict):
        self.refs = FigureRefs()
        self._module = _environment(False).get_template("_prose.j2").make_module(
            {"r": context, "so": _text_figure(self.refs)})

    def __call__(self, macro: str, *args: Any) -> list[str]:
        text = str(getattr(self._module, macro)(*args))
        return [line.strip() for line in text.split("\n") if line.strip()]


def render_report(
    config: Config,
    year: int,
    period_years: int,
    db_path: Path | str,
    out_dir: Path | str,
    sign_off: dict | None = None,
    issued_on: date | None = None,
) -> list[Path]:
    """Write <out>/<year>/bao_cao_<year>.docx, .html and .md; returns their paths."""
    context = build_context(config, year, period_years, db_path, sign_off=sign_off, issued_on=issued_on)
    target = Path(out_dir) / str(year)
    target.mkdir(parents=True, exist_ok=True)
    docx_path = target / f"bao_cao_{year}.docx"
    html_path = target / f"bao_cao_{year}.html"
    md_path = target / f"bao_cao_{year}.md"
    write_docx(context, docx_path)
    html_path.write_text(render_html(context), encoding="utf-8")
    md_path.write_text(render_markdown(context), encoding="utf-8")
    return [docx_path, html_path, md_path]


# ---------------------------------------------------------------------------------------------
# DOCX (python-docx): the layout of Nghị định 30/2020/NĐ-CP, Phụ lục I, built in code so every
# size and margin is stated once; the wording comes from templates/report/_prose.j2.

FONT = "Times New Roman"
BODY_PT = 14
_PPR_AFTER_BORDER = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)


def _set_run_font(run, size: float | None = None, bold: bool | None = None, italic: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = FONT
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic


def _para(container, text: str = "", *, align: str = "justify", size: float = BODY_PT, bold: bool = False,
          italic: bool = False, indent: bool = False, after: float = 6, before: float = 0,
          keep_next: bool = False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    p = container.add_paragraph()
    p.alignment = {
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    fmt = p.paragraph_format
    fmt.space_after, fmt.space_before = Pt(after), Pt(before)
    fmt.line_spacing = 1.15
    if indent:
        fmt.first_line_indent = Cm(1)
    if keep_next:
        fmt.keep_with_next = True
    if text:
        _set_run_font(p.add_run(text), size, bold, italic)
    return p


def _rule(container, width_mm: float, cell_mm: float) -> None:
    """A short centred line, as the decree draws under the issuing body, motto and subject."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    p = _para(container, align="center", after=0, before=1, size=1)
    margin = max((cell_mm - width_mm) / 2, 0)
    p.paragraph_format.left_indent = Mm(margin)
    p.paragraph_format.right_indent = Mm(margin)
    p.paragraph_format.line_spacing = Pt(1)
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, val in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), val)
    border.append(bottom)
    ppr.insert_element_before(border, *_PPR_AFTER_BORDER)


def _no_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _widths(table, widths_mm: list[float]) -> None:
    """Fixed column widths, in the grid (LibreOffice reads) and in every cell (Word reads)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(Mm(width).twips)))
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)


def _field(paragraph, instruction: str, size: float) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "2"), ("end", None)):
        run = paragraph.add_run()
        _set_run_font(run, size)
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {instruction} "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._element.append(el)


# Word's own diagonal text watermark (VML in the page header), which LibreOffice also draws.
_WATERMARK = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w10="urn:schemas-microsoft-com:office:word"><w:pict>'
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/>'
    '<v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>'
    '<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/>'
    '<v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>'
    '<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" '
    'o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>'
    '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
    '<v:shape id="DuThao{n}" o:spid="_x0000_s20{n}" type="#_x0000_t136" o:allowincell="f" '
    'style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:110pt;rotation:315;'
    'z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
    'mso-position-vertical:center;mso-position-vertical-relative:margin" fillcolor="#f0c8c8" stroked="f">'
    '<v:fill opacity=".5"/><v:textpath style="font-family:&quot;Times New Roman&quot;;font-size:1pt;'
    'font-weight:bold" string="DỰ THẢO"/><w10:wrap anchorx="margin" anchory="margin"/></v:shape>'
    '</w:pict></w:r>'
)


def _setup_page(doc, is_draft: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.shared import Mm, Pt

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    # Page numbers from page 2 only: the first page has its own (empty) header.
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.paragraph_format.tab_stops.add_tab_stop(Mm(82.5), WD_TAB_ALIGNMENT.CENTER)
    header.paragraph_format.tab_stops.add_tab_stop(Mm(165), WD_TAB_ALIGNMENT.RIGHT)
    _set_run_font(header.add_run("\t"), 13)
    _field(header, "PAGE", 13)
    if is_draft:
        from docx.oxml import parse_xml

        _set_run_font(header.add_run("\tDỰ THẢO"), 11, bold=True)
        first = section.first_page_header.paragraphs[0]
        first.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _set_run_font(first.add_run("DỰ THẢO"), 13, bold=True)
        for n, paragraph in enumerate((header, first), start=49):
            paragraph._p.append(parse_xml(_WATERMARK.format(n=n)))
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    from docx.oxml.ns import qn

    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)


def _docx_header(doc, r: dict, prose: Prose) -> None:

    left_mm, right_mm = 62, 108
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [left_mm, right_mm])
    left, right = table.rows[0].cells
    left._element.remove(left.paragraphs[0]._p)
    right._element.remove(right.paragraphs[0]._p)
    for line in r["district"]["issuing_lines"]:
        _para(left, line, align="center", size=13, bold=True, after=0)
    _rule(left, 25, left_mm)
    _para(left, f"Số:        /{r['district']['symbol']}", align="center", size=13, before=6, after=0)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="center", size=13, bold=True, after=0)
    _para(right, "Độc lập - Tự do - Hạnh phúc", align="center", size=14, bold=True, after=0)
    _rule(right, 60, right_mm)
    _para(right, r["place_date"], align="center", size=14, italic=True, before=8, after=0)
    _para(doc, "BÁO CÁO", align="center", size=14, bold=True, before=18, after=0)
    for line in prose("trich_yeu"):
        _para(doc, line, align="center", size=14, bold=True, after=0)
    _rule(doc, 40, 165)
    _para(doc, "", after=6)


def _docx_award_table(doc, r: dict, prose: Prose) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT

    award = r["award"]
    cols = 3 + len(award["years"])
    table = doc.add_table(rows=1 + len(award["rows"]), cols=cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    year_mm = (165 - 12 - 56 - 22) / max(len(award["years"]), 1)
    _widths(table, [12, 56, 22, *[year_mm] * len(award["years"])])

    def put(cell, text: str, align: str = "center", bold: bool = False) -> None:
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
        _para(cell, text, align=align, size=13, bold=bold, after=0)

    head = table.rows[0].cells
    put(head[0], "Stt", bold=True)
    head[1].merge(head[2])
    put(head[1], "Nội dung", bold=True)
    for n, year in enumerate(award["years"]):
        put(head[3 + n], str(year), bold=True)
    for i, row in enumerate(award["rows"], start=1):
        cells = table.rows[i].cells
        if row["rowspan"]:
            stt = cells[0].merge(table.rows[i + row["rowspan"] - 1].cells[0]) if row["rowspan"] > 1 else cells[0]
            name = cells[1].merge(table.rows[i + row["rowspan"] - 1].cells[1]) if row["rowspan"] > 1 else cells[1]
            put(stt, row["stt"])
            put(name, row["ten_hinh_thuc"], align="left")
        put(cells[2], row["ten_doi_tuong"], align="left")
        for n, text in enumerate(row["cells"]):
            put(cells[3 + n], text, align="right")
    notes = prose("ghi_chu_khen_thuong")
    for line in notes:
        _para(doc, line, italic=True, indent=True, size=13, before=4)
    if not notes:
        _para(doc, "", after=0)


def _docx_signature(doc, r: dict) -> None:

    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [80, 85])
    left, right = table.rows[0].cells
    left._element.remove(left.paragraphs[0]._p)
    right._element.remove(right.paragraphs[0]._p)
    _para(left, "Nơi nhận:", align="left", size=12, bold=True, italic=True, after=0, before=6)
    for line in r["district"]["recipients"]:
        _para(left, line, align="left", size=11, after=0)
    _para(right, r["district"]["signer_on_behalf"], align="center", size=14, bold=True, after=0, before=6)
    _para(right, r["district"]["signer_title"], align="center", size=14, bold=True, after=0)
    _para(right, "(Chữ ký, dấu)", align="center", size=12, italic=True, before=12, after=60)
    _para(right, r["district"]["signer_name"], align="center", size=14, bold=True, after=0)


def _docx_appendix(doc, r: dict, refs: FigureRefs) -> None:
    from docx.enum.text import WD_BREAK

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _para(doc, "PHỤ LỤC I", align="center", bold=True, after=0)
    _para(doc, f"SỐ LIỆU CÁC CHỈ TIÊU THI ĐUA {r['ky'].upper()}", align="center", bold=True)
    years = r["years"]
    headers = ["Stt", "Chỉ tiêu", "Đơn vị tính", *map(str, years)] + (["Cả giai đoạn"] if r["is_period"] else [])
    table = doc.add_table(rows=1 + len(r["indicator_table"]), cols=len(headers))
    table.style = "Table Grid"
    number_mm = (165 - 10 - 50 - 20) / (len(headers) - 3)
    _widths(table, [10, 50, 20, *[number_mm] * (len(headers) - 3)])
    for cell, text in zip(table.rows[0].cells, headers):
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
        _para(cell, text, align="center", size=11, bold=True, after=0)
    for i, row in enumerate(r["indicator_table"], start=1):
        values = [str(i), row["name"], row["unit"], *row["cells"]] + ([row["ky"]] if r["is_period"] else [])
        for n, (cell, text) in enumerate(zip(table.rows[i].cells, values)):
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
            _para(cell, text, align="right" if n >= 3 else "left", size=11, after=0)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _para(doc, "PHỤ LỤC II", align="center", bold=True, after=0)
    _para(doc, "NGUỒN SỐ LIỆU CỦA CÁC CON SỐ TRONG BÁO CÁO", align="center", bold=True)
    for n, fig in enumerate(refs.figures, start=1):
        _para(doc, f"{n}. {_source_note(fig)}", size=12, after=3)
    if r["sign_off"]:
        s = r["sign_off"]
        verdict = "đồng ý" if s["decision"] == "approve" else "không đồng ý"
        comment = f": {s['comment']}" if s["comment"] else ""
        _para(doc, f"Phê duyệt dữ liệu: {verdict} — {s['name']}, {s['decided_at']}{comment}.", size=12, italic=True)
    else:
        _para(doc, "Dữ liệu chưa được Hội đồng thi đua, khen thưởng phê duyệt: văn bản là DỰ THẢO.",
              size=12, italic=True)


def write_docx(context: dict, path: Path) -> Path:
    """The draft officials edit in Word."""
    from docx import Document

    r = context
    prose = Prose(r)
    doc = Document()
    _setup_page(doc, r["is_draft"])
    doc.core_properties.title = ("DỰ THẢO - " if r["is_draft"] else "") + prose("trich_yeu")[0]
    doc.core_properties.author = r["district"]["issuing_body"]
    # python-docx's blank document starts with no paragraphs; the header table comes first.
    _docx_header(doc, r, prose)
    for line in prose("mo_dau"):
        _para(doc, line, indent=True)
    for line in prose("ghi_chu_du_lieu"):
        _para(doc, line, indent=True, italic=True, size=13)
    for part in r["outline"]:
        lines = prose("phan", part["part"])
        _para(doc, lines[0], align="center", bold=True, after=0, before=12, keep_next=True)
        _para(doc, lines[1], align="center", bold=True, keep_next=True)
        for item in part["entries"]:
            title = item["title"] if item["kind"] == "group" else item["section"]["title"]
            _para(doc, f"{item['label']} {title}:", bold=True, indent=True, keep_next=True)
            if item["is_award_table"]:
                _docx_award_table(doc, r, prose)
            for s in item["sections"] if item["kind"] == "group" else [item["section"]]:
                if item["kind"] == "group":
                    _para(doc, f"{s['label']} {s['title']}:", bold=True, indent=True, keep_next=True)
                for p in s["paragraphs"]:
                    _para(doc, p["text"], indent=True)
                if not s["paragraphs"]:
                    for line in prose("khong_co_noi_dung", s):
                        _para(doc, line, indent=True, italic=True)
                for line in prose("so_lieu", s):
                    _para(doc, line, indent=True)
    _docx_signature(doc, r)
    _docx_appendix(doc, r, prose.refs)
    doc.save(str(path))
    return path
