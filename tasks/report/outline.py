"""The document outline: the report as one ordered list of blocks, built once from the context.

Every writer (DOCX, HTML, Markdown) walks the same list, so the three drafts cannot drift apart.
A paragraph is a list of segments: plain text, or a `FigRef` the writer renders its own way
(a footnoted span in HTML, a [^n] note in Markdown, plain text in DOCX).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined

from tasks.config import PROJECT_ROOT
from tasks.report.context import MISSING_MARK, NO_CHANGE, Figure, RenderError, change

TEMPLATE_DIR = PROJECT_ROOT / "templates" / "report"
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)(?::(so))?\}")
_FIGURE_SETS = ("dau", "cuoi", "truoc", "ky")


@dataclass(frozen=True)
class FigRef:
    fig: Figure
    bare: bool = False


@cache
def template_env(autoescape: bool) -> Environment:
    """One environment per process: it keeps compiled templates (an edited file is reloaded), and
    the bytecode cache (jinja2's per-user temp folder) spares a new process the compiling."""
    return Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=autoescape,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                       bytecode_cache=FileSystemBytecodeCache())


class _Prose:
    """The macros of templates/report/_prose.j2, each as a list of paragraphs of plain text."""

    def __init__(self, ctx: dict):
        self._module = template_env(False).get_template("_prose.j2").make_module({"r": ctx, "w": ctx["w"]})

    def __call__(self, macro: str, *args: Any) -> list[str]:
        text = str(getattr(self._module, macro)(*args))
        return [line.strip() for line in text.split("\n") if line.strip()]


def _para(text_or_segs, style: str = "body", title: str = "", keep_next: bool = False) -> dict:
    segs = [text_or_segs] if isinstance(text_or_segs, str) else list(text_or_segs)
    return {"kind": "para", "segs": segs, "style": style, "title": title, "keep_next": keep_next}


def _long_date(on: Any) -> str:
    if not isinstance(on, date):
        return str(on)
    month = f"{on.month:02d}" if on.month < 3 else str(on.month)
    return f"{on.day:02d} tháng {month} năm {on.year}"


class _Sentences:
    """The lead paragraphs of one section, from its `so_lieu` in config/sections.yaml."""

    def __init__(self, ctx: dict, section: dict):
        self.ctx = ctx
        self.section = section
        self.key = "truoc" if section.get("so_lieu_nam") == "truoc" else "cuoi"
        self.nam = ctx["nam_truoc"] if self.key == "truoc" else ctx["nam"]
        last = ctx["coverage"][-1]
        self.words = {
            **{k: v for k, v in ctx["w"].items() if isinstance(v, str)},
            "nam": str(self.nam), "nam_dau": str(ctx["nam_dau"]), "cuoi_nam": str(ctx["nam"]),
            "trong_ky": ctx["trong_ky"], "so_luot_khen_thuong": ctx["award"]["total"],
            "so_don_vi": str(last["expected"]) if last["known"] else MISSING_MARK,
            "so_don_vi_bao_cao": str(last["accepted"]) if last["known"] else MISSING_MARK,
        }

    def applies(self, when: str | None) -> bool:
        if when is None:
            return True
        period = self.ctx["is_period"] and self.nam != self.ctx["nam_dau"]
        if when not in ("ky", "nam"):
            raise RenderError(f"{self.ctx['sections_cfg']['path']}: mục {self.section['code']}: "
                              f"khi: {when!r} — chỉ dùng ky hoặc nam")
        return period if when == "ky" else not period

    def value(self, name: str, bare: bool) -> str | FigRef:
        prefix, _, code = name.partition(".")
        if code and prefix in _FIGURE_SETS:
            return FigRef(self.ctx["f"][prefix][code], bare)
        if code and prefix == "doi":
            first = self.ctx["f"]["dau"][code]
            now = self.ctx["f"][self.key][code]
            ind = self.ctx["config"].indicator(code)
            if ind is None or first.value is None or now.value is None:
                return str(NO_CHANGE)
            return str(change(first, now, ind.decimals))
        lower = name[0].lower() + name[1:]
        if lower in self.words:
            word = self.words[lower]
            return word[0].upper() + word[1:] if name[0].isupper() else word
        if code:
            raise RenderError(f"{self.ctx['sections_cfg']['path']}: mục {self.section['code']}: "
                              f"không hiểu {{{name}}} (tiền tố: dau, cuoi, truoc, ky, doi)")
        # An indicator of the section's year; one the catalogue lacks reads as "no data".
        return FigRef(self.ctx["f"][self.key][name], bare)

    def segments(self, text: str) -> list:
        segs: list = []
        pos = 0
        for m in _PLACEHOLDER.finditer(text):
            segs.append(text[pos:m.start()])
            segs.append(self.value(m.group(1), m.group(2) == "so"))
            pos = m.end()
        segs.append(text[pos:])
        merged: list = []
        for s in segs:
            if isinstance(s, str) and merged and isinstance(merged[-1], str):
                merged[-1] += s
            elif s != "":
                merged.append(s)
        return merged

    def paragraphs(self) -> list[list]:
        out = []
        for n, p in enumerate(self.section.get("so_lieu") or []):
            if isinstance(p, str):
                p = {"mo": p}
            if not isinstance(p, dict):
                raise RenderError(f"{self.ctx['sections_cfg']['path']}: mục {self.section['code']}, "
                                  f"so_lieu số {n + 1}: cần một câu hoặc {{mo, y}}")
            if not self.applies(p.get("khi")):
                continue
            clauses = [str(c) for c in p.get("y") or []]
            text = str(p.get("mo") or "") + "; ".join(clauses) + ("." if clauses else "")
            out.append(self.segments(text))
        return out


def _sections(ctx: dict) -> dict[str, list[dict]]:
    """Parts → top-level items (a section, or a group heading with its sections) in report order."""
    cfg = ctx["sections_cfg"]
    ky = ctx["ky"]
    groups = {str(g["code"]): g for g in cfg["groups"]}
    tops: dict[str, dict] = {}
    for s in cfg["sections"]:
        code = str(s["code"])
        parent = code.rsplit(".", 1)[0] if "." in code else None
        sec = {**s, "code": code, "part": int(s.get("part", 1)), "label": code.split(".")[-1] + ".",
               "title": str(s["title"]).replace("{ky}", ky)}
        if parent is None or parent == "P2":
            tops[code] = {"kind": "section", "code": code, "part": sec["part"], "title": sec["title"],
                          "sections": [sec]}
        else:
            g = groups.get(parent, {"title": parent, "part": sec["part"]})
            tops.setdefault(parent, {"kind": "group", "code": parent, "part": int(g.get("part", sec["part"])),
                                     "title": str(g["title"]).replace("{ky}", ky), "sections": []})
            tops[parent]["sections"].append(sec)
    for code, g in groups.items():
        tops.setdefault(code, {"kind": "group", "code": code, "part": int(g.get("part", 1)),
                               "title": str(g["title"]).replace("{ky}", ky), "sections": []})
    parts: dict[int, list[dict]] = {1: [], 2: []}
    for item in sorted(tops.values(), key=lambda t: (t["part"], _ROMAN.get(t["code"].split(".")[-1], 99))):
        item["label"] = item["code"].split(".")[-1] + "."
        parts.setdefault(item["part"], []).append(item)
    return parts


def build_outline(ctx: dict, charts: dict[str, dict] | None = None) -> list[dict]:
    """The report from the first line to the last appendix, as blocks."""
    prose = _Prose(ctx)
    charts = charts or {}
    charts_at: dict[str, list[dict]] = {}
    for c in charts.values():
        charts_at.setdefault(c["muc"], []).append(c)
    blocks: list[dict] = [{"kind": "header", "trich_yeu": prose("trich_yeu")[0]}]
    if ctx["signed_before"]:
        blocks.append({"kind": "notice", "text": ctx["signed_before"]})
    docs = [{**d, "ngay": _long_date(d.get("ngay"))} for d in ctx["sections_cfg"]["can_cu"]]
    blocks += [_para(line) for line in prose("can_cu", docs) + prose("mo_dau")]
    blocks.append({"kind": "draft_note", "lines": prose("ghi_chu_du_lieu")})
    for part, items in _sections(ctx).items():
        blocks.append({"kind": "part", "lines": prose("phan", part)})
        for item in items:
            blocks.append({"kind": "heading", "level": 3, "text": f"{item['label']} {item['title']}"})
            if item["code"] == "III":
                blocks.append(_para(prose("dan_khen_thuong")[0], "lead", keep_next=True))
                blocks.append({"kind": "award_table"})
                blocks += [_para(line, "note") for line in prose("ghi_chu_khen_thuong")]
                blocks += [{"kind": "chart", "chart": c} for c in charts_at.get("III", [])]
            for s in item["sections"]:
                if item["kind"] == "group":
                    blocks.append({"kind": "heading", "level": 4, "text": f"{s['label']} {s['title']}"})
                blocks += _section_body(ctx, prose, s)
                blocks += [{"kind": "chart", "chart": c} for c in charts_at.get(s["code"], [])]
    # Nghị định 30: the body ends with "./." (the closing sentence carries it, and keeps the
    # signature block company on its page).
    blocks.append(_para(prose("ket_thuc")[0], keep_next=True))
    blocks.append({"kind": "signature"})
    blocks.append({"kind": "appendix", "no": "I", "kem_theo": prose("kem_theo")[0],
                   "title": f"SỐ LIỆU CÁC CHỈ TIÊU THI ĐUA {ctx['ky'].upper()}"})
    blocks.append({"kind": "indicator_table"})
    blocks.append(_para(prose("ghi_chu_phu_luc")[0], "note"))
    blocks.append({"kind": "sources"})  # HTML and Markdown only: the sendable DOCX names no file
    return blocks


def _section_body(ctx: dict, prose: _Prose, s: dict) -> list[dict]:
    out = [_para(segs, "lead") for segs in _Sentences(ctx, s).paragraphs()]
    paragraphs = ctx["narrative"].get(s["code"], [])
    several_groups = len({p["group"] for p in paragraphs}) > 1
    group = None
    for p in paragraphs:
        if several_groups and p["group"] != group and p["group"]:
            out.append(_para(f"{p['group']}:", "group"))
        group = p["group"]
        out.append(_para(p["text"], "body", f"{', '.join(p['units'])} — {p['source']}, sheet {p['sheet']}, "
                                            f"dòng {p['row']}"))
    if not paragraphs:
        out.append(_para(prose("khong_co_noi_dung", s)[0], "missing"))
    return out
