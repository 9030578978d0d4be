"""Charts of the report, drawn offline with matplotlib (Agg) as PNG.

Which charts exist, where they stand and on which pages is configuration (`bieu_do` in
config/sections.yaml). Labels are Vietnamese; numbers use Babel's `vi` format (2.780; 4,97).
DejaVu Sans, bundled with matplotlib, has every Vietnamese glyph: nothing is downloaded.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from tasks.formatting import format_number
from tasks.report.context import RenderError

_COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6")


_STYLE = {"font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}


def _styled(draw):
    """Draw inside the charts' style, leaving matplotlib's global settings as they were."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        from matplotlib import rc_context

        with rc_context(_STYLE):
            return draw(*args, **kwargs)
    return wrapper


def _figure():
    """A bare matplotlib Figure on the Agg canvas (no pyplot: no GUI backend, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 3.4))
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    # No timestamp in the PNG, so the same data gives the same bytes.
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


@_styled
def award_chart(title: str, years: list[int], totals: list[dict]) -> bytes | None:
    """Grouped bars: awards per year, one bar per form (both recipient kinds together)."""
    if not totals:
        return None
    forms: dict[str, dict[int, int]] = {}
    for r in totals:
        forms.setdefault(r["ten_hinh_thuc"] or r["hinh_thuc"], {})[r["nam"]] = int(r["so_luong"] or 0)
    fig, ax = _figure()
    width = 0.8 / max(len(forms), 1)
    for n, (label, counts) in enumerate(forms.items()):
        xs = [i + (n - (len(forms) - 1) / 2) * width for i in range(len(years))]
        values = [counts.get(y, 0) for y in years]
        bars = ax.bar(xs, values, width * 0.95, label=label, color=_COLOURS[n % len(_COLOURS)])
        ax.bar_label(bars, labels=[format_number(int(v)) for v in values], fontsize=6.5, padding=1)
    ax.set_xticks(range(len(years)), [str(y) for y in years])
    ax.yaxis.set_major_formatter(lambda v, _pos: format_number(float(v)))
    ax.set_ylabel("Số lượt khen thưởng")
    ax.set_title(title, fontsize=10, fontweight="bold")
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    return _png(fig)


@_styled
def trend_chart(title: str, years: list[int], series: list[tuple[str, list[float | None], int]]) -> bytes | None:
    """Lines: each rate over the years of the period, each point labelled."""
    if not any(v is not None for _, values, _ in series for v in values):
        return None
    fig, ax = _figure()
    for n, (label, values, decimals) in enumerate(series):
        points = [(y, v) for y, v in zip(years, values) if v is not None]
        if not points:
            continue
        xs, ys = zip(*points)
        ax.plot(xs, ys, marker="o", label=label, color=_COLOURS[n % len(_COLOURS)])
        for x, y in points:
            ax.annotate(f"{format_number(float(y), decimals)}%", (x, y), textcoords="offset points", xytext=(0, 5),
                        ha="center", fontsize=6.5)
    ax.set_xticks(years, [str(y) for y in years])
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{format_number(float(v), 0)}%")
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1) * 1.12)
    ax.set_title(title, fontsize=10, fontweight="bold")
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    return _png(fig)


def build_charts(ctx: dict, page: str = "bao_cao") -> dict[str, dict[str, Any]]:
    """The configured charts of one page kind, drawn from the context; a chart with no data is left out."""
    out: dict[str, dict] = {}
    path = ctx["sections_cfg"]["path"]
    for n, c in enumerate(ctx["sections_cfg"]["bieu_do"], start=1):
        if not isinstance(c, dict) or not c.get("ma") or c.get("loai") not in ("khen_thuong", "xu_huong"):
            raise RenderError(f"{path}: bieu_do số {n}: cần ma và loai (khen_thuong hoặc xu_huong)")
        if page not in (c.get("trang") or ["bao_cao"]):
            continue
        title = str(c.get("tieu_de") or c["ma"])
        if c["loai"] == "khen_thuong":
            png = award_chart(title, ctx["years"], ctx["award_totals"])
        else:
            config = ctx["config"]
            series = []
            for code in c.get("chi_tieu") or []:
                ind = config.indicator(code)
                if ind is None:
                    raise RenderError(f"{path}: bieu_do {c['ma']}: chỉ tiêu {code} không có trong danh mục")
                series.append((ind.name, [ctx["f"]["nam"][y][code].value for y in ctx["years"]], ind.decimals))
            png = trend_chart(title, ctx["years"], series)
        if png:
            out[c["ma"]] = {"ma": c["ma"], "muc": str(c.get("muc", "III")), "tieu_de": title, "png": png}
    return out


def validation_charts(config, con, year: int) -> list[dict]:
    """The charts configured for the validation summary page (trang: kiem_tra), as data URIs.

    The page is published before aggregation, so the award counts come from the accepted
    submissions in staging (the last five years up to the validated one).
    """
    import base64

    from tasks.db import query
    from tasks.report.context import load_sections

    out = []
    for c in load_sections(config)["bieu_do"]:
        if "kiem_tra" not in (c.get("trang") or []) or c.get("loai") != "khen_thuong":
            continue
        rows = query(con, "report/validation_awards", {"nam": year})
        # The report's own labels and order, once a period has been aggregated.
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        if "mart_award_table" in tables:
            labels = {r["hinh_thuc"]: r for r in query(con, "report/award_labels", {})}
            rows = sorted(({**r, "ten_hinh_thuc": labels.get(r["hinh_thuc"], r)["ten_hinh_thuc"]} for r in rows),
                          key=lambda r: (labels.get(r["hinh_thuc"], {}).get("sort_order") or 99, r["hinh_thuc"],
                                         r["nam"]))
        png = award_chart(str(c.get("tieu_de") or c["ma"]), sorted({r["nam"] for r in rows}), rows)
        if png:
            out.append({"ma": c["ma"], "tieu_de": c.get("tieu_de") or c["ma"],
                        "src": "data:image/png;base64," + base64.b64encode(png).decode("ascii")})
    return out
