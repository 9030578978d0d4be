"""Blank submission workbooks, one per expected unit, that ingest reads back unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from tasks.config import Config, Unit
from tasks.parsing import DOI_TUONG, HINH_THUC
from tasks.readers import SHEET_COLUMNS
from tasks.safety import neutralise

# Row 1 of each sheet: what a person reads. Row 2: the contract's column names, which ingest reads.
LABELS = {
    "thong_tin": ("Thông tin", "Giá trị"),
    "chi_tieu": ("Mã chỉ tiêu", "Giá trị", "Ghi chú", "Tên chỉ tiêu (để tham khảo)", "Đơn vị tính"),
    "khen_thuong": ("Hình thức", "Đối tượng", "Tên tập thể / cá nhân", "Số quyết định",
                    "Ngày quyết định (ngày/tháng/năm)", "Ghi chú"),
    "noi_dung": ("Mục báo cáo (ví dụ II.1)", "Nội dung"),
}
EXTRA_COLUMNS = {"chi_tieu": ("ten_chi_tieu", "don_vi_tinh")}
AWARD_ROWS = 500  # rows prepared with dropdowns in khen_thuong
LIST_SHEET = "danh_muc"

_LABEL_FONT = Font(italic=True, color="555555")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def write_templates(config: Config, year: int, out_dir: Path) -> list[Path]:
    """Write <out_dir>/<UNIT>.xlsx for every unit expected to submit for the year."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for unit in config.expected_units(year):
        path = out_dir / f"{unit.code}.xlsx"
        build_template(config, unit, year).save(path)
        paths.append(path)
    return paths


def build_template(config: Config, unit: Unit, year: int) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    indicators = config.indicators_for(unit)
    sheets = {}
    for name, columns in SHEET_COLUMNS.items():
        ws = wb.create_sheet(name)
        ws.append(list(LABELS[name]))
        ws.append(list(columns) + list(EXTRA_COLUMNS.get(name, ())))
        for cell in ws[1]:
            cell.font = _LABEL_FONT
        for cell in ws[2]:
            cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        ws.freeze_panes = "A3"
        sheets[name] = ws

    info = sheets["thong_tin"]
    for key, value in (("ma_don_vi", unit.code), ("ten_don_vi", unit.name), ("nam", year),
                       ("nguoi_lap", None), ("ngay_lap", None)):
        info.append([key, neutralise(value)])

    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    _column(lists, "A", list(HINH_THUC.values()))
    _column(lists, "B", list(DOI_TUONG.values()))
    _column(lists, "C", [i.code for i in indicators] or [""])

    targets = sheets["chi_tieu"]
    for indicator in indicators:
        # Names come from config files anyone may edit; none must become a live formula in 30 workbooks.
        targets.append([indicator.code, None, None, neutralise(indicator.name), neutralise(indicator.unit)])
    _dropdown(targets, f"{LIST_SHEET}!$C$1:$C${max(len(indicators), 1)}", f"A3:A{max(len(indicators), 1) + 52}",
              "Mã chỉ tiêu không có trong danh mục của đơn vị")

    awards = sheets["khen_thuong"]
    _dropdown(awards, f"{LIST_SHEET}!$A$1:$A${len(HINH_THUC)}", f"A3:A{AWARD_ROWS + 2}", "Chọn hình thức trong danh sách")
    _dropdown(awards, f"{LIST_SHEET}!$B$1:$B${len(DOI_TUONG)}", f"B3:B{AWARD_ROWS + 2}", "Chọn Tập thể hoặc Cá nhân")

    widths = {"thong_tin": (18, 40), "chi_tieu": (28, 14, 24, 60, 18), "khen_thuong": (26, 14, 36, 18, 22, 24),
              "noi_dung": (14, 100)}
    for name, ws in sheets.items():
        for index, width in enumerate(widths[name]):
            ws.column_dimensions[chr(65 + index)].width = width
    sheets["noi_dung"].column_dimensions["B"].alignment = Alignment(wrap_text=True)
    return wb


def _column(ws, letter: str, values: list[str]) -> None:
    for row, value in enumerate(values, start=1):
        ws[f"{letter}{row}"] = neutralise(value)


def _dropdown(ws, source: str, cells: str, error: str) -> None:
    dv = DataValidation(type="list", formula1=f"={source}", allow_blank=True, showErrorMessage=True,
                        errorTitle="Giá trị không hợp lệ", error=error)
    dv.add(cells)
    ws.add_data_validation(dv)


class _FixedTimeZip(ZipFile):
    """A zip whose members all carry one timestamp, so an unchanged workbook is byte-for-byte the same."""

    def __init__(self, *args, stamped_at: dt.datetime, **kwargs):
        self.stamped_at = stamped_at
        super().__init__(*args, **kwargs)

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = ZipInfo(zinfo_or_arcname, date_time=self.stamped_at.timetuple()[:6])
            zinfo_or_arcname.compress_type = ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        # write-only worksheets are streamed to temp files; their mtime would leak into the zip.
        self.writestr(arcname or Path(filename).name, Path(filename).read_bytes())


def save_reproducible(wb: Workbook, path: Path, at: dt.datetime) -> None:
    """Save with every date inside the file set to `at` (openpyxl's save stamps the current time)."""
    wb.properties.created = at
    wb.properties.modified = at
    with _FixedTimeZip(path, "w", ZIP_DEFLATED, stamped_at=at) as archive:
        ExcelWriter(wb, archive).save()
