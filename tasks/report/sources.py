"""nguon_so_lieu_<year>.xlsx: every figure of the report → the units → file, sheet, row.

The sendable DOCX names no file; reviewers trace a figure here (and in the HTML footnotes).
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from tasks.report.text import strip_bidi

# openpyxl refuses C0 controls (IllegalCharacterError); submitted text has been cleaned already,
# this is the last line of defence.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
HEADER = ("Stt", "Chỉ tiêu", "Mã chỉ tiêu", "Năm / giai đoạn", "Số liệu trong báo cáo", "Đơn vị báo cáo",
          "Năm báo cáo", "Giá trị đơn vị báo", "Tệp", "Sheet", "Dòng", "Ghi chú")


def _safe(value):
    return _ILLEGAL.sub("", strip_bidi(value)) if isinstance(value, str) else value


def write_sources_xlsx(ctx: dict, path: Path) -> Path:
    """One row per (figure, unit row that fed it): every indicator, every year and the period."""
    rows = []
    n = 0
    figure_sets = [ctx["f"]["nam"][y] for y in ctx["years"]] + ([ctx["f"]["ky"]] if ctx["is_period"] else [])
    for figures in figure_sets:
        for ind in ctx["config"].indicators:
            fig = figures[ind.code]
            n += 1
            shown = fig.shown()
            if not fig.sources:
                rows.append([_safe(v) for v in (n, fig.name, fig.code, fig.nam, shown, "", None, None, "", "", None,
                                                fig.ghi_chu or "Không có tệp nào")])
            for s in fig.sources:
                rows.append([_safe(v) for v in (n, fig.name, fig.code, fig.nam, shown, s.unit_name, s.nam or None,
                                                s.value, s.source_path, s.sheet, s.row, fig.ghi_chu)])
    # Write-only: a province's workbook has ≈ 18,000 rows, and building them as cells first took
    # twice as long. Knowing the size up front, the sheet still records its dimension.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("nguon_so_lieu")
    ref = f"A1:L{len(rows) + 1}"
    ws.calculate_dimension = lambda: ref
    for col, width in zip("ABCDEFGHIJKL", (6, 44, 24, 14, 22, 34, 10, 14, 28, 12, 8, 40)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ref
    font, alignment = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    ws.append([_header_cell(ws, text, font, alignment) for text in HEADER])
    for row in rows:
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _header_cell(ws, text: str, font: Font, alignment: Alignment) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.font, cell.alignment = font, alignment
    return cell
