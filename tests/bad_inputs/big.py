"""Big and hostile workbooks, generated into a temporary folder (never committed)."""

from __future__ import annotations

import os
import shutil
import zipfile
import zlib
from pathlib import Path


from tests.factories import submission, write_xlsx

_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"


def _raw_deflate(data: bytes, *, final: bool) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def zip_bomb(path: Path, unit: str, year: int, *, gigabytes: float = 3.0) -> Path:
    """A real workbook whose chi_tieu sheet XML inflates to several GB from a file of a few MB.

    Deflate blocks ending in a full flush are independent, so one compressed megabyte is repeated
    instead of compressing gigabytes at build time.
    """
    small = write_xlsx(path.with_suffix(".seed.xlsx"), submission(unit, year, {"so_ho": 100}))
    chunk = b'<row><c t="inlineStr"><is><t>so_ho</t></is></c></row>' * 20000
    repeats = int(gigabytes * 1e9 // len(chunk))
    head, body, tail = _raw_deflate(_SHEET_HEAD, final=False), _raw_deflate(chunk, final=False), \
        _raw_deflate(_SHEET_TAIL, final=True)
    crc = zlib.crc32(_SHEET_HEAD)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(_SHEET_TAIL, crc)
    size = len(_SHEET_HEAD) + repeats * len(chunk) + len(_SHEET_TAIL)
    compressed = len(head) + repeats * len(body) + len(tail)
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        target = next(i.filename for i in src.infolist() if i.filename.startswith("xl/worksheets/sheet2"))
        for info in src.infolist():
            if info.filename != target:
                dst.writestr(info, src.read(info))
        info = zipfile.ZipInfo(target, date_time=(2020, 12, 15, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size, info.compress_size, info.CRC = size, compressed, crc
        info.header_offset = dst.fp.tell()
        dst.fp.write(info.FileHeader(zip64=False))
        dst.fp.write(head)
        for _ in range(repeats):
            dst.fp.write(body)
        dst.fp.write(tail)
        dst.start_dir = dst.fp.tell()
        dst.filelist.append(info)
        dst.NameToInfo[target] = info
    small.unlink()
    return path


def padded_workbook(path: Path, unit: str, year: int, *, megabytes: int = 50) -> Path:
    """A valid submission carrying a big incompressible picture, as when a clerk pastes a photo."""
    small = write_xlsx(path.with_suffix(".seed.xlsx"), submission(unit, year, {"so_ho": 100}))
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr(zipfile.ZipInfo("xl/media/image1.png"), os.urandom(megabytes * 1024 * 1024),
                     compress_type=zipfile.ZIP_STORED)
    small.unlink()
    return path


def many_awards(path: Path, unit: str, year: int, *, rows: int = 100_000) -> Path:
    """A submission with `rows` award rows; the sheet XML is written directly (openpyxl takes ~15 s)."""
    small = write_xlsx(path.with_suffix(".seed.xlsx"), submission(unit, year, {"so_ho": 100}))
    header = ("hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh")

    def row(number: int, values) -> str:
        cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
                        for i, v in enumerate(values))
        return f'<row r="{number}">{cells}</row>'

    body = [row(1, header)] + [
        row(n + 2, ("Giấy khen", "Cá nhân", f"Người số {n}", f"{n}/QĐ-UBND", f"15/12/{year}")) for n in range(rows)
    ]
    xml = _SHEET_HEAD + "".join(body).encode("utf-8") + _SHEET_TAIL
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            # The factory writes sheets in contract order: khen_thuong is the third.
            dst.writestr(info, xml if info.filename == "xl/worksheets/sheet3.xml" else src.read(info),
                         compress_type=zipfile.ZIP_DEFLATED)
    small.unlink()
    return path


def copy_into(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target
