"""Blank templates: one per expected unit, dropdowns, and read back unchanged by ingest."""

from __future__ import annotations

import duckdb
import openpyxl

from tasks.config import load_config
from tasks.ingest import ingest_year
from tasks.workbook_templates import write_templates


def test_one_template_per_expected_unit_with_dropdowns(tmp_path):
    config = load_config()

    paths = write_templates(config, 2021, tmp_path)

    assert sorted(p.stem for p in paths) == sorted(u.code for u in config.expected_units(2021))
    wb = openpyxl.load_workbook(tmp_path / "TTT.xlsx")
    assert [ws.title for ws in wb.worksheets] == ["thong_tin", "chi_tieu", "khen_thuong", "noi_dung", "danh_muc"]
    assert [c.value for c in wb["chi_tieu"][2]][:3] == ["ma_chi_tieu", "gia_tri", "ghi_chu"]
    assert wb["chi_tieu"]["A3"].value == "so_ho"
    formulas = sorted(dv.formula1 for dv in wb["khen_thuong"].data_validations.dataValidation)
    assert formulas == ["=danh_muc!$A$1:$A$4", "=danh_muc!$B$1:$B$2"]
    assert [wb["danh_muc"][f"A{i}"].value for i in range(1, 5)] == [
        "Giấy khen", "Lao động tiên tiến", "Chiến sĩ tiên tiến", "Chiến sĩ thi đua cơ sở"]
    assert wb["danh_muc"]["C1"].value == "so_ho"
    assert [wb["thong_tin"][f"B{r}"].value for r in (3, 5)] == ["TTT", 2021]


def test_filled_template_is_read_back_unchanged(tmp_path):
    config = load_config()
    subs = tmp_path / "subs"
    write_templates(config, 2021, subs / "2021")
    path = subs / "2021" / "TCKH.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb["chi_tieu"]
    for row, value in zip(range(3, 6), (6.54, "99.605", "42,5")):
        ws[f"B{row}"] = value
    wb["khen_thuong"].append(["Giấy khen", "Tập thể", "Tổ Kế hoạch", "12/QĐ-UBND", "15/12/2021"])
    wb["thong_tin"]["B6"] = "Lê Văn C"
    wb.save(path)

    ingest_year(config, subs, 2021, tmp_path / "t.duckdb")

    with duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True) as con:
        assert con.execute("select trang_thai from submission_status where ma_don_vi = 'TCKH'").fetchone() == ("accepted",)
        assert con.execute("select indicator_code, gia_tri, row_number from stg_indicator_value "
                           "where unit_code = 'TCKH' order by row_number").fetchall() == [
            ("tang_truong_kinh_te", 6.54, 3), ("thu_ngan_sach", 99605.0, 4), ("thu_nhap_binh_quan", 42.5, 5)]
        assert con.execute("select hinh_thuc, doi_tuong, ten from stg_award").fetchall() == [
            ("giay_khen", "tap_the", "Tổ Kế hoạch")]
        assert con.execute("select nguoi_lap, ten_don_vi from stg_submission where unit_code = 'TCKH'").fetchone() == (
            "Lê Văn C", "Phòng Tài chính - Kế hoạch")
        assert con.execute("select count(*) from finding where unit_code = 'TCKH'").fetchone() == (0,)
