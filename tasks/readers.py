"""Reading one submission (an xlsx workbook or a folder of CSV sheets) into plain rows."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import python_calamine as calamine

from tasks.parsing import PercentCell, ProblemCell, visible
from tasks.safety import (
    NotARegularFile,
    NotAZip,
    SheetScan,
    UnsafeWorkbook,
    ZipScan,
    column_letter,
    file_kind,
    open_regular_file,
    read_regular_file,
    scan_xlsx,
)

# Header names of each sheet of the contract (DESIGN.md, "Submissions").
SHEET_COLUMNS: dict[str, tuple[str, ...]] = {
    "thong_tin": ("truong", "gia_tri"),
    "chi_tieu": ("ma_chi_tieu", "gia_tri", "ghi_chu"),
    "khen_thuong": ("hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh", "ghi_chu"),
    "noi_dung": ("muc", "noi_dung"),
}
REQUIRED_SHEETS = ("thong_tin", "chi_tieu", "khen_thuong")
# Generated templates put Vietnamese labels above the header; the header is searched this far down.
HEADER_SEARCH_ROWS = 5


class ReadError(Exception):
    """The file cannot be read as a submission at all; the message is Vietnamese."""


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]  # rows[i] is row i + 1 as the clerk sees it
    hidden: bool = False


@dataclass
class Workbook:
    sheets: dict[str, Sheet] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # files of a CSV folder that are not sheets


def _parts(path: Path) -> list[Path]:
    """The plain files of a CSV folder, in name order (links, pipes and sub-folders are not parts)."""
    return sorted(p for p in path.iterdir() if entry_kind(p) == "file")


def entry_kind(path: Path) -> str:
    """What a submission entry is, without following it: file | dir | symlink | hardlink | fifo | device | other."""
    return file_kind(path.lstat())


def file_sha256(path: Path) -> str:
    """sha256 of a file, or of a CSV folder's sheets (names and bytes, in name order)."""
    digest = hashlib.sha256()
    if entry_kind(path) == "dir":
        for part in _parts(path):
            digest.update(part.name.encode("utf-8") + b"\0")
            with open_regular_file(part) as fh:
                digest.update(fh.read())
            digest.update(b"\0")
    else:
        with open_regular_file(path) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def size_bytes(path: Path) -> int:
    if entry_kind(path) == "dir":
        return sum(p.lstat().st_size for p in _parts(path))
    return path.lstat().st_size


def read_submission(path: Path) -> Workbook:
    """Every sheet of an xlsx file or CSV folder, cell values as the reader gives them."""
    if entry_kind(path) == "dir":
        return _read_csv_folder(path)
    try:
        data = read_regular_file(path)
    except (NotARegularFile, UnsafeWorkbook) as exc:
        raise ReadError(str(exc)) from None
    return _read_xlsx(data)


# python-calamine allocates every cell from A1 to the farthest cell holding a value (32 bytes each,
# then a Python object each): one cell at XFD1048576 asks for 512 GiB and aborts the process.
# A submission needs a few thousand cells; 100,000 award rows of 6 columns are 600,000.
MAX_SHEET_CELLS = 2_000_000


def _read_xlsx(data: bytes) -> Workbook:
    if not data:
        raise ReadError("tệp rỗng (0 byte); hãy gửi lại tệp Excel đã điền")
    try:
        scan = scan_xlsx(data)
    except UnsafeWorkbook as exc:
        raise ReadError(str(exc)) from None
    except NotAZip as exc:
        if data[:8] == _OLE_MAGIC:
            # Excel stores an encrypted xlsx, and every old .xls, in this container instead of a zip.
            raise ReadError("tệp Excel có đặt mật khẩu, hoặc là tệp Excel 97-2003 (.xls) đổi tên thành .xlsx; "
                            "hãy bỏ mật khẩu và lưu lại dạng Excel Workbook (.xlsx) rồi gửi lại") from None
        raise ReadError(_CORRUPT + f" ({exc})") from None
    sheet = scan.largest
    if sheet is not None and sheet.area > MAX_SHEET_CELLS:
        raise ReadError(
            f"sheet “{visible(sheet.name)}” có dữ liệu ở ô {sheet.far_cell}, xa ngoài vùng số liệu (vùng từ A1 "
            f"tới ô đó là {_grouped(sheet.area)} ô, tối đa {_grouped(MAX_SHEET_CELLS)} ô); hãy xoá các ô thừa ở "
            "cuối sheet (chọn các dòng, cột trống phía sau số liệu → Delete), lưu lại rồi gửi lại"
        )
    try:
        wb = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        book = Workbook()
        for meta in wb.sheets_metadata:
            rows = [list(r) for r in wb.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)]
            _mark_percent_cells(rows, scan.sheets.get(meta.name))
            book.sheets[meta.name] = Sheet(
                name=meta.name,
                rows=rows,
                hidden=meta.visible != calamine.SheetVisibleEnum.Visible,
            )
    except calamine.PasswordError:
        raise ReadError("tệp Excel có đặt mật khẩu; hãy bỏ mật khẩu rồi gửi lại") from None
    except (calamine.CalamineError, calamine.ZipError, calamine.XmlError, ValueError, OSError) as exc:
        raise ReadError(_CORRUPT + f" ({type(exc).__name__})") from None
    except BaseException as exc:
        # python-calamine panics (pyo3 PanicException, a BaseException) on some cells, e.g. a number
        # too large for the date format it is shown in: one unit's file must not stop the year.
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        raise ReadError(_ODD_CELL + f" ({type(exc).__name__}: {str(exc)[:80]})") from None
    if scan.sheets_with_formulas:
        _mark_formula_cells(data, book, scan)
    return book


def _grouped(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _mark_percent_cells(rows: list[list], scan: SheetScan | None) -> None:
    """A number shown as a percent keeps that meaning: 0.12 formatted "0%" becomes PercentCell(0.12)."""
    for r, c in scan.percent_cells if scan else ():
        if r < len(rows) and c < len(rows[r]):
            value = rows[r][c]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                rows[r][c] = PercentCell(value)


_ODD_CELL = ("không đọc được tệp Excel: có ô mà chương trình đọc không hiểu (thường là một số quá lớn hoặc âm "
             "được định dạng ngày giờ); hãy tìm ô đó, bỏ định dạng ngày hoặc sửa số, lưu lại rồi gửi lại")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CORRUPT = ("không mở được tệp Excel (.xlsx): tệp bị hỏng, bị cắt ngắn hoặc không phải tệp Excel; "
            "hãy mở lại bằng Excel, lưu dạng .xlsx và gửi lại")


def _mark_formula_cells(data: bytes, book: Workbook, scan: ZipScan) -> None:
    """Put a ProblemCell where calamine saw '' but the sheet holds an error or an uncalculated formula."""
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # calamine read it; a second opinion failing must not lose the file
        return
    try:
        _mark_sheets(wb, book, scan)
    except Exception:  # damaged beyond what calamine noticed: keep calamine's reading of the cells
        pass
    finally:
        wb.close()


def _mark_sheets(wb, book: Workbook, scan: ZipScan) -> None:
    for ws in wb.worksheets:
        sheet, found = book.sheets.get(ws.title), scan.sheets.get(ws.title)
        if sheet is None or found is None or not found.has_formulas:
            continue
        # Bounded by the cells really there: openpyxl pads every row to the sheet's declared size.
        for row in ws.iter_rows(max_row=found.max_row, max_col=found.max_column):
            for cell in row:
                if cell.data_type not in ("f", "e") or cell.value is None:
                    continue
                r, c = cell.row - 1, cell.column - 1
                while len(sheet.rows) <= r:
                    sheet.rows.append([])
                line = sheet.rows[r]
                while len(line) <= c:
                    line.append("")
                if not is_blank(line[c]):
                    continue  # a formula whose result Excel saved: that result is the value
                text = cell.value if isinstance(cell.value, str) else str(cell.value)
                line[c] = ProblemCell("error" if cell.data_type == "e" else "formula", text)


def _read_csv_folder(path: Path) -> Workbook:
    book = Workbook()
    for part in sorted(path.iterdir()):
        if entry_kind(part) != "file" or part.suffix.lower() != ".csv":
            book.ignored.append(part.name)
            continue
        try:
            raw = read_regular_file(part)
        except (NotARegularFile, UnsafeWorkbook) as exc:
            raise ReadError(f"tệp {part.name} {exc}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"tệp {part.name} không phải mã UTF-8 (có thể là Windows-1258 hoặc TCVN3), "
                f"lỗi ở byte thứ {exc.start + 1}; hãy lưu lại bằng “CSV UTF-8” rồi gửi lại"
            ) from None
        first_line = text.split("\n", 1)[0]
        if ";" in first_line and "," not in first_line:
            raise ReadError(
                f"tệp {part.name} dùng dấu ';' để ngăn cách các cột (dòng tiêu đề “{visible(first_line[:60])}”), "
                "không phải dấu ','; hãy lưu lại bằng “CSV UTF-8 (Comma delimited)”, hoặc gửi tệp .xlsx"
            )
        # strict: an unclosed quote must be an error, not a field that silently swallows the rest.
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            rows = list(reader)
        except csv.Error as exc:
            raise ReadError(_csv_error(part.name, reader.line_num, exc)) from None
        if part.stem in book.sheets:
            raise ReadError(f"thư mục có hai tệp cho cùng sheet “{part.stem}”; hãy giữ lại một tệp")
        book.sheets[part.stem] = Sheet(name=part.stem, rows=rows)
    if not book.sheets:
        raise ReadError("thư mục không có tệp .csv nào; mỗi sheet phải là một tệp <tên sheet>.csv")
    return book


def _csv_error(name: str, line: int, exc: csv.Error) -> str:
    """The csv module's English error as a Vietnamese one-liner naming the file and line."""
    text = str(exc)
    if "field larger than field limit" in text:
        limit = _grouped(csv.field_size_limit())
        return (f"tệp {name}, dòng {line}: có một ô dài hơn {limit} ký tự (thường do thiếu dấu ngoặc kép đóng, "
                "hoặc dán nhầm cả một văn bản); hãy kiểm tra dòng đó rồi lưu lại")
    if "unexpected end of data" in text or "EOF" in text:
        return (f"tệp {name}, dòng {line}: có dấu ngoặc kép (\") mở mà không đóng; hãy sửa dòng đó "
                "hoặc lưu lại bằng Excel dạng “CSV UTF-8”")
    return (f"tệp {name}, dòng {line}: không đúng định dạng CSV (dấu ngoặc kép đặt sai chỗ); "
            "hãy lưu lại bằng Excel dạng “CSV UTF-8”")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def find_header(sheet: Sheet, columns: tuple[str, ...]) -> int | None:
    """Index of the header row (the first row naming the sheet's first column), or None."""
    first = columns[0]
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        if any(isinstance(v, str) and v.strip().lower() == first for v in row):
            return index
    return None
