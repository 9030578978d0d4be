"""tong_hop_<year>.xlsx: the year's indicators and award table for statisticians, on screen and printed to A4."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tasks.config import Config
from tasks.xlsx import BOX, CODE_FONT, HEADER_FILL, LABEL_FONT, TEXT_FONT, TITLE_FONT, inert, print_a4, row_height

PERIOD_RULE_VI = {"sum": "cộng các năm", "last": "năm cuối"}


def write_tong_hop(path: Path, *, config: Config, year: int, first_year: int, district: list[dict],
                   awards: list[dict], period: list[dict]) -> Path:
    """Indicators of the year, the award table (years as columns) and, for a period, the period's indicators."""
    book = Workbook()
    place = config.district.name
    book.active.title = f"Chi tieu {year}"
    _indicator_sheet(book.active, config, f"Chỉ tiêu tổng hợp năm {year} — {place}", district,
                     extra=(("Số đơn vị đã báo cáo", 11, "so_don_vi_bao_cao"),
                            ("Số đơn vị phải báo cáo", 11, "so_don_vi_du_kien")))

    years = list(range(first_year, year + 1))
    grid: dict[tuple[str, str], dict] = {}
    for r in awards:
        entry = grid.setdefault((r["hinh_thuc"], r["doi_tuong"]), {
            "labels": [r["ten_hinh_thuc"] or r["hinh_thuc"], r["ten_doi_tuong"] or r["doi_tuong"]], "by_year": {}})
        entry["by_year"][r["nam"]] = r["so_luong"]
    span = f"giai đoạn {first_year}–{year}" if first_year < year else f"năm {year}"
    _table(
        book.create_sheet("Khen thuong"),
        f"Kết quả công tác khen thưởng {span} — {place}",
        [("Hình thức khen thưởng", 34), ("Đối tượng", 12), *[(str(y), 10) for y in years]],
        [[*e["labels"], *[e["by_year"].get(y) for y in years]] for e in grid.values()],
        number_formats={c: "#,##0" for c in range(3, 3 + len(years))},
        landscape=len(years) > 6,
        footer=place,
    )
    if period:
        _indicator_sheet(book.create_sheet(f"Giai doan {first_year}-{year}"), config,
                         f"Chỉ tiêu giai đoạn {first_year}–{year} — {place}", period, extra=(("Cách cộng các năm", 14, "quy_tac_ky"),))
    book.save(path)
    return path


def _indicator_sheet(ws: Worksheet, config: Config, title: str, rows: list[dict],
                     extra: tuple[tuple[str, int, str], ...]) -> None:
    headers = [("Chỉ tiêu", 44), ("Đơn vị tính", 13), ("Giá trị", 14), ("Tử số", 12), ("Mẫu số", 12),
               *[(label, width) for label, width, _ in extra], ("Ghi chú", 30), ("Mã chỉ tiêu", 18)]
    values, formats = [], []
    for r in rows:
        indicator = config.indicator(r["indicator_code"])
        parts = [config.indicator(c) for c in (indicator.numerator, indicator.denominator)] if indicator else [None, None]
        values.append([r["ten_chi_tieu"], r["don_vi_tinh"], r["gia_tri"], r["tu_so"], r["mau_so"],
                       *[PERIOD_RULE_VI.get(r[key], r[key]) for _, _, key in extra], r["ghi_chu"], r["indicator_code"]])
        formats.append({3: number_format(r["decimals"]),
                        4: number_format(parts[0].decimals if parts[0] else 0),
                        5: number_format(parts[1].decimals if parts[1] else 0)})
    _table(ws, title, headers, values, number_formats=formats, landscape=True, footer=title.split(" — ")[-1],
           code_column=len(headers))


def number_format(decimals: int | None) -> str:
    """The catalogue's decimals; Excel and LibreOffice show the separators of the reader's locale (2.780; 4,97)."""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _table(ws: Worksheet, title: str, headers: list[tuple[str, float]], rows: list[list],
           number_formats: dict[int, str] | list[dict[int, str]], landscape: bool, footer: str,
           code_column: int | None = None) -> None:
    """Title over the whole width, one header row repeated on every page, bordered values at full precision."""
    last = get_column_letter(len(headers))
    ws["A1"] = inert(title)
    ws["A1"].font = TITLE_FONT
    ws["A1"].alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 24
    for col, (label, width) in enumerate(headers, start=1):
        cell = ws.cell(row=2, column=col, value=label)
        cell.font, cell.fill, cell.border = LABEL_FONT, HEADER_FILL, BOX
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[2].height = row_height([(label, width) for label, width in headers])
    for index, values in enumerate(rows):
        r = 3 + index
        formats = number_formats[index] if isinstance(number_formats, list) else number_formats
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=inert(value))
            cell.font = CODE_FONT if col == code_column else TEXT_FONT
            cell.border = BOX
            cell.alignment = Alignment(wrap_text=isinstance(value, str), vertical="top")
            if col in formats:
                cell.number_format = formats[col]
        ws.row_dimensions[r].height = row_height([(v, w) for v, (_, w) in zip(values, headers) if isinstance(v, str)])
    ws.freeze_panes = "A3"
    print_a4(ws, title_rows="1:2", landscape=landscape, footer=footer)
