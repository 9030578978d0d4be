"""Blank submission workbooks, one per expected unit: protected, validated, printable, read back unchanged."""

from __future__ import annotations

import datetime as dt
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from tasks.config import PROJECT_ROOT, Config, Unit
from tasks.parsing import DOI_TUONG, HINH_THUC
from tasks.xlsx import (BOX, CODE_FONT, HEADER_FILL, INPUT_FILL, LABEL_FONT, TEXT_FONT, TITLE_FONT, inert,
                        print_a4, row_height)

GUIDE_SHEET = "Hướng dẫn"
LIST_SHEET = "danh_muc"
AWARD_ROWS = 300  # rows prepared (unlocked, validated) in khen_thuong
NARRATIVE_ROWS = 40
TITLE_ROW, LABEL_ROW, CODE_ROW = 1, 2, 3  # the reader finds the contract's names in CODE_ROW
FIRST_ROW = CODE_ROW + 1
UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class Column:
    code: str  # row 3: the contract's column name (or a name the reader ignores)
    label: str  # row 2: what a person reads
    width: float
    wrap: bool = False


# The clerk's reading order; the reader finds contract columns by name, wherever they stand, and
# ignores the others (mo_ta, ten_chi_tieu, don_vi_tinh).
LAYOUT: dict[str, tuple[Column, ...]] = {
    "thong_tin": (Column("mo_ta", "Thông tin", 24), Column("gia_tri", "Nội dung", 46),
                  Column("truong", "Mã", 12)),
    "chi_tieu": (Column("ten_chi_tieu", "Tên chỉ tiêu", 46, wrap=True), Column("don_vi_tinh", "Đơn vị tính", 12, wrap=True),
                 Column("gia_tri", "Giá trị", 13), Column("ghi_chu", "Ghi chú", 20, wrap=True),
                 Column("ma_chi_tieu", "Mã chỉ tiêu", 16)),
    "khen_thuong": (Column("hinh_thuc", "Hình thức khen thưởng", 23), Column("doi_tuong", "Đối tượng", 11),
                    Column("ten", "Tên tập thể / cá nhân", 30, wrap=True), Column("so_quyet_dinh", "Số quyết định", 14),
                    Column("ngay_quyet_dinh", "Ngày quyết định", 13, wrap=True), Column("ghi_chu", "Ghi chú", 16, wrap=True)),
    "noi_dung": (Column("muc", "Mục báo cáo", 10, wrap=True), Column("noi_dung", "Nội dung", 80, wrap=True)),
}
TITLES = {
    "thong_tin": "THÔNG TIN ĐƠN VỊ BÁO CÁO",
    "chi_tieu": "BIỂU SỐ LIỆU CHỈ TIÊU",
    "khen_thuong": "DANH SÁCH KHEN THƯỞNG TRONG NĂM",
    "noi_dung": "NỘI DUNG BÁO CÁO (không bắt buộc)",
}
INFO_ROWS = (("ma_don_vi", "Mã đơn vị"), ("ten_don_vi", "Tên đơn vị"), ("nam", "Năm báo cáo"),
             ("nguoi_lap", "Người lập biểu"), ("ngay_lap", "Ngày lập"))

_NUMBER = "Gõ số, không gõ chữ, dấu % hay công thức. Ví dụ 2.780 hoặc 4,97 (máy dùng dấu chấm thập phân: 2780, 4.97)."
# value_type of the catalogue -> (validation kwargs, input prompt, error message)
VALUE_RULES = {
    "count": (dict(type="whole", operator="greaterThanOrEqual", formula1="0"),
              "Số nguyên, từ 0 trở lên. " + _NUMBER, "Chỉ tiêu này là số đếm: ghi số nguyên từ 0 trở lên."),
    "amount": (dict(type="decimal", operator="greaterThanOrEqual", formula1="0"),
               "Số từ 0 trở lên. " + _NUMBER, "Ghi một số từ 0 trở lên, không gõ chữ hay dấu âm."),
    "index": (dict(type="decimal", operator="greaterThanOrEqual", formula1="0"),
              "Số điểm, từ 0 trở lên. " + _NUMBER, "Ghi số điểm từ 0 trở lên."),
    "percent": (dict(type="decimal", operator="between", formula1="0", formula2="100"),
                "Tỷ lệ phần trăm từ 0 đến 100, không gõ dấu %: 4,97 nghĩa là 4,97%.",
                "Tỷ lệ phải từ 0 đến 100 (ghi 4,97 cho 4,97%, không gõ dấu %)."),
    "flag": (dict(type="list", formula1='"1,0"'),
             "Ghi 1 nếu đạt, 0 nếu chưa đạt.", "Chỉ ghi 1 (đạt) hoặc 0 (chưa đạt)."),
    "growth": (dict(type="decimal", operator="between", formula1="-100", formula2="100"),
               "Tốc độ tăng (%), có thể âm: ví dụ 6,54 hoặc -1,2. Không gõ dấu %.",
               "Ghi tốc độ tăng bằng số phần trăm từ -100 đến 100, không gõ dấu %."),
}


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
    """One unit's blank workbook: instructions first, then the contract's sheets, protected but open to fill."""
    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    sections = section_codes(config)
    sheets = {name: _sheet(wb, name, unit, year) for name in LAYOUT}
    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    # The titles of config/awards.yaml that exist this year (a province adds its own), by label.
    titles = [a.name for a in config.awards if a.exists_in(year)] or list(HINH_THUC.values())
    for letter, values in (("A", titles), ("B", DOI_TUONG.values()), ("C", [c for c, _ in sections])):
        for row, value in enumerate(values, start=1):
            lists[f"{letter}{row}"] = inert(value)

    _fill_info(sheets["thong_tin"], unit, year)
    _fill_indicators(sheets["chi_tieu"], config.indicators_for(unit))
    _prepare_rows(sheets["khen_thuong"], AWARD_ROWS, {
        "hinh_thuc": _validation(dict(type="list", formula1=f"={LIST_SHEET}!$A$1:$A${len(titles)}"),
                                 "Chọn hình thức khen thưởng trong danh sách.", "Chọn hình thức trong danh sách."),
        "doi_tuong": _validation(dict(type="list", formula1=f"={LIST_SHEET}!$B$1:$B${len(DOI_TUONG)}"),
                                 "Chọn Tập thể hoặc Cá nhân.", "Chỉ chọn Tập thể hoặc Cá nhân."),
        "ten": _text("Tên tập thể hoặc họ tên cá nhân được khen thưởng."),
        "so_quyet_dinh": _text("Số quyết định, ví dụ 125/QĐ-UBND."),
        "ngay_quyet_dinh": _date(year - 1, year + 1, "Ngày ký quyết định"),
        "ghi_chu": _text("Ghi chú (nếu có)."),
    })
    _prepare_rows(sheets["noi_dung"], NARRATIVE_ROWS, {
        "muc": _validation(dict(type="list", formula1=f"={LIST_SHEET}!$C$1:$C${max(len(sections), 1)}"),
                           "Chọn mục của báo cáo (danh sách các mục ở sheet Hướng dẫn).",
                           "Chọn một mục trong danh sách (xem sheet Hướng dẫn)."),
        "noi_dung": _text("Đoạn văn cho mục này; mỗi đoạn một dòng.", limit=32000),
    })
    _write_guide(guide, config, unit, year, sections)

    for ws in wb.worksheets:
        ws.protection.sheet = True  # no password: the clerk fills unlocked cells; nothing else changes
        ws.protection.formatColumns = ws.protection.formatRows = False  # allowed: widen a column
    for name in ("khen_thuong", "noi_dung"):
        sheets[name].protection.insertRows = sheets[name].protection.deleteRows = False
    wb.security = WorkbookProtection(lockStructure=True)  # sheets cannot be renamed, moved or unhidden
    return wb


def section_codes(config: Config) -> list[tuple[str, str]]:
    """(code, title) of the report's sections (config/sections.yaml beside units.yaml)."""
    path = config.config_dir / "sections.yaml"
    if not path.is_file():
        path = PROJECT_ROOT / "config" / "sections.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [(str(s["code"]), str(s.get("title", ""))) for s in data.get("sections") or [] if "code" in s]


def _sheet(wb: Workbook, name: str, unit: Unit, year: int) -> Worksheet:
    ws = wb.create_sheet(name)
    columns = LAYOUT[name]
    last = get_column_letter(len(columns))
    ws[f"A{TITLE_ROW}"] = inert(f"{TITLES[name]} NĂM {year} — {unit.name}")
    ws[f"A{TITLE_ROW}"].font = TITLE_FONT
    ws[f"A{TITLE_ROW}"].alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 36
    for index, column in enumerate(columns, start=1):
        label = ws.cell(row=LABEL_ROW, column=index, value=column.label)
        label.font, label.fill, label.border = LABEL_FONT, HEADER_FILL, BOX
        label.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        code = ws.cell(row=CODE_ROW, column=index, value=column.code)
        code.font, code.border = CODE_FONT, BOX
        code.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.row_dimensions[LABEL_ROW].height = 32
    ws.freeze_panes = f"A{FIRST_ROW}"
    print_a4(ws, title_rows=f"{LABEL_ROW}:{CODE_ROW}", footer=f"{unit.code} — {unit.name} — năm {year}")
    return ws


def _col(name: str, code: str) -> int:
    return next(i for i, c in enumerate(LAYOUT[name], start=1) if c.code == code)


def _style_row(ws: Worksheet, row: int, inputs: set[int]) -> None:
    for index, column in enumerate(LAYOUT[ws.title], start=1):
        cell = ws.cell(row=row, column=index)
        cell.border = BOX
        cell.font = CODE_FONT if column.code in ("truong", "ma_chi_tieu") else TEXT_FONT
        cell.alignment = Alignment(wrap_text=column.wrap, vertical="top")
        if index in inputs:
            cell.protection, cell.fill = UNLOCKED, INPUT_FILL


def _fill_info(ws: Worksheet, unit: Unit, year: int) -> None:
    value_col = _col("thong_tin", "gia_tri")
    given = {"ma_don_vi": unit.code, "ten_don_vi": unit.name, "nam": year}
    for offset, (key, label) in enumerate(INFO_ROWS):
        row = FIRST_ROW + offset
        ws.cell(row=row, column=_col("thong_tin", "mo_ta"), value=label)
        ws.cell(row=row, column=value_col, value=inert(given.get(key)))
        ws.cell(row=row, column=_col("thong_tin", "truong"), value=key)
        _style_row(ws, row, set() if key in given else {value_col})
        ws.cell(row=row, column=1).font = LABEL_FONT
    letter = get_column_letter(value_col)
    name_row, date_row = FIRST_ROW + 3, FIRST_ROW + 4
    _add(ws, _text("Họ tên người lập biểu."), f"{letter}{name_row}")
    _add(ws, _date(year, year + 1, "Ngày lập biểu"), f"{letter}{date_row}")
    ws[f"{letter}{date_row}"].number_format = "dd/mm/yyyy"


def _fill_indicators(ws: Worksheet, indicators) -> None:
    value_col, note_col = _col("chi_tieu", "gia_tri"), _col("chi_tieu", "ghi_chu")
    by_type: dict[str, list[str]] = {}
    for offset, indicator in enumerate(indicators):
        row = FIRST_ROW + offset
        # Names come from config files anyone may edit; none must become a live formula in 30 workbooks.
        ws.cell(row=row, column=_col("chi_tieu", "ten_chi_tieu"), value=inert(indicator.name))
        ws.cell(row=row, column=_col("chi_tieu", "don_vi_tinh"), value=inert(indicator.unit))
        ws.cell(row=row, column=_col("chi_tieu", "ma_chi_tieu"), value=indicator.code)
        _style_row(ws, row, {value_col, note_col})
        ws.cell(row=row, column=value_col).number_format = "#,##0" + ("." + "0" * indicator.decimals
                                                                      if indicator.decimals else "")
        ws.row_dimensions[row].height = row_height([(indicator.name, LAYOUT["chi_tieu"][0].width),
                                                     (indicator.unit, LAYOUT["chi_tieu"][1].width)])
        by_type.setdefault(indicator.value_type, []).append(f"{get_column_letter(value_col)}{row}")
    for value_type, cells in by_type.items():
        _add(ws, _validation(*VALUE_RULES[value_type]), " ".join(cells))
    last = FIRST_ROW + max(len(indicators), 1) - 1
    _add(ws, _text("Ghi chú (nếu có), ví dụ lý do số liệu thay đổi nhiều so với năm trước."),
         f"{get_column_letter(note_col)}{FIRST_ROW}:{get_column_letter(note_col)}{last}")
    _signatures(ws, last + 2)


def _signatures(ws: Worksheet, row: int) -> None:
    """'Người lập biểu' and 'Thủ trưởng đơn vị', in columns the reader ignores (a merge keeps its text in its first cell)."""
    right = f"B{{r}}:{get_column_letter(_col('chi_tieu', 'ghi_chu'))}{{r}}"
    lines = ((None, "…………, ngày …… tháng …… năm ……", Font(name=TEXT_FONT.name, italic=True, size=12)),
             ("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", LABEL_FONT),
             ("(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)", Font(name=TEXT_FONT.name, italic=True, size=11)))
    for offset, (left_text, right_text, font) in enumerate(lines):
        r = row + offset
        ws.merge_cells(right.format(r=r))
        for letter, text in (("A", left_text), ("B", right_text)):
            ws[f"{letter}{r}"] = text
            ws[f"{letter}{r}"].font = font
            ws[f"{letter}{r}"].alignment = Alignment(horizontal="center")


def _prepare_rows(ws: Worksheet, count: int, rules: dict[str, DataValidation]) -> None:
    columns = LAYOUT[ws.title]
    _style_row(ws, FIRST_ROW, set(range(1, len(columns) + 1)))
    if "ngay_quyet_dinh" in rules:
        ws.cell(row=FIRST_ROW, column=_col(ws.title, "ngay_quyet_dinh")).number_format = "dd/mm/yyyy"
    styles = [copy(ws.cell(row=FIRST_ROW, column=c)._style) for c in range(1, len(columns) + 1)]
    for row in range(FIRST_ROW + 1, FIRST_ROW + count):
        for c, style in enumerate(styles, start=1):
            ws.cell(row=row, column=c)._style = copy(style)  # setting styles cell by cell costs 10x more
    for code, dv in rules.items():
        letter = get_column_letter(_col(ws.title, code))
        _add(ws, dv, f"{letter}{FIRST_ROW}:{letter}{FIRST_ROW + count - 1}")


def _validation(kwargs: dict, prompt: str, error: str) -> DataValidation:
    return DataValidation(**kwargs, allow_blank=True, showInputMessage=True, showErrorMessage=True,
                          promptTitle="Hướng dẫn", prompt=prompt, errorTitle="Giá trị không hợp lệ", error=error)


def _text(prompt: str, limit: int = 500) -> DataValidation:
    return _validation(dict(type="textLength", operator="lessThanOrEqual", formula1=str(limit)), prompt,
                       f"Nội dung dài quá {limit} ký tự.")


def _date(first_year: int, last_year: int, what: str) -> DataValidation:
    first, last = ((dt.date(y, m, d) - dt.date(1899, 12, 30)).days for y, m, d in ((first_year, 1, 1), (last_year, 12, 31)))
    example = last_year - 1  # the report's year
    return _validation(dict(type="date", operator="between", formula1=str(first), formula2=str(last)),
                       f"{what}: ngày/tháng/năm, ví dụ 15/12/{example} (hoặc {example}-12-15).",
                       f"Ghi một ngày từ 01/01/{first_year} đến 31/12/{last_year}, ví dụ 15/12/{example} "
                       f"hoặc {example}-12-15.")


def _add(ws: Worksheet, dv: DataValidation, cells: str) -> None:
    for part in cells.split():
        dv.add(part)
    ws.add_data_validation(dv)


def _write_guide(ws: Worksheet, config: Config, unit: Unit, year: int, sections: list[tuple[str, str]]) -> None:
    """The first sheet: what to fill, how to write numbers and dates, by when, to whom, how to resend."""
    send = config.settings.nop_bao_cao
    deadline = send.deadline(year)
    n = len(config.indicators_for(unit))
    paragraphs = [
        (TITLE_FONT, f"HƯỚNG DẪN ĐIỀN BIỂU BÁO CÁO THI ĐUA, KHEN THƯỞNG NĂM {year}"),
        (LABEL_FONT, f"Đơn vị: {unit.name} (mã {unit.code})"),
        (LABEL_FONT, f"Hạn nộp: {deadline}. Nơi nhận: {send.noi_nhan}, {send.cach_gui}."),
        (LABEL_FONT, "1. Điền những gì"),
        (TEXT_FONT, "Chỉ điền vào các ô nền vàng nhạt; các ô khác đã được khoá để giữ đúng mẫu (không cần mật khẩu)."),
        (TEXT_FONT, "• Sheet thong_tin: họ tên người lập biểu và ngày lập."),
        (TEXT_FONT, f"• Sheet chi_tieu: cột Giá trị của {n} chỉ tiêu đơn vị phải báo cáo; cột Ghi chú nếu cần giải thích."),
        (TEXT_FONT, "• Sheet khen_thuong: mỗi dòng một tập thể hoặc cá nhân được khen thưởng trong năm "
                    "(chọn hình thức và đối tượng trong danh sách, ghi tên, số và ngày quyết định)."),
        (TEXT_FONT, "• Sheet noi_dung (không bắt buộc): đoạn văn cho từng mục của báo cáo, chọn mục ở cột Mục báo cáo."),
        (TEXT_FONT, "Không đổi tên sheet, không sửa dòng mã (chữ nhỏ màu xám dưới tiêu đề cột): "
                    "máy đọc số liệu theo các mã đó."),
        (LABEL_FONT, "2. Cách ghi số"),
        (TEXT_FONT, "Dấu chấm ngăn hàng nghìn, dấu phẩy ngăn phần thập phân: 2.780 là hai nghìn bảy trăm tám mươi; "
                    "4,97 là bốn phẩy chín mươi bảy. Nếu máy tính dùng dấu chấm thập phân, gõ 2780 và 4.97."),
        (TEXT_FONT, "Tỷ lệ ghi số phần trăm, không gõ dấu %: 4,97 nghĩa là 4,97%. Chỉ tiêu đạt/chưa đạt: 1 là đạt, "
                    "0 là chưa đạt. Không ghi số âm (trừ tốc độ tăng trưởng), không dùng công thức, không ghi chữ vào ô số."),
        (LABEL_FONT, "3. Cách ghi ngày"),
        (TEXT_FONT, f"Ngày/tháng/năm, ví dụ 15/12/{year}; hoặc {year}-12-15. Ngày quyết định khen thưởng "
                    f"nằm trong năm {year} (hoặc đầu năm {year + 1})."),
        (LABEL_FONT, "4. Gửi bài"),
        (TEXT_FONT, f"Lưu tệp dạng Excel (.xlsx), giữ nguyên tên tệp {unit.code}.xlsx, in sheet chi_tieu để ký, "
                    f"gửi {send.noi_nhan} {send.cach_gui} trước ngày {deadline}."),
        (LABEL_FONT, "5. Gửi lại bản đã sửa"),
        (TEXT_FONT, f"Nếu nhận được tệp phản hồi phan_hoi_{unit.code}.xlsx, sửa đúng các ô được chỉ ra ngay trong tệp "
                    f"{unit.code}.xlsx này, lưu lại và gửi lại cả tệp với cùng tên. Bản gửi sau thay cho bản trước; "
                    "không gửi riêng phần đã sửa."),
        (LABEL_FONT, "6. Các mục của báo cáo (cột Mục báo cáo ở sheet noi_dung)"),
        *[(TEXT_FONT, f"{code} — {title}") for code, title in sections],
    ]
    # 80 fills an A4 portrait page; LibreOffice does not shrink one column wider than the page.
    ws.column_dimensions["A"].width = 80
    for row, (font, text) in enumerate(paragraphs, start=1):
        cell = ws.cell(row=row, column=1, value=inert(text))
        cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = row_height([(text, 80 if font is TEXT_FONT else 66)])
    print_a4(ws, title_rows=None, footer=f"{unit.code} — {unit.name} — năm {year}")


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
