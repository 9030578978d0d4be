"""Reading one submission (an xlsx workbook or a folder of CSV sheets) into plain rows."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import python_calamine as calamine

from tasks.parsing import ProblemCell
from tasks.safety import MAX_FILE_BYTES, NotAZip, UnsafeWorkbook, scan_xlsx

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


def file_sha256(path: Path) -> str:
    """sha256 of a file, or of a CSV folder's sheets (names and bytes, in name order)."""
    digest = hashlib.sha256()
    if path.is_dir():
        for part in sorted(p for p in path.iterdir() if p.is_file()):
            digest.update(part.name.encode("utf-8") + b"\0")
            digest.update(part.read_bytes())
            digest.update(b"\0")
    else:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def size_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size


def read_submission(path: Path) -> Workbook:
    """Every sheet of an xlsx file or CSV folder, cell values as the reader gives them."""
    if path.is_dir():
        return _read_csv_folder(path)
    return _read_xlsx(path)


def _read_xlsx(path: Path) -> Workbook:
    if path.stat().st_size == 0:
        raise ReadError("tệp rỗng (0 byte); hãy gửi lại tệp Excel đã điền")
    try:
        scan = scan_xlsx(path)
    except UnsafeWorkbook as exc:
        raise ReadError(str(exc)) from None
    except NotAZip as exc:
        with path.open("rb") as fh:
            if fh.read(8) == _OLE_MAGIC:
                # Excel stores an encrypted xlsx, and every old .xls, in this container instead of a zip.
                raise ReadError("tệp Excel có đặt mật khẩu, hoặc là tệp Excel 97-2003 (.xls) đổi tên thành .xlsx; "
                                "hãy bỏ mật khẩu và lưu lại dạng Excel Workbook (.xlsx) rồi gửi lại") from None
        raise ReadError(_CORRUPT + f" ({exc})") from None
    try:
        wb = calamine.CalamineWorkbook.from_path(str(path))
        book = Workbook()
        for meta in wb.sheets_metadata:
            rows = wb.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            book.sheets[meta.name] = Sheet(
                name=meta.name,
                rows=[list(r) for r in rows],
                hidden=meta.visible != calamine.SheetVisibleEnum.Visible,
            )
    except calamine.PasswordError:
        raise ReadError("tệp Excel có đặt mật khẩu; hãy bỏ mật khẩu rồi gửi lại") from None
    except (calamine.CalamineError, calamine.ZipError, calamine.XmlError, ValueError, OSError) as exc:
        raise ReadError(_CORRUPT + f" ({type(exc).__name__})") from None
    if scan.members_with_formulas:
        _mark_formula_cells(path, book, set(scan.members_with_formulas))
    return book


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CORRUPT = ("không mở được tệp Excel (.xlsx): tệp bị hỏng, bị cắt ngắn hoặc không phải tệp Excel; "
            "hãy mở lại bằng Excel, lưu dạng .xlsx và gửi lại")


def _mark_formula_cells(path: Path, book: Workbook, members: set[str]) -> None:
    """Put a ProblemCell where calamine saw '' but the sheet holds an error or an uncalculated formula."""
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception:  # calamine read it; a second opinion failing must not lose the file
        return
    try:
        _mark_sheets(wb, book, members)
    except Exception:  # damaged beyond what calamine noticed: keep calamine's reading of the cells
        pass
    finally:
        wb.close()


def _mark_sheets(wb, book: Workbook, members: set[str]) -> None:
    for ws in wb.worksheets:
        sheet = book.sheets.get(ws.title)
        if sheet is None or getattr(ws, "_worksheet_path", None) not in members:
            continue
        for row in ws.iter_rows():
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
        if part.is_symlink() or not part.is_file() or part.suffix.lower() != ".csv":
            book.ignored.append(part.name)
            continue
        if part.stat().st_size > MAX_FILE_BYTES:
            raise ReadError(f"tệp {part.name} quá lớn ({part.stat().st_size / 1024 / 1024:.1f} MB; "
                            f"tối đa {MAX_FILE_BYTES // 1024 // 1024} MB)")
        raw = part.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"tệp {part.name} không phải mã UTF-8 (có thể là Windows-1258 hoặc TCVN3), "
                f"lỗi ở byte thứ {exc.start + 1}; hãy lưu lại bằng “CSV UTF-8” rồi gửi lại"
            ) from None
        try:
            # strict: an unclosed quote must be an error, not a field that silently swallows the rest.
            rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as exc:
            raise ReadError(f"tệp {part.name} không đúng định dạng CSV ({exc})") from None
        if part.stem in book.sheets:
            raise ReadError(f"thư mục có hai tệp cho cùng sheet “{part.stem}”; hãy giữ lại một tệp")
        book.sheets[part.stem] = Sheet(name=part.stem, rows=rows)
    if not book.sheets:
        raise ReadError("thư mục không có tệp .csv nào; mỗi sheet phải là một tệp <tên sheet>.csv")
    return book


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while number:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def find_header(sheet: Sheet, columns: tuple[str, ...]) -> int | None:
    """Index of the header row (the first row naming the sheet's first column), or None."""
    first = columns[0]
    for index, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        if any(isinstance(v, str) and v.strip().lower() == first for v in row):
            return index
    return None
