"""Small bad submissions for unit TTT: each builder writes into a year folder."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl

from tests.factories import submission, write_csv_folder, write_xlsx

UNIT, YEAR = "TTT", 2020
AWARD_HEADER = ["hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh", "ghi_chu"]


def base(**indicators) -> dict[str, list[list]]:
    return submission(UNIT, YEAR, indicators or {"so_ho": 100},
                      awards=[("Giấy khen", "Cá nhân", "Trần Thị B", "12/QĐ-UBND", "15/12/2020")])


def xlsx(sheets: dict | None = None, name: str = f"{UNIT}.xlsx", **changes):
    """A workbook from base() with whole sheets replaced (None drops one)."""
    def build(year_dir: Path) -> None:
        book = dict(sheets or base())
        for key, value in changes.items():
            if value is None:
                book.pop(key)
            else:
                book[key] = value
        write_xlsx(year_dir / name, book)
    return build


def chi_tieu_value(value, name: str = f"{UNIT}.xlsx"):
    return xlsx(name=name, chi_tieu=[["ma_chi_tieu", "gia_tri", "ghi_chu"], ["so_ho", value, None]])


def award_date(value):
    return xlsx(khen_thuong=[AWARD_HEADER, ["Giấy khen", "Cá nhân", "A", "1/QĐ", value, None]])


def award_labels(hinh_thuc, doi_tuong):
    return xlsx(khen_thuong=[AWARD_HEADER, [hinh_thuc, doi_tuong, "A", "1/QĐ", "15/12/2020", None]])


def info(field, value):
    def build(year_dir: Path) -> None:
        book = base()
        book["thong_tin"] = [r if r[0] != field else [field, value] for r in book["thong_tin"]]
        write_xlsx(year_dir / f"{UNIT}.xlsx", book)
    return build


def edited(mutate, name: str = f"{UNIT}.xlsx"):
    """A workbook from base() changed through openpyxl (merges, hidden sheets, errors)."""
    def build(year_dir: Path) -> None:
        path = write_xlsx(year_dir / name, base())
        wb = openpyxl.load_workbook(path)
        mutate(wb)
        wb.save(path)
    return build


def _merge(wb):
    ws = wb["chi_tieu"]
    ws.append(["dan_so", None, None])
    ws.merge_cells("B2:B3")


def _hide(wb):
    wb["chi_tieu"].sheet_state = "hidden"


def _rename(title):
    def mutate(wb):
        wb["chi_tieu"].title = title
    return mutate


def _add_sheet(title, rows):
    def mutate(wb):
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    return mutate


def _error(cell, code, sheet="chi_tieu"):
    def mutate(wb):
        wb[sheet][cell].value = code
        wb[sheet][cell].data_type = "e"
    return mutate


def _formula(cell, formula, sheet="chi_tieu"):
    def mutate(wb):
        wb[sheet][cell] = formula
    return mutate


def formula_with_cached_value(year_dir: Path) -> None:
    """As Excel saves it: the formula and its last result (openpyxl writes only the formula)."""
    path = year_dir / f"{UNIT}.xlsx"
    edited(_formula("B2", "=SUM(40,60)"))(year_dir)
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    sheet = next(n for n, b in parts.items() if n.startswith("xl/worksheets/") and b"SUM(40,60)" in b)
    parts[sheet] = parts[sheet].replace(b"<f>SUM(40,60)</f><v></v>", b"<f>SUM(40,60)</f><v>100</v>")
    assert b"<v>100</v>" in parts[sheet]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def raw_bytes(data: bytes, name: str):
    def build(year_dir: Path) -> None:
        (year_dir / name).write_bytes(data)
    return build


def truncated(year_dir: Path) -> None:
    path = write_xlsx(year_dir / f"{UNIT}.xlsx", base())
    path.write_bytes(path.read_bytes()[:700])


def corrupted_deflate(year_dir: Path) -> None:
    """A workbook whose chi_tieu sheet has damaged compressed bytes (zlib, not zipfile, notices)."""
    path = write_xlsx(year_dir / f"{UNIT}.xlsx", base())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet2.xml")
    blob = bytearray(path.read_bytes())
    name_len, extra_len = int.from_bytes(blob[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(blob[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    blob[start:start + 12] = b"\xff" * 12
    path.write_bytes(bytes(blob))


def renamed_xlsx(suffix: str):
    """A real workbook saved under another extension (.xlsm, .ods, ...)."""
    def build(year_dir: Path) -> None:
        path = write_xlsx(year_dir / f"{UNIT}.xlsx", base())
        path.rename(path.with_suffix(suffix))
    return build


# ---------------------------------------------------------------------------------------------
# CSV folders


def csv_folder(encoding: str = "utf-8", **changes):
    def build(year_dir: Path) -> None:
        book = base()
        book.update({k: v for k, v in changes.items() if v is not None})
        for k in [k for k, v in changes.items() if v is None]:
            book.pop(k)
        write_csv_folder(year_dir / UNIT, book, encoding=encoding)
    return build


def csv_text(sheet: str, text: str, *, encoding: str = "utf-8", newline: str = "\n"):
    """A valid CSV folder whose one sheet is replaced by literal text."""
    def build(year_dir: Path) -> None:
        folder = write_csv_folder(year_dir / UNIT, base())
        (folder / f"{sheet}.csv").write_bytes(text.replace("\n", newline).encode(encoding))
    return build


def csv_extra_file(year_dir: Path) -> None:
    folder = write_csv_folder(year_dir / UNIT, base())
    (folder / "ghi_chu.txt").write_text("gửi kèm", encoding="utf-8")


def csv_empty_folder(year_dir: Path) -> None:
    (year_dir / UNIT).mkdir()
    (year_dir / UNIT / "doc_truoc.txt").write_text("chưa có số liệu", encoding="utf-8")


def both_forms(year_dir: Path) -> None:
    write_xlsx(year_dir / f"{UNIT}.xlsx", base())
    write_csv_folder(year_dir / UNIT, base(so_ho=120))


def symlink_to_outside(year_dir: Path) -> None:
    secret = year_dir.parent.parent / "bi_mat.xlsx"
    write_xlsx(secret, base())
    (year_dir / f"{UNIT}.xlsx").symlink_to(secret)


def excel_lock_file(year_dir: Path) -> None:
    write_xlsx(year_dir / f"{UNIT}.xlsx", base())
    (year_dir / f"~${UNIT}.xlsx").write_bytes(b"\x0bNguyen Van A")


def dot_file_beside(year_dir: Path) -> None:
    write_xlsx(year_dir / f"{UNIT}.xlsx", base())
    write_xlsx(year_dir / f".{UNIT}.xlsx", base())


def os_litter(year_dir: Path) -> None:
    write_xlsx(year_dir / f"{UNIT}.xlsx", base())
    for name in (".DS_Store", "Thumbs.db", f".~lock.{UNIT}.xlsx#", f"._{UNIT}.xlsx"):
        (year_dir / name).write_bytes(b"\0")


def header_in_row(n: int, labels: bool):
    def build(year_dir: Path) -> None:
        book = base()
        filler = [["Bảng số liệu chỉ tiêu", None] if labels else [None, None] for _ in range(n - 1)]
        book["chi_tieu"] = filler + book["chi_tieu"]
        write_xlsx(year_dir / f"{UNIT}.xlsx", book)
    return build


DATE_CELL = dt.datetime(2020, 12, 15)
