"""Feedback workbooks (phan_hoi_<UNIT>.xlsx): what a unit's clerk must fix, where in their own file, and how."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tasks.config import Config
from tasks.db import query
from tasks.readers import HEADER_SEARCH_ROWS
from tasks.workbook_templates import LAYOUT
from tasks.xlsx import (BOX, FONT, HEADER_FILL, LABEL_FONT, SEVERITY_STYLE, TEXT_FONT, TITLE_FONT, print_a4,
                        printable, quote_formula_text, row_height)

SUMMARY_SHEET = "Tóm tắt"
FINDINGS_SHEET = "Danh sách lỗi"
# (title, width); one row per finding, in the order a clerk works through it.
COLUMNS = (("STT", 5), ("Mức độ", 12), ("Chỉ tiêu", 22), ("Vị trí trong tệp của đơn vị", 22),
           ("Giá trị đã ghi", 14), ("Lỗi", 36), ("Cách sửa", 32))
SEVERITY_VI = {"critical": "Nghiêm trọng", "warning": "Cảnh báo"}
STATUS_FILL = {"accepted": "C6EFCE", "rejected": "FFC7CE", "missing": "E7E6E6"}
MAX_SHOWN = 300  # characters of a written value quoted; a whole pasted page would not fit one printed row
_COLUMN_LABELS = {c.code: c.label for columns in LAYOUT.values() for c in columns}


@dataclass
class UnitFile:
    """What the feedback quotes from the unit's current file: its form, sheet names, header cells, codes per row."""

    file_format: str
    source_path: str
    sheets: set[str] = field(default_factory=set)
    header_cells: dict[tuple[str, int], list[tuple[str, str]]] = field(default_factory=dict)  # (sheet, row) -> (ref, text)
    indicator_at: dict[tuple[str, int], str] = field(default_factory=dict)  # (sheet, row) -> ma_chi_tieu


def load_unit_files(con, year: int) -> dict[str, UnitFile]:
    """Each unit's current file for the year, as feedback needs it (sql/feedback/feedback_cells.sql)."""
    files: dict[str, UnitFile] = {}
    for r in query(con, "feedback/feedback_cells", {"nam": year, "header_rows": HEADER_SEARCH_ROWS}):
        file = files.setdefault(r["unit_code"], UnitFile(r["file_format"], r["source_path"]))
        if r["sheet_name"] is None:
            continue
        file.sheets.add(r["sheet_name"])
        place = (r["sheet_name"], r["row_number"])
        if r["column_name"] == "ma_chi_tieu":
            file.indicator_at[place] = r["value_text"].strip()
        else:
            file.header_cells.setdefault(place, []).append((r["cell_ref"], r["value_text"]))
    return files


def write_feedback(path: Path, *, unit: dict, year: int, config: Config, file: UnitFile | None = None,
                   template: Path | None = None) -> Path:
    """One workbook a clerk can act on: a summary in plain words, then one printed row per finding."""
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = SUMMARY_SHEET
    _write_summary(summary, unit, year, config, file, template)
    _write_findings(wb.create_sheet(FINDINGS_SHEET), unit, year, config, file, template)
    for ws in wb.worksheets:
        quote_formula_text(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def finding_row(f: dict, *, config: Config, file: UnitFile | None, template: Path | None) -> list:
    """[severity, indicator, place, value written, what is wrong, how to fix] in the clerk's words."""
    observed = f.get("observed_value")
    if isinstance(observed, str) and len(observed) > MAX_SHOWN:
        observed = observed[:MAX_SHOWN] + "…"
    fix = f.get("fix_vi") or ""
    if f["check_code"] == "thieu_sheet":
        fix = f"Thêm sheet “{f['sheet_name']}” đúng như mẫu" + (
            f": mở tệp mẫu trống gửi kèm ({template.name}) và chép số liệu sang." if template else ".")
    hint = near_miss_hint(f, file)
    return [SEVERITY_VI.get(f["severity"], f["severity"]), indicator_name(f, config, file), place(f, file),
            observed, _without_place(f), " ".join(p for p in (hint, fix) if p)]


def indicator_name(f: dict, config: Config, file: UnitFile | None) -> str:
    """The Vietnamese name of the indicator the finding is about: its row's code, else a code the message names."""
    code = file.indicator_at.get((f["sheet_name"], f["row_number"])) if file and f.get("row_number") else None
    if code is None or config.indicator(code) is None:
        text = f"{f.get('message_vi') or ''} {f.get('observed_value') or ''}"
        code = next((m.group(1) for m in _codes(config).finditer(text)), None)
    indicator = config.indicator(code) if code else None
    return indicator.name if indicator else ""


def place(f: dict, file: UnitFile | None) -> str:
    """Where the problem is, as the clerk's own file names it: 'TP1.xlsx, sheet chi_tieu, ô C4' or 'TP1/chi_tieu.csv, dòng 4'."""
    source = f.get("source_path") or (file.source_path if file else None)
    if not source:
        return "Chưa nhận được tệp"
    name = PurePosixPath(source).name
    is_csv = file.file_format == "csv" if file else not name.lower().endswith(".xlsx")
    sheet = f.get("sheet_name") if f["check_code"] != "thieu_sheet" else None
    row, column, cell = f.get("row_number"), f.get("column_name"), f.get("cell_ref")
    if is_csv:
        parts = [f"{name}/{sheet}.csv" if sheet else f"thư mục {name}/"]
        parts += [f"dòng {row}"] if row else []
        parts += [f"cột {column}"] if column else []
    else:
        parts = [name] + ([f"sheet {sheet}"] if sheet else [])
        label = f" (cột {_COLUMN_LABELS.get(column, column)})" if column else ""
        if cell:
            parts.append(f"ô {cell}{label}")
        else:
            parts += ([f"dòng {row}"] if row else []) + ([f"cột {column}"] if column else [])  # e.g. a missing column
    return ", ".join(parts)


def near_miss_hint(f: dict, file: UnitFile | None) -> str:
    """'Đổi tên sheet “Khen thuong” thành “khen_thuong”.' when a name differs only in case, accents, spaces or '_'."""
    if file is None or not f.get("sheet_name"):
        return ""
    wanted = f["sheet_name"]
    if f["check_code"] == "thieu_sheet":
        near = sorted(s for s in file.sheets if _key(s) == _key(wanted) and s.strip().lower() != wanted)
        if not near:
            return ""
        if file.file_format == "csv":
            return f"Đổi tên tệp “{near[0]}.csv” thành “{wanted}.csv”."
        return f"Đổi tên sheet “{near[0]}” thành “{wanted}”."
    if f["check_code"] == "thieu_cot" and f.get("column_name"):
        wanted = f["column_name"]
        cells = file.header_cells.get((f["sheet_name"], f.get("row_number") or 1), [])
        near = [(ref, text) for ref, text in cells if _key(text) == _key(wanted) and text.strip().lower() != wanted]
        if near:
            ref, text = near[0]
            where = "" if file.file_format == "csv" else f" (ô {ref})"
            return f"Đổi tên cột “{text.strip()}”{where} thành “{wanted}”."
    return ""


def _key(text: str) -> str:
    """A name without case, accents, spaces, '_' or '-': 'Khen thưởng' and 'khen_thuong' share one."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", "", plain).lower()


def _codes(config: Config) -> re.Pattern:
    codes = sorted((i.code for i in config.indicators), key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9_])(" + "|".join(map(re.escape, codes)) + r")(?![a-z0-9_])")


def _without_place(f: dict) -> str:
    """The message without the 'Tệp …, sheet …, dòng …:' prefix the stages add; the place has its own column."""
    message = f.get("message_vi") or ""
    if f.get("source_path"):
        parts = [f"Tệp {f['source_path']}"]
        parts += [f"sheet {f['sheet_name']}"] if f.get("sheet_name") else []
        parts += [f"dòng {f['row_number']}"] if f.get("row_number") else []
        if f.get("column_name"):
            parts.append(f"cột {f['column_name']}" + (f" (ô {f['cell_ref']})" if f.get("cell_ref") else ""))
        prefix = ", ".join(parts) + ": "
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message[:1].upper() + message[1:]


def _write_summary(ws: Worksheet, unit: dict, year: int, config: Config, file: UnitFile | None,
                   template: Path | None) -> None:
    send = config.settings.nop_bao_cao
    deadline = send.deadline(year)
    code, status = unit["ma_don_vi"], unit["trang_thai"]
    critical, warnings = unit["so_nghiem_trong"], unit["so_canh_bao"]
    source = unit.get("source_path") or (file.source_path if file else None)
    received = (f"{PurePosixPath(source).name}{'/ (thư mục CSV)' if file and file.file_format == 'csv' else ''}"
                f", bản thứ {unit.get('version') or 1}") if source else "Chưa nhận được tệp"
    if status == "missing":
        steps = [f"Đơn vị chưa nộp báo cáo năm {year}.",
                 f"Điền mẫu trống gửi kèm ({template.name})" if template else "Điền mẫu báo cáo của đơn vị",
                 f"Lưu với tên {code}.xlsx và gửi {send.noi_nhan} {send.cach_gui} trước ngày {deadline}."]
    elif status == "rejected":
        steps = [f"Báo cáo CHƯA được chấp nhận: có {critical} lỗi nghiêm trọng (màu đỏ) phải sửa.",
                 f"Mở sheet “{FINDINGS_SHEET}”: mỗi dòng là một lỗi, cột “Vị trí” chỉ đúng chỗ trong tệp của đơn vị, "
                 "cột “Cách sửa” nói cách sửa.",
                 "Sửa ngay trong tệp đã gửi (hoặc chép sang mẫu trống gửi kèm), rồi xem lại các cảnh báo (màu vàng).",
                 f"Lưu lại, giữ nguyên tên tệp, gửi lại cả tệp cho {send.noi_nhan} trước ngày {deadline}. "
                 "Bản gửi sau thay cho bản trước."]
    else:
        steps = [f"Báo cáo đã được chấp nhận; có {warnings} cảnh báo (màu vàng) cần xem lại.",
                 "Nếu số liệu đúng, ghi lý do vào cột Ghi chú và gửi lại; nếu sai, sửa và gửi lại cả tệp "
                 f"trước ngày {deadline}. Không cần làm gì thêm nếu cảnh báo đã được giải thích."]
    rows = [
        ("Đơn vị", f"{unit.get('ten_don_vi') or ''} (mã {code})"),
        ("Năm báo cáo", str(year)),
        ("Tệp đã nhận", received),
        ("Trạng thái", unit["trang_thai_vi"]),
        ("Số vấn đề", f"{critical} lỗi nghiêm trọng (phải sửa), {warnings} cảnh báo (cần xem lại)"),
        ("Hạn nộp", f"{deadline} — gửi {send.noi_nhan}, {send.cach_gui}"),
        *[("Việc cần làm" if n == 0 else "", f"{n + 1}. {s}") for n, s in enumerate(steps)],
    ]
    if template:
        rows.append(("Kèm theo", f"{template.name} — mẫu trống của đơn vị, có sẵn danh sách chỉ tiêu và hướng dẫn"))
    ws["A1"] = printable(f"PHẢN HỒI KẾT QUẢ KIỂM TRA BÁO CÁO THI ĐUA, KHEN THƯỞNG NĂM {year}")
    ws["A1"].font = TITLE_FONT
    ws["A1"].alignment = Alignment(wrap_text=True, vertical="center")
    ws.merge_cells("A1:B1")
    ws.row_dimensions[1].height = 40
    widths = (20, 64)
    for n, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    for offset, (label, text) in enumerate(rows):
        r = 3 + offset
        ws.cell(row=r, column=1, value=label).font = LABEL_FONT
        cell = ws.cell(row=r, column=2, value=printable(text))
        cell.font = TEXT_FONT
        for c in (ws.cell(row=r, column=1), cell):
            c.alignment = Alignment(wrap_text=True, vertical="top")
            c.border = BOX
        if label == "Trạng thái":
            cell.font = Font(name=FONT, bold=True, size=13)
            cell.fill = PatternFill("solid", fgColor=STATUS_FILL.get(status, "FFFFFF"))
        ws.row_dimensions[r].height = row_height([(label, widths[0]), (text, widths[1])])
    print_a4(ws, title_rows=None, footer=f"Phản hồi {code} — năm {year}")


def _write_findings(ws: Worksheet, unit: dict, year: int, config: Config, file: UnitFile | None,
                    template: Path | None) -> None:
    code = unit["ma_don_vi"]
    ws["A1"] = printable(f"DANH SÁCH LỖI CẦN SỬA — {unit.get('ten_don_vi') or code} ({code}) — năm {year}")
    ws["A1"].font = TITLE_FONT
    ws.merge_cells(f"A1:{get_column_letter(len(COLUMNS))}1")
    ws.row_dimensions[1].height = 24
    for n, (title, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=2, column=n, value=title)
        cell.font, cell.fill, cell.border = LABEL_FONT, HEADER_FILL, BOX
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.row_dimensions[2].height = 34
    for n, f in enumerate(unit["findings"], start=1):
        r = 2 + n
        values = [n, *finding_row(f, config=config, file=file, template=template)]
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=printable(value))
            cell.font, cell.border = TEXT_FONT, BOX
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        fill, colour = SEVERITY_STYLE.get(f["severity"], SEVERITY_STYLE["warning"])
        severity = ws.cell(row=r, column=2)
        severity.fill, severity.font = fill, Font(name=FONT, bold=True, size=12, color=colour)
        # A row never breaks across pages; its height must show all its wrapped lines.
        ws.row_dimensions[r].height = row_height([(v, w) for v, (_, w) in zip(values, COLUMNS)])
    if not unit["findings"]:
        ws.cell(row=3, column=1, value="Không có lỗi nào.").font = TEXT_FONT
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{max(ws.max_row, 3)}"
    print_a4(ws, title_rows="1:2", landscape=True, footer=f"Phản hồi {code} — năm {year}")
