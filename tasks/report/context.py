"""The report's context: every figure read once from the marts, formatted, with its sources.

Nothing here knows about a page: the outline (tasks/report/outline.py) arranges this data, and
the writers turn the outline into DOCX, HTML and Markdown.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml
from babel.numbers import format_decimal

from tasks.config import PROJECT_ROOT, Config, Indicator
from tasks.db import open_db, query
from tasks.formatting import (
    LOCALE,
    MISSING,
    clean_text,
    format_fraction,
    format_number,
    format_percent,
    format_trieu_dong,
)

REQUIRED_TABLES = (
    "mart_district_indicators",
    "mart_award_table",
    "mart_narrative",
    "mart_unit_indicators",
)
MISSING_MARK = f"[{MISSING}]"
NBSP = "\u00a0"
DEFAULT_LEVEL = "huyen"


class RenderError(Exception):
    """The report cannot be drafted (marts not built, a configuration file unreadable)."""


@dataclass(frozen=True)
class Source:
    unit_code: str
    unit_name: str
    source_path: str
    nam: int = 0
    sheet: str = ""
    row: int | None = None
    value: float | None = None


@dataclass(frozen=True)
class Figure:
    """One district figure as the report states it, with where it came from."""

    code: str
    name: str
    nam: str  # "2019" or "2016 - 2020"
    value: float | None
    so: str  # the number alone: "4,97%", "22/48", "99,605 tỷ đồng", "2.780"
    text: str  # with its unit: "2.780 người"
    bang: str  # as a table cell, in the catalogue's unit and decimals: "99.605", "4,97", "25,00", "–"
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


NO_CHANGE = Change(huong="chưa so sánh được", so=MISSING_MARK)


class _ByCode(dict):
    """Figures by indicator code; a code the district's catalogue lacks reads as "no data", so the
    shared sentences still render for a district with a shorter catalogue."""

    def __missing__(self, code: str) -> Figure:
        return Figure(code=code, name=code, nam="", value=None, so=MISSING_MARK, text=MISSING_MARK, bang="–",
                      is_missing=True, is_partial=False, ghi_chu="Chỉ tiêu không có trong danh mục của đơn vị.")


def _yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RenderError(f"{path}: không đọc được ({exc})") from None
    if not isinstance(data, dict):
        raise RenderError(f"{path}: expected a mapping at the top")
    return data


def _config_file(config: Config, name: str) -> Path:
    """A report file beside units.yaml, else the project's."""
    path = Path(config.config_dir) / name
    return path if path.is_file() else PROJECT_ROOT / "config" / name


def load_sections(config: Config) -> dict:
    """The report's sections, group headings, cited documents and charts (config/sections.yaml)."""
    path = _config_file(config, "sections.yaml")
    data = _yaml(path)
    if not isinstance(data.get("sections"), list):
        raise RenderError(f"{path}: key sections: expected a list of sections")
    # The documents a report answers are the district's own: never cite another district's plans
    # because a config folder without its own sections.yaml fell back to the project's.
    own = path.resolve().parent == Path(config.config_dir).resolve()
    return {"path": path, "sections": data["sections"], "groups": data.get("groups") or [],
            "can_cu": (data.get("can_cu") or []) if own else [], "bieu_do": data.get("bieu_do") or []}


def level_of(config: Config) -> str:
    return getattr(config.district, "level", None) or DEFAULT_LEVEL


def load_level_words(config: Config) -> dict:
    """The wording of the district's reporting level (config/levels.yaml)."""
    path = _config_file(config, "levels.yaml")
    data = _yaml(path)
    level = level_of(config)
    if level not in data:
        raise RenderError(f"{path}: không có cấp “{level}” (district.level trong units.yaml)")
    words = dict(data[level])
    words["nhom_don_vi"] = dict(words.get("nhom_don_vi") or {})
    return words


def fixed_number(value: float | int | None, decimals: int) -> str:
    """A table cell: always the catalogue's decimals, so one row reads in one format ("25,00")."""
    if value is None:
        return "–"
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format_decimal(rounded, format="#,##0" + ("." + "0" * decimals if decimals else ""), locale=LOCALE)
    return text[1:] if text.startswith("-") and not rounded else text


def _figure(ind: Indicator, row: dict | None, nam: str, sources: tuple[Source, ...]) -> Figure:
    row = row or {}
    value, tu_so, mau_so = row.get("gia_tri"), row.get("tu_so"), row.get("mau_so")
    ghi_chu = clean_text(row.get("ghi_chu")) or ("" if row else "Chưa tổng hợp số liệu năm này.")
    bang = fixed_number(value, ind.decimals)
    if ind.aggregation == "fraction":
        missing = tu_so is None or mau_so is None
        so = text = bang = format_fraction(tu_so, mau_so)
    elif ind.aggregation == "count_true":
        expected = row.get("so_don_vi_du_kien")
        missing = value is None or not expected
        so = text = bang = format_fraction(value, expected)
    elif ind.unit == "%":
        missing = value is None
        so = text = format_percent(value, ind.decimals)
    elif ind.unit == "triệu đồng":
        missing = value is None
        so = text = format_trieu_dong(value, decimals=ind.decimals)
    else:
        missing = value is None
        so = format_number(value, ind.decimals)
        text = f"{so} {ind.unit}"
    if missing:
        so = text = MISSING_MARK
        bang = "–"
    return Figure(code=ind.code, name=ind.name, nam=nam, value=None if missing else value, so=so, text=text,
                  bang=bang, is_missing=missing, is_partial=not missing and bool(ghi_chu), ghi_chu=ghi_chu,
                  sources=sources)


def change(a: Figure, b: Figure, decimals: int) -> Change:
    if a.value is None or b.value is None:
        return NO_CHANGE
    diff = round(b.value - a.value, 9)
    huong = "tăng" if diff > 0 else "giảm" if diff < 0 else "không đổi"
    return Change(huong=huong, so=format_number(abs(diff), decimals))


def _sources_by_indicator(config: Config, unit_rows: list[dict]) -> dict[tuple[str, int], list[Source]]:
    order = {u.code: n for n, u in enumerate(config.units)}
    found: dict[tuple[str, int], list[Source]] = {}
    for r in sorted(unit_rows, key=lambda r: (order.get(r["unit_code"], 10**6), r["source_path"] or "")):
        unit = config.unit(r["unit_code"])
        src = Source(r["unit_code"], unit.name if unit else r["unit_code"], clean_text(r["source_path"]),
                     r["nam"], clean_text(r.get("sheet_name")), r.get("row_number"), r.get("gia_tri"))
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


def _period(first: int, last: int) -> str:
    """How the district names its terms: data 2016–2020 is "giai đoạn 2015 - 2020" (the
    spaces around the dash do not break, so the subject never splits "2015 -" / "2020")."""
    return f"giai đoạn {first - 1}{NBSP}-{NBSP}{last}" if first != last else f"năm {last}"


def build_context(
    config: Config,
    year: int,
    period_years: int,
    db_path: Path | str,
    sign_off: dict | None = None,
    report_date: date | None = None,
    signed_before: dict | None = None,
) -> dict[str, Any]:
    """The plain data every output is built from; the outline and writers never query."""
    first = year - period_years + 1
    years = list(range(first, year + 1))
    sections_cfg = load_sections(config)
    words = load_level_words(config)
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
        award_totals = query(con, "report/award_totals", span)
        unit_rows = query(con, "report/unit_sources", span)
        narrative_rows = query(con, "report/narrative", span)
        status_rows = query(con, "report/submission_status", span) if "submission_status" in tables else []

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
    source_of = {r["file_version_id"]: clean_text(r.get("source_path")) for r in status_rows}
    narrative, stray, near = _narrative(config, sections_cfg, words, narrative_rows, source_of)
    approved = bool(sign_off) and sign_off.get("decision") == "approve"
    on = report_date or (_decided_on(sign_off) if approved else None)
    d = config.district
    return {
        "config": config,
        "sections_cfg": sections_cfg,
        "w": {**words, "ten": d.name, "co_quan_ban_hanh": _issuing_body(config, words)},
        "district": _district(config, words),
        "nam": year,
        "nam_dau": first,
        "nam_truoc": previous,
        "so_nam": period_years,
        "is_period": period_years > 1,
        "years": years,
        "ky": _period(first, year),
        "ky_toi": _period(year + 1, year + period_years) if period_years > 1 else f"năm {year + 1}",
        "trong_ky": f"{period_years} năm ({first}{NBSP}-{NBSP}{year})" if period_years > 1 else f"năm {year}",
        "report_date": on,
        "place_date": _place_date(d.place_name, on),
        "ngay_ngan": on.strftime("%d/%m/%Y") if on else "…",
        "is_draft": not approved,
        "signed_before": _signed_before(signed_before),
        "sign_off": _sign_off(sign_off),
        "coverage": _coverage(config, years, status_rows),
        "stray_narrative": stray,
        "near_duplicates": near,
        "narrative": narrative,
        "f": {"cuoi": per_year[year], "truoc": per_year[previous], "dau": per_year[first], "ky": ky_figures,
              "nam": per_year},
        "award": _award_table(years, award_rows),
        "award_totals": award_totals,
        "indicator_table": _indicator_table(config, years, per_year, ky_figures, period, period_years),
    }


def _place_date(place: str, on: date | None) -> str:
    """"Hồng Ngự, ngày 05 tháng 12 năm 2020" (days below 10 and months 1–2 with a leading zero,
    Nghị định 30/2020, Phụ lục I); with no date given, dots for the office to fill in by hand."""
    if on is None:
        return f"{place}, ngày{NBSP}…{NBSP}tháng{NBSP}…{NBSP}năm{NBSP}…"
    month = f"{on.month:02d}" if on.month < 3 else str(on.month)
    return f"{place}, ngày {on.day:02d} tháng {month} năm {on.year}"


def _decided_on(sign_off: dict) -> date | None:
    """The approved report is dated the day the data was approved, unless a date is given."""
    value = sign_off.get("decided_at")
    if isinstance(value, date):
        return value if not hasattr(value, "date") else value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _signed_before(signed_before: dict | None) -> str:
    if not signed_before or not signed_before.get("signed_on"):
        return ""
    on = signed_before["signed_on"]
    on = on if isinstance(on, date) else date.fromisoformat(str(on)[:10])
    return f"Đã có bản ký duyệt ngày {on:%d/%m/%Y}; bản này là dự thảo mới."


def _issuing_body(config: Config, words: dict) -> str:
    body = clean_text(getattr(config.district, "issuing_body", ""))
    if body:
        return body
    name = config.district.name
    return f"Ủy ban nhân dân {name}" if name.lower().startswith(words["cap"]) else f"{words['ubnd']} {name}"


def _district(config: Config, words: dict) -> dict:
    d = config.district
    body = _issuing_body(config, words)
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
    order = {u.code: n for n, u in enumerate(config.units)}

    def name(code: str) -> str:
        unit = config.unit(code)
        return unit.name if unit else code

    out = []
    for nam in years:
        rows = [r for r in status_rows if r["nam"] == nam and r.get("is_expected", True)]
        if not rows:
            out.append({"nam": nam, "known": False, "accepted": 0, "expected": 0, "missing": [], "rejected": []})
            continue
        rows.sort(key=lambda r: order.get(r["ma_don_vi"], 10**6))
        out.append({
            "nam": nam,
            "known": True,
            "accepted": sum(r["trang_thai"] == "accepted" for r in rows),
            "expected": len(rows),
            "missing": [name(r["ma_don_vi"]) for r in rows if r["trang_thai"] == "missing"],
            "rejected": [name(r["ma_don_vi"]) for r in rows if r["trang_thai"] == "rejected"],
        })
    return out


_SPACES = re.compile(r"\s+")


def _same_text(text: str) -> str:
    return _SPACES.sub(" ", text).strip().rstrip(".;").casefold()


def _narrative(config: Config, sections_cfg: dict, words: dict, rows: list[dict],
               source_of: dict) -> tuple[dict, list[dict], list[dict]]:
    """Per section: the units' paragraphs of every year of the period, grouped by unit kind; a
    paragraph several units sent in the same words appears once naming them; a near-duplicate is
    left out and named in the draft note."""
    codes = {str(s["code"]).casefold(): str(s["code"]) for s in sections_cfg["sections"]}
    titles = {str(s["code"]): str(s["title"]) for s in sections_cfg["sections"]}
    order = {u.code: n for n, u in enumerate(config.units)}
    groups = words["nhom_don_vi"]
    group_order = list(dict.fromkeys(groups.values()))
    by_section: dict[str, dict[str, dict]] = {}
    stray: list[dict] = []
    for r in rows:
        muc = clean_text(r.get("muc"))
        unit = config.unit(r["unit_code"])
        base = {
            "unit": unit.name if unit else clean_text(r.get("ten_don_vi")) or r["unit_code"],
            "unit_order": order.get(r["unit_code"], 10**6),
            "group": groups.get(unit.kind, "") if unit else "",
            "nam": r["nam"],
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
                kept = by_section.setdefault(code, {})
                entry = kept.setdefault(_same_text(line), {**base, "text": line.strip(), "raw": line.strip(),
                                                            "units": []})
                if base["unit"] not in entry["units"]:
                    entry["units"].append(base["unit"])
    out: dict[str, list[dict]] = {}
    near: list[dict] = []
    for code, entries in by_section.items():
        ordered = sorted(entries.values(), key=lambda e: (
            group_order.index(e["group"]) if e["group"] in group_order else len(group_order),
            e["unit_order"], e["nam"], e["row"] or 0))
        kept: list[dict] = []
        for e in ordered:
            twin = next((k for k in kept if _near(k, e)), None)
            if twin is not None:
                # The version more units sent is printed; the other is named in the draft note.
                printed, dropped = (e, twin) if len(e["units"]) > len(twin["units"]) else (twin, e)
                if printed is e:
                    kept[kept.index(twin)] = e
                near.append({"muc": titles[code], "unit": ", ".join(dropped["units"]), "nam": dropped["nam"],
                             "twin_unit": ", ".join(printed["units"]), "twin_nam": printed["nam"]})
                continue
            kept.append(e)
        out[code] = [_named(e) for e in kept]
    return out, stray, near


def _named(e: dict) -> dict:
    """A paragraph several units sent in the same words, printed once with their names."""
    if len(e["units"]) < 2:
        return e
    text = e["text"].rstrip()
    end = text[-1] if text[-1] in ".;!?" else "."
    return {**e, "text": f"{text.rstrip('.;!?')} ({', '.join(e['units'])}){end}"}


_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def _own_name_masked(entry: dict) -> str:
    """The paragraph with its unit's own name blanked ("xã Long Khánh A" → "xã §")."""
    text = _same_text(entry["raw"])
    name = entry["unit"].casefold()
    for variant in (name, name.split(" ", 1)[-1], name.removeprefix("thị trấn ")):
        text = text.replace(variant, "§")
    return text


def _near(first: dict, other: dict) -> bool:
    """Two paragraphs that differ only in a few words and in no number: a copy, not two facts.
    The same template filled in with each unit's own name is two facts (one per unit)."""
    a, b = _own_name_masked(first), _own_name_masked(other)
    if a == b or _DIGITS.findall(a) != _DIGITS.findall(b):
        return False
    if min(len(a), len(b)) < 0.9 * max(len(a), len(b)):
        return False
    wa, wb = set(a.split()), set(b.split())
    if len(wa & wb) < 0.8 * len(wa | wb):
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.9


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
            "cells": [format_number(row["counts"].get(n, 0), 0) if n in years_present else "–" for n in years],
        })
    total = sum(r["so_luong"] or 0 for r in rows)
    return {
        "rows": table_rows,
        "years": years,
        "years_missing": [n for n in years if n not in years_present],
        "total": format_number(total, 0),
    }


# The period column says how the catalogue combines the years: a sum, or the last year's value.
PERIOD_LABEL = {"sum": "tổng {so_nam} năm", "last": "năm {nam}"}


def _indicator_table(config: Config, years: list[int], per_year: dict, ky: dict, period: dict,
                     so_nam: int) -> list[dict]:
    rows = []
    for i in config.indicators:
        rule = (period.get(i.code) or {}).get("quy_tac_ky")
        fig = ky[i.code]
        label = PERIOD_LABEL.get(rule, "").format(so_nam=so_nam, nam=years[-1])
        rows.append({
            "code": i.code, "name": i.name, "unit": i.unit,
            "cells": [per_year[n][i.code].bang for n in years],
            # Only where the catalogue's rule defines a period value; "–" otherwise (mixed rules).
            "ky": fig.bang if label else "–",
            "ky_nhan": label if label and fig.bang != "–" else "",
        })
    return rows
