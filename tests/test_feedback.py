"""Feedback workbooks: the indicator's Vietnamese name, the place as the clerk's file names it, near-miss hints."""

from __future__ import annotations

import openpyxl
import pytest

from test_validation import CONFIG, YEAR, clean_sheets, row_of
from tasks.db import load_reference, materialize, open_db, query
from tasks.feedback import FINDINGS_SHEET, SUMMARY_SHEET, finding_row, load_unit_files, write_feedback
from tests.factories import write_csv_folder, write_xlsx


def _renamed(sheets: dict, old: str, new: str) -> dict:
    return {new if name == old else name: rows for name, rows in sheets.items()}


def _with_value(unit: str, code: str, value) -> dict:
    sheets = clean_sheets(unit, YEAR)
    sheets["chi_tieu"][row_of(sheets, "chi_tieu", code) - 1][1] = value
    return sheets


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """Ingested: sheet 'Khen thuong' in an xlsx and a CSV unit, a word for a number in an xlsx and a CSV unit,
    column 'Giá trị' for gia_tri."""
    root = tmp_path_factory.mktemp("feedback")
    year_dir, db = root / "submissions" / str(YEAR), root / "thidua.duckdb"
    write_xlsx(year_dir / "TTT.xlsx", _renamed(clean_sheets("TTT", YEAR), "khen_thuong", "Khen thuong"))
    write_csv_folder(year_dir / "TP1", _renamed(clean_sheets("TP1", YEAR), "khen_thuong", "Khen thuong"))
    write_xlsx(year_dir / "TP2.xlsx", _with_value("TP2", "lao_dong_viec_lam", "hai trăm"))
    write_csv_folder(year_dir / "LT", _with_value("LT", "lao_dong_viec_lam", "hai trăm"))
    renamed_column = clean_sheets("LKA", YEAR)
    renamed_column["chi_tieu"][0][1] = "Giá trị"
    write_xlsx(year_dir / "LKA.xlsx", renamed_column)
    from tasks.ingest import ingest_year

    ingest_year(CONFIG, root / "submissions", YEAR, db)
    with open_db(db) as con:
        load_reference(con, CONFIG)
        materialize(con, "validation/submission_status")
        found = query(con, "validation/int_finding_current", {"nam": YEAR})
        files = load_unit_files(con, YEAR)
    by_unit: dict[str, list[dict]] = {}
    for f in found:
        by_unit.setdefault(f["unit_code"], []).append(f)
    return by_unit, files, root


def _rows(district, unit: str) -> list[list]:
    by_unit, files, root = district
    return [finding_row(f, config=CONFIG, file=files.get(unit), template=root / f"mau_{unit}.xlsx")
            for f in by_unit[unit]]


@pytest.mark.parametrize("unit, place", [
    ("TP2", "TP2.xlsx, sheet chi_tieu, ô B{row} (cột Giá trị)"),
    ("LT", "LT/chi_tieu.csv, dòng {row}, cột gia_tri"),
])
def test_feedback_row_names_the_indicator_in_vietnamese_and_the_clerks_own_file(district, unit, place):
    row = row_of(clean_sheets(unit, YEAR), "chi_tieu", "lao_dong_viec_lam")

    [found] = _rows(district, unit)

    severity, indicator, where, observed, message, fix = found
    assert (severity, indicator, where, observed) == (
        "Nghiêm trọng", "Số lao động được giải quyết việc làm", place.format(row=row), "hai trăm")
    assert not message.startswith("Tệp ") and fix


@pytest.mark.parametrize("unit, hint", [
    ("TTT", "Đổi tên sheet “Khen thuong” thành “khen_thuong”."),
    ("TP1", "Đổi tên tệp “Khen thuong.csv” thành “khen_thuong.csv”."),
])
def test_near_miss_sheet_name_yields_the_rename_hint_and_the_attached_template(district, unit, hint):
    [missing] = [r for r in _rows(district, unit) if r[4].startswith("Thiếu sheet")]

    assert missing[2] == (f"{unit}.xlsx" if unit == "TTT" else f"thư mục {unit}/")
    assert missing[5].startswith(hint)
    assert f"mau_{unit}.xlsx" in missing[5] and "thidua" not in missing[5]


def test_near_miss_column_name_yields_the_rename_hint(district):
    [missing] = _rows(district, "LKA")

    assert missing[5].startswith("Đổi tên cột “Giá trị” (ô B1) thành “gia_tri”.")


def test_feedback_workbook_opens_on_a_plain_summary_and_colours_severity(district, tmp_path):
    by_unit, files, _ = district
    unit = {"ma_don_vi": "TP2", "ten_don_vi": "Xã Thường Phước 2", "trang_thai": "rejected",
            "trang_thai_vi": "Bị trả lại", "so_nghiem_trong": 1, "so_canh_bao": 0, "source_path": f"{YEAR}/TP2.xlsx",
            "version": 1, "findings": by_unit["TP2"]}

    path = write_feedback(tmp_path / "phan_hoi_TP2.xlsx", unit=unit, year=YEAR, config=CONFIG, file=files["TP2"],
                          template=tmp_path / "mau_TP2.xlsx")

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SUMMARY_SHEET, FINDINGS_SHEET]
    summary = {r[0].value: r[1].value for r in wb[SUMMARY_SHEET].iter_rows(min_row=3) if r[0].value}
    assert summary["Trạng thái"] == "Bị trả lại"
    assert summary["Số vấn đề"] == "1 lỗi nghiêm trọng (phải sửa), 0 cảnh báo (cần xem lại)"
    assert summary["Hạn nộp"].startswith(CONFIG.settings.nop_bao_cao.deadline(YEAR))
    assert summary["Kèm theo"].startswith("mau_TP2.xlsx")
    ws = wb[FINDINGS_SHEET]
    assert ws["B3"].fill.fgColor.rgb == "00C00000" and ws["B3"].border.left.style == "thin"
    assert ws.row_dimensions[3].height >= 2 * 15  # the wrapped message shows on several lines
    assert (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.print_title_rows) == ("landscape", 1, "$1:$2")


def test_feedback_workbook_survives_control_characters_in_a_value(district, tmp_path):
    by_unit, files, _ = district
    finding = {**by_unit["TP2"][0], "observed_value": "2\x0b780\x00\x1f", "message_vi": "sai\x0bsố"}
    unit = {"ma_don_vi": "TP2\x01", "ten_don_vi": "Xã\x0b", "trang_thai": "rejected", "trang_thai_vi": "Bị trả lại",
            "so_nghiem_trong": 1, "so_canh_bao": 0, "findings": [finding]}

    path = write_feedback(tmp_path / "phan_hoi.xlsx", unit=unit, year=YEAR, config=CONFIG, file=files["TP2"])

    ws = openpyxl.load_workbook(path)[FINDINGS_SHEET]
    assert (ws["E3"].value, ws["F3"].value) == ("2␋780␀␟", "Sai␋số")
