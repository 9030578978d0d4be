"""Small bad submissions for one unit (TTT): each builder writes into a year folder.

Builders read UNIT when they run, not when they are made, so the whole-cycle test can give each
case its own unit code (`with unit_code("C001"): build(year_dir)`) and run them all as one year.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from contextlib import contextmanager
from pathlib import Path

import openpyxl

from tests.factories import submission, write_csv_folder, write_xlsx

UNIT, YEAR = "TTT", 2020


@contextmanager
def unit_code(code: str):
    """Builders run inside write their files for unit `code` instead of TTT."""
    global UNIT
    saved, UNIT = UNIT, code
    try:
        yield
    finally:
        UNIT = saved
AWARD_HEADER = ["hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh", "ghi_chu"]


def base(**indicators) -> dict[str, list[list]]:
    return submission(UNIT, YEAR, indicators or {"so_ho": 100},
                      awards=[("Giấy khen", "Cá nhân", "Trần Thị B", "12/QĐ-UBND", "15/12/2020")])


def xlsx(sheets: dict | None = None, name: str | None = None, **changes):
    """A workbook from base() with whole sheets replaced (None drops one)."""
    def build(year_dir: Path) -> None:
        book = dict(sheets or base())
        for key, value in changes.items():
            if value is None:
                book.pop(key)
            else:
                book[key] = value
        write_xlsx(year_dir / (name or f"{UNIT}.xlsx"), book)
    return build


def chi_tieu_value(value, name: str | None = None):
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


def edited(mutate, name: str | None = None):
    """A workbook from base() changed through openpyxl (merges, hidden sheets, errors)."""
    def build(year_dir: Path) -> None:
        path = write_xlsx(year_dir / (name or f"{UNIT}.xlsx"), base())
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


def raw_bytes(data: bytes, suffix: str):
    def build(year_dir: Path) -> None:
        (year_dir / f"{UNIT}{suffix}").write_bytes(data)
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


# ---------------------------------------------------------------------------------------------
# Issue 14: classes the first corpus missed


def chi_tieu_rows(*rows, name: str | None = None):
    """A workbook whose chi_tieu sheet holds these (ma_chi_tieu, gia_tri) rows."""
    return xlsx(name=name, chi_tieu=[["ma_chi_tieu", "gia_tri", "ghi_chu"]] + [[c, v, None] for c, v in rows])


def csv_chi_tieu(*rows):
    """A CSV folder whose chi_tieu.csv holds these (ma_chi_tieu, gia_tri) rows, written as text."""
    return csv_folder(chi_tieu=[["ma_chi_tieu", "gia_tri", "ghi_chu"]] + [[c, v, None] for c, v in rows])


def narrative(text: str, muc: str = "II.2"):
    def build(year_dir: Path) -> None:
        book = base()
        book["noi_dung"] = [["muc", "noi_dung"], [muc, text]]
        write_xlsx(year_dir / f"{UNIT}.xlsx", book)
    return build


def award_row(**values):
    """base() with its one award row changed (ten=..., ghi_chu=..., hinh_thuc=...)."""
    def build(year_dir: Path) -> None:
        book = base()
        row = dict(zip(AWARD_HEADER, ["Giấy khen", "Cá nhân", "Trần Thị B", "12/QĐ-UBND", "15/12/2020", None]))
        row.update(values)
        book["khen_thuong"] = [AWARD_HEADER, [row[c] for c in AWARD_HEADER]]
        write_xlsx(year_dir / f"{UNIT}.xlsx", book)
    return build


def info_rows(*extra):
    """base() with extra thong_tin rows appended (a second `nam`, ...)."""
    def build(year_dir: Path) -> None:
        book = base()
        book["thong_tin"] = book["thong_tin"] + [list(r) for r in extra]
        write_xlsx(year_dir / f"{UNIT}.xlsx", book)
    return build


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _save_parts(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def xml_edit(edit, base_build=None):
    """A workbook whose chi_tieu sheet XML (xl/worksheets/sheet2.xml) is passed through edit(bytes)."""
    def build(year_dir: Path) -> None:
        (base_build or xlsx())(year_dir)
        path = year_dir / f"{UNIT}.xlsx"
        parts = _parts(path)
        parts["xl/worksheets/sheet2.xml"] = edit(parts["xl/worksheets/sheet2.xml"])
        _save_parts(path, parts)
    return build


def value_xml(xml: bytes):
    """chi_tieu B2 (so_ho) replaced by this literal <c> element."""
    return xml_edit(lambda s: re.sub(rb'<c r="B2"[^>]*>.*?</c>', xml, s, count=1))


def extra_cell_xml(xml: bytes):
    """A literal row appended at the end of chi_tieu's sheetData."""
    return xml_edit(lambda s: s.replace(b"</sheetData>", xml + b"</sheetData>"))


def dimension(ref: str):
    return xml_edit(lambda s: re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), s))


def far_cell(ref: str, value="x"):
    return edited(lambda wb: wb["chi_tieu"].__setitem__(ref, value))


def formatted(value, number_format: str, code: str = "so_ho"):
    """chi_tieu B2 holding `value` shown with `number_format`, for indicator `code`."""
    def mutate(wb):
        ws = wb["chi_tieu"]
        ws["A2"], ws["B2"] = code, value
        ws["B2"].number_format = number_format
    return edited(mutate)


def sheet_moved(target: str, absolute: bool = False, then=None):
    """chi_tieu's XML moved to `target` (outside xl/worksheets/), the relationship pointing at it."""
    def build(year_dir: Path) -> None:
        (then or xlsx())(year_dir)
        path = year_dir / f"{UNIT}.xlsx"
        parts = _parts(path)
        parts[target] = parts.pop("xl/worksheets/sheet2.xml")
        rel_target = "/" + target if absolute else os.path.relpath(target, "xl")
        rels = parts["xl/_rels/workbook.xml.rels"].replace(b"/xl/worksheets/sheet2.xml", rel_target.encode())
        parts["xl/_rels/workbook.xml.rels"] = rels
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"/xl/worksheets/sheet2.xml", ("/" + target).encode())
        assert rel_target.encode() in rels
        _save_parts(path, parts)
    return build


def lower_case_name(year_dir: Path) -> None:
    write_xlsx(year_dir / f"{UNIT.lower()}.xlsx", base())


def fifo(year_dir: Path) -> None:
    os.mkfifo(year_dir / f"{UNIT}.xlsx")


def hard_link_to_outside(year_dir: Path) -> None:
    secret = year_dir.parent.parent / f"he_thong_{UNIT}.xlsx"
    write_xlsx(secret, base())
    os.link(secret, year_dir / f"{UNIT}.xlsx")


def symlink_to_folder(year_dir: Path) -> None:
    target = write_csv_folder(year_dir.parent.parent / f"ngoai_{UNIT}", base())
    (year_dir / UNIT).symlink_to(target, target_is_directory=True)


def csv_with_fifo(year_dir: Path) -> None:
    folder = write_csv_folder(year_dir / UNIT, base())
    os.mkfifo(folder / "ghi_chu.csv")


def csv_part_symlink(year_dir: Path) -> None:
    folder = write_csv_folder(year_dir / UNIT, base())
    secret = year_dir.parent.parent / f"mat_{UNIT}.csv"
    secret.write_text("muc,noi_dung\nI,bí mật\n", encoding="utf-8")
    (folder / "noi_dung.csv").unlink()
    (folder / "noi_dung.csv").symlink_to(secret)


def year_path_is_a_file(submissions: Path, year: int) -> None:
    submissions.mkdir(parents=True, exist_ok=True)
    (submissions / str(year)).write_text("không phải thư mục", encoding="utf-8")
