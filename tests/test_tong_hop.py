"""tong_hop_<year>.xlsx: Vietnamese headers, catalogue number formats, A4 print setup, any text survives."""

from __future__ import annotations

import openpyxl

from tasks.config import load_config
from tasks.tong_hop import write_tong_hop

CONFIG = load_config()


def _indicator(code: str, gia_tri, tu_so=None, mau_so=None, ghi_chu=None, **extra) -> dict:
    i = CONFIG.indicator(code)
    return {"indicator_code": code, "ten_chi_tieu": i.name, "don_vi_tinh": i.unit, "gia_tri": gia_tri, "tu_so": tu_so,
            "mau_so": mau_so, "so_don_vi_bao_cao": 10, "so_don_vi_du_kien": 10, "ghi_chu": ghi_chu,
            "decimals": i.decimals, **extra}


def test_tong_hop_prints_landscape_with_full_title_vietnamese_headers_and_catalogue_formats(tmp_path):
    district = [_indicator("lao_dong_viec_lam", 2780.0),
                _indicator("ty_le_ho_ngheo", 4.970297, 1355.0, 27263.0, ghi_chu="Chưa nộp:\x0b TP1\x00")]
    awards = [{"hinh_thuc": "giay_khen", "doi_tuong": "tap_the", "ten_hinh_thuc": "Giấy khen",
               "ten_doi_tuong": "Tập thể", "nam": 2020, "so_luong": 132}]

    path = write_tong_hop(tmp_path / "tong_hop_2020.xlsx", config=CONFIG, year=2020, first_year=2020,
                          district=district, awards=awards, period=[])

    wb = openpyxl.load_workbook(path)
    ws = wb["Chi tieu 2020"]
    assert ws["A1"].value == f"Chỉ tiêu tổng hợp năm 2020 — {CONFIG.district.name}"
    assert "A1:I1" in {str(r) for r in ws.merged_cells.ranges}  # the title spans the table: never cut
    assert [c.value for c in ws[2]][:5] == ["Chỉ tiêu", "Đơn vị tính", "Giá trị", "Tử số", "Mẫu số"]
    assert [c.value for c in ws[4]][:5] == ["Tỷ lệ hộ nghèo", "%", 4.970297, 1355.0, 27263.0]
    assert (ws["C3"].number_format, ws["C4"].number_format, ws["D4"].number_format) == ("#,##0", "#,##0.00", "#,##0")
    assert ws["H4"].value == "Chưa nộp:␋ TP1␀"
    assert (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == ("landscape", 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$2"
    assert [c.value for c in wb["Khen thuong"][3]] == ["Giấy khen", "Tập thể", 132]
