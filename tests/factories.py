"""Tiny builders for submission files in the contract format, for tests."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import openpyxl


def submission(unit: str, year: int, indicators: dict[str, object] | None = None,
               awards: list[tuple] | None = None, narrative: list[tuple] | None = None) -> dict[str, list[list]]:
    """Sheets of one unit's submission: {sheet: rows}, header first."""
    return {
        "thong_tin": [["truong", "gia_tri"], ["ma_don_vi", unit], ["ten_don_vi", f"Đơn vị {unit}"],
                      ["nam", year], ["nguoi_lap", "Nguyễn Văn A"], ["ngay_lap", f"15/12/{year}"]],
        "chi_tieu": [["ma_chi_tieu", "gia_tri", "ghi_chu"]] + [[k, v, None] for k, v in (indicators or {}).items()],
        "khen_thuong": [["hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh", "ghi_chu"]]
        + [list(a) + [None] * (6 - len(a)) for a in (awards or [])],
        "noi_dung": [["muc", "noi_dung"]] + [list(n) for n in (narrative or [])],
    }


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def write_csv_folder(folder: Path, sheets: dict[str, list[list]], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    legacy = encoding.lower() in ("cp1258", "windows-1258")
    for name, rows in sheets.items():
        if legacy:
            rows = [[_cp1258_form(v) if isinstance(v, str) else v for v in row] for row in rows]
        with (folder / f"{name}.csv").open("w", encoding=encoding, newline="") as fh:
            csv.writer(fh).writerows([["" if v is None else v for v in row] for row in rows])
    return folder


def _cp1258_form(text: str) -> str:
    """Windows-1258 has letters like ơ and â but tone marks only as separate combining characters."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            char.encode("cp1258")
            out.append(char)
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            # Re-attach the letter-forming mark (circumflex, breve, horn); tones stay combining.
            for mark in [m for m in marks if m in "\u0302\u0306\u031b"]:
                base = unicodedata.normalize("NFC", base + mark)
                marks.remove(mark)
            out.append(base + "".join(marks))
    return "".join(out)
