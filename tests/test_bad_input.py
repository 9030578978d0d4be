"""Bad input: every odd file a unit may send is parsed right or refused with its place, never lost."""

from __future__ import annotations

import shutil
import unicodedata
import zipfile

import duckdb
import pytest
import yaml
from pathlib import Path

from tasks.config import load_config
from tasks.ingest import _JUNK, ingest_year
from tests.bad_inputs import big, corpus
from tests.bad_inputs.corpus import (
    AWARD_HEADER, DATE_CELL, UNIT, YEAR, _add_sheet, _error, _formula, _hide, _merge, _rename, award_date,
    award_labels, award_row, base, both_forms, chi_tieu_rows, chi_tieu_value, corrupted_deflate, csv_chi_tieu,
    csv_empty_folder, csv_extra_file, csv_folder, csv_part_symlink, csv_text, csv_with_fifo, dimension,
    dot_file_beside, edited, excel_lock_file, extra_cell_xml, far_cell, fifo, formatted, formula_with_cached_value,
    hard_link_to_outside, header_in_row, info, info_rows, lower_case_name, narrative, unit_code, os_litter, raw_bytes, renamed_xlsx, sheet_moved,
    symlink_to_folder, symlink_to_outside, truncated, value_xml, xlsx,
)
from tests.factories import submission, write_xlsx
from tests.trees import compare_trees


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="session")
def big_files(tmp_path_factory):
    """The three big workbooks, built once per session (about 5 s) and copied into each test."""
    folder = tmp_path_factory.mktemp("big")
    return {
        "bomb": big.zip_bomb(folder / "bomb.xlsx", UNIT, YEAR),
        "fifty_mb": big.padded_workbook(folder / "fifty.xlsx", UNIT, YEAR, megabytes=50),
        "many_rows": big.many_awards(folder / "many.xlsx", UNIT, YEAR, rows=100_000),
    }


def _big(name):
    def build(year_dir, files):
        big.copy_into(files[name], year_dir / f"{corpus.UNIT}.xlsx")
    build.needs_big = True
    return build


def _rows(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


C, W = "critical", "warning"
VALUE = "select indicator_code, gia_tri from stg_indicator_value where unit_code = 'TTT' order by row_number"
AWARD = ("select hinh_thuc, doi_tuong, ngay_quyet_dinh::varchar from stg_award "
         "where unit_code = 'TTT' order by row_number")
CSV_OK = [("so_ho", 100.0)]
TTT_CELLS = ("select count(*) from raw_cell c join raw_file_version f using (file_version_id) "
             "where f.unit_code = 'TTT' and c.sheet_name = 'thong_tin'")
VALUE_TEXT = ("select indicator_code, gia_tri, gia_tri_text from stg_indicator_value where unit_code = 'TTT' "
              "order by row_number")
AWARD_TEXT = "select hinh_thuc, ten, ghi_chu from stg_award where unit_code = 'TTT' order by row_number"
NARRATIVE = "select muc, noi_dung from stg_narrative where unit_code = 'TTT' order by row_number"
TTT_B2 = ("select c.value_text from raw_cell c join raw_file_version f using (file_version_id) "
          "where f.unit_code = 'TTT' and c.sheet_name = 'chi_tieu' and c.cell_ref = 'B2'")

# (case, builder, status of TTT, ingest findings {(check_code, severity, sheet, cell)},
#  (query, rows) that must hold afterwards or None, words the reason/message must contain or None)
CASES = [
    # --- structure -------------------------------------------------------------------------
    ("missing sheet", xlsx(khen_thuong=None), "rejected", {("thieu_sheet", C, "khen_thuong", None)}, None,
     "thiếu sheet “khen_thuong”"),
    ("missing column", xlsx(chi_tieu=[["ma_chi_tieu", "ghi_chu"], ["so_ho", None]]), "rejected",
     {("thieu_cot", C, "chi_tieu", None)}, None, "thiếu cột “gia_tri”"),
    ("duplicate header name", xlsx(chi_tieu=[["ma_chi_tieu", "gia_tri", "gia_tri"], ["so_ho", 1, 2]]), "rejected",
     {("trung_cot", C, "chi_tieu", "C1")}, None, "xuất hiện hai lần"),
    ("header in row 3 under free labels", header_in_row(3, labels=True), "accepted", set(), (VALUE, CSV_OK), None),
    ("header below row 5 is not found", header_in_row(7, labels=False), "rejected",
     {("thieu_cot", C, "chi_tieu", None)}, None, "dòng 1"),
    ("sheet named ' Chi_Tieu '", edited(_rename(" Chi_Tieu ")), "accepted", set(), (VALUE, CSV_OK), None),
    ("two sheets for chi_tieu", edited(_add_sheet("CHI_TIEU ", [["ma_chi_tieu", "gia_tri"], ["so_ho", 5]])),
     "rejected", {("trung_sheet", C, "CHI_TIEU ", None)}, None, "hai sheet"),
    ("extra sheet is kept raw", edited(_add_sheet("bang_phu", [["ghi nhớ", "=1+1"]])), "accepted", set(),
     ("select value_text from raw_cell where sheet_name = 'bang_phu' order by column_number",
      [("ghi nhớ",), ("=1+1",)]), None),
    ("hidden chi_tieu sheet is read with a warning", edited(_hide), "accepted",
     {("sheet_bi_an", W, "chi_tieu", None)}, (VALUE, CSV_OK), "bị ẩn"),
    ("merged value cell belongs to its first row", edited(_merge), "accepted", set(), (VALUE, CSV_OK), None),
    ("columns in another order", xlsx(chi_tieu=[["ghi_chu", "gia_tri", "ma_chi_tieu"], [None, "2.780", "so_ho"]]),
     "accepted", set(), (VALUE, [("so_ho", 2780.0)]), None),
    ("sheet with header only", xlsx(chi_tieu=[["ma_chi_tieu", "gia_tri", "ghi_chu"]]), "accepted", set(),
     (VALUE, []), None),
    ("empty sheet", xlsx(chi_tieu=[]), "rejected", {("thieu_cot", C, "chi_tieu", None)}, None, None),
    # --- formats and damaged files ---------------------------------------------------------
    ("xlsm", renamed_xlsx(".xlsm"), "rejected", {("dinh_dang_khong_ho_tro", C, None, None)}, None, ".xlsm"),
    ("xls", raw_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", ".xls"), "rejected",
     {("dinh_dang_khong_ho_tro", C, None, None)}, None, ".xls"),
    ("encrypted or old Excel saved as .xlsx", raw_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), ".xlsx"),
     "rejected", {("tep_khong_doc_duoc", C, None, None)}, None, "mật khẩu"),
    ("ods", renamed_xlsx(".ods"), "rejected", {("dinh_dang_khong_ho_tro", C, None, None)}, None, ".ods"),
    ("lone csv file", raw_bytes("truong,gia_tri\n".encode(), ".csv"), "rejected",
     {("dinh_dang_khong_ho_tro", C, None, None)}, None, "thư mục"),
    ("unknown extension .bak", raw_bytes(b"PK\x03\x04", ".bak"), "rejected",
     {("dinh_dang_khong_ho_tro", C, None, None)}, None, None),
    ("empty file", raw_bytes(b"", ".xlsx"), "rejected", {("tep_khong_doc_duoc", C, None, None)}, None,
     "0 byte"),
    ("damaged compressed sheet", corrupted_deflate, "rejected", {("tep_khong_doc_duoc", C, None, None)}, None,
     "bị hỏng"),
    ("truncated xlsx", truncated, "rejected", {("tep_khong_doc_duoc", C, None, None)}, None, "bị hỏng"),
    ("text file named .xlsx", raw_bytes("không phải Excel".encode(), ".xlsx"), "rejected",
     {("tep_khong_doc_duoc", C, None, None)}, None, "không mở được"),
    ("symlink to a file outside", symlink_to_outside, "rejected", {("lien_ket_tuong_trung", C, None, None)},
     (TTT_CELLS, [(0,)]), "symlink"),
    ("excel lock file beside the workbook is not a submission", excel_lock_file, "accepted", set(),
     ("select source_path from raw_file_version where unit_code = 'TTT'", [("2020/TTT.xlsx",)]), None),
    ("operating-system litter is not a submission", os_litter, "accepted", set(),
     ("select source_path from raw_file_version order by 1", [("2020/TP1.xlsx",), ("2020/TTT.xlsx",)]), None),
    ("a dot-file is recorded and refused, not skipped", dot_file_beside, "accepted", set(),
     ("select unit_code, status from raw_file_version where source_path = '2020/.TTT.xlsx'",
      [(".TTT", "rejected")]), None),
    # --- CSV folders ------------------------------------------------------------------------
    ("csv with BOM", csv_folder(encoding="utf-8-sig"), "accepted", set(), (VALUE, CSV_OK), None),
    ("csv without BOM", csv_folder(), "accepted", set(), (VALUE, CSV_OK), None),
    ("csv with CRLF", csv_text("chi_tieu", "ma_chi_tieu,gia_tri,ghi_chu\nso_ho,100,\n", newline="\r\n"),
     "accepted", set(), (VALUE, CSV_OK), None),
    ("ragged csv rows", csv_text("chi_tieu", "ma_chi_tieu,gia_tri\nso_ho,100,,,thừa\ndan_so\n"), "accepted",
     set(), (VALUE, CSV_OK), None),
    ("csv in windows-1258", csv_folder(encoding="cp1258"), "rejected", {("tep_khong_doc_duoc", C, None, None)},
     None, "UTF-8"),
    ("csv in utf-16", csv_text("chi_tieu", "ma_chi_tieu,gia_tri\nso_ho,100\n", encoding="utf-16"), "rejected",
     {("tep_khong_doc_duoc", C, None, None)}, None, "chi_tieu.csv"),
    ("csv with an unclosed quote", csv_text("chi_tieu", 'ma_chi_tieu,gia_tri\nso_ho,"100\ndan_so,5\n'), "rejected",
     {("tep_khong_doc_duoc", C, None, None)}, None, "CSV"),
    ("csv with a NUL byte in a value", csv_text("chi_tieu", "ma_chi_tieu,gia_tri\nso_ho,1\x0000\n"), "rejected",
     {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")}, None, None),
    ("folder with no csv", csv_empty_folder, "rejected", {("tep_khong_doc_duoc", C, None, None)}, None,
     "không có tệp .csv"),
    ("csv folder with a stray file", csv_extra_file, "accepted", {("tep_bi_bo_qua", W, None, None)},
     (VALUE, CSV_OK), "ghi_chu.txt"),
    ("csv folder missing a sheet", csv_folder(khen_thuong=None), "rejected", {("thieu_sheet", C, "khen_thuong", None)},
     None, None),
    # --- numbers ----------------------------------------------------------------------------
    ("a decimal point that cannot group thousands", chi_tieu_value("1.5"), "accepted", set(),
     (VALUE, [("so_ho", 1.5)]), None),
    ("english thousands", chi_tieu_value("1,234.5"), "rejected", {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")},
     None, "kiểu Việt Nam"),
    ("words for a number", chi_tieu_value("một trăm"), "rejected",
     {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")}, None, "không phải là số"),
    ("number too big to be real", chi_tieu_value("9" * 400), "rejected",
     {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")}, None, "quá lớn"),
    ("boolean cell", chi_tieu_value(True), "rejected", {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")}, None,
     "đúng/sai"),
    ("date cell as a value", chi_tieu_value(DATE_CELL), "rejected", {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")},
     None, None),
    ("numeric cell with decimals", chi_tieu_value(4.97), "accepted", set(), (VALUE, [("so_ho", 4.97)]), None),
    ("thousands as text", chi_tieu_value("2.780"), "accepted", set(), (VALUE, [("so_ho", 2780.0)]), None),
    ("negative text is read; validation judges it", chi_tieu_value("-5"), "accepted", set(),
     (VALUE, [("so_ho", -5.0)]), None),
    ("sql payload in a code is data", xlsx(chi_tieu=[["ma_chi_tieu", "gia_tri"], ["x'); drop table raw_cell; --", 1]]),
     "accepted", set(), (VALUE, [("x'); drop table raw_cell; --", 1.0)]), None),
    # --- dates ------------------------------------------------------------------------------
    ("impossible date", award_date("31/02/2020"), "rejected", {("ngay_khong_hop_le", C, "khen_thuong", "E2")},
     None, "ngày có thật"),
    ("year-first slashes", award_date("2020/12/15"), "rejected", {("ngay_khong_hop_le", C, "khen_thuong", "E2")},
     None, "15/12/2020"),
    ("date serial as a plain number", award_date(44180), "rejected",
     {("ngay_khong_hop_le", C, "khen_thuong", "E2")}, None, None),
    ("excel date cell", award_date(DATE_CELL), "accepted", set(), (AWARD, [("giay_khen", "ca_nhan", "2020-12-15")]),
     None),
    ("bad ngay_lap is only a warning", info("ngay_lap", "hôm qua"), "accepted",
     {("ngay_khong_hop_le", W, "thong_tin", "B6")}, None, None),
    # --- labels and identity ----------------------------------------------------------------
    ("unknown award title kept for validation", award_labels("Bằng khen", "Tập thể"), "accepted", set(),
     (AWARD, [(None, "tap_the", "2020-12-15")]), None),
    ("labels in capitals with extra spaces", award_labels("  GIẤY   KHEN ", "CÁ NHÂN"), "accepted", set(),
     (AWARD, [("giay_khen", "ca_nhan", "2020-12-15")]), None),
    ("unit code mismatch", info("ma_don_vi", "TP1"), "rejected", {("ma_don_vi_khong_khop", C, "thong_tin", "B2")},
     (TTT_CELLS, [(12,)]), "TP1"),
    ("year mismatch", info("nam", 2019), "rejected", {("nam_khong_khop", C, "thong_tin", "B4")}, None, "2019"),
    ("year written as text", info("nam", "2020"), "accepted", set(), (VALUE, CSV_OK), None),
    ("lower-case file name", lower_case_name, "accepted", set(), (VALUE, CSV_OK), None),
    ("xlsx and csv folder for the same unit: both refused", both_forms, "rejected",
     {("nop_hai_bai", C, None, None)},
     ("select source_path, status from raw_file_version order by source_path",
      [("2020/TP1.xlsx", "accepted"), ("2020/TTT", "rejected"), ("2020/TTT.xlsx", "rejected")]), "nộp 2 bài"),
    # --- formulas and Excel errors ----------------------------------------------------------
    ("formula with the value Excel saved", formula_with_cached_value, "accepted", set(), (VALUE, CSV_OK), None),
    ("formula never calculated", edited(_formula("B2", "=SUM(B5:B9)")), "rejected",
     {("o_cong_thuc_hoac_loi", C, "chi_tieu", "B2")},
     (TTT_B2, [("=SUM(B5:B9)",)]),
     "ô B2"),
    ("#REF! in a value", edited(_error("B2", "#REF!")), "rejected", {("o_cong_thuc_hoac_loi", C, "chi_tieu", "B2")},
     (TTT_B2, [("#REF!",)]),
     "#REF!"),
    ("#N/A in an award name", edited(_error("C2", "#N/A", sheet="khen_thuong")), "rejected",
     {("o_cong_thuc_hoac_loi", C, "khen_thuong", "C2")}, None, "#N/A"),
    ("#DIV/0! in a note is a warning", edited(_error("C2", "#DIV/0!")), "accepted",
     {("o_cong_thuc_hoac_loi", W, "chi_tieu", "C2")}, (VALUE, CSV_OK), "#DIV/0!"),
    # --- sizes ------------------------------------------------------------------------------
    ("zip bomb refused before it is inflated", _big("bomb"), "rejected", {("tep_khong_doc_duoc", C, None, None)},
     (TTT_CELLS, [(0,)]), "bom zip"),
    ("50 MB workbook", _big("fifty_mb"), "rejected", {("tep_khong_doc_duoc", C, None, None)}, None, "quá lớn"),
    ("100,000 award rows", _big("many_rows"), "accepted", set(),
     ("select count(*), count(distinct ten) from stg_award where unit_code = 'TTT'", [(100_000, 100_000)]), None),
    # === issue 14 ===========================================================================
    # --- 1/10. text that changes meaning on the way out: controls, bidi, invisible, personal ---
    ("vertical tab from Word in a recipient's name",
     csv_folder(khen_thuong=[AWARD_HEADER, ["Giấy khen", "Cá nhân", "Trần\x0bThị B", "1/QĐ", "15/12/2020", ""]]),
     "accepted", {("ky_tu_an", W, "khen_thuong", "C2")}, (AWARD_TEXT, [("giay_khen", "Trần Thị B", None)]), "U+000B"),
    ("_x000B_ escape in the workbook XML", award_row(ten="Trần_x000B_Thị B"), "accepted",
     {("ky_tu_an", W, "khen_thuong", "C2")}, (AWARD_TEXT, [("giay_khen", "Trần Thị B", None)]), "U+000B"),
    ("NUL and escape in a narrative",
     csv_folder(noi_dung=[["muc", "noi_dung"], ["II.2", "Phong trào\x00 thi đua\x1b[31m"]]), "accepted",
     {("ky_tu_an", W, "noi_dung", "B2")}, (NARRATIVE, [("II.2", "Phong trào  thi đua [31m")]), "U+001B"),
    ("right-to-left override in a narrative", narrative("Kết quả \u202egnốt\u202c tốt"), "accepted",
     {("ky_tu_an", W, "noi_dung", "B2")}, (NARRATIVE, [("II.2", "Kết quả gnốt tốt")]), "U+202E"),
    ("zero-width space inside an indicator code", chi_tieu_rows(("so_\u200bho", 100)), "accepted",
     {("ky_tu_an", W, "chi_tieu", "A2")}, (VALUE, CSV_OK), "U+200B (ZERO WIDTH SPACE)"),
    ("zero-width joiner in an award title", award_row(hinh_thuc="Giấy\u200d khen"), "accepted",
     {("ky_tu_an", W, "khen_thuong", "A2")}, (AWARD_TEXT, [("giay_khen", "Trần Thị B", None)]), "U+200D"),
    ("byte-order mark inside a csv code", csv_chi_tieu(("\ufeffso_ho", "100")), "accepted",
     {("ky_tu_an", W, "chi_tieu", "A2")}, (VALUE, CSV_OK), "U+FEFF"),
    ("citizen ID number in a narrative", narrative("Ông A (CCCD 079123456789) được khen"), "accepted",
     {("thong_tin_ca_nhan", W, "noi_dung", "B2")},
     (NARRATIVE, [("II.2", "Ông A (CCCD [đã xoá số định danh]) được khen")]), "CCCD/CMND"),
    ("phone number in a narrative", narrative("Liên hệ 0912 345 678 hoặc +84 912.345.679."), "accepted",
     {("thong_tin_ca_nhan", W, "noi_dung", "B2")},
     (NARRATIVE, [("II.2", "Liên hệ [đã xoá số điện thoại] hoặc [đã xoá số điện thoại].")]), "số điện thoại"),
    ("old ID number in an award note", award_row(ghi_chu="CMND 023456789"), "accepted",
     {("thong_tin_ca_nhan", W, "khen_thuong", "F2")},
     (AWARD_TEXT, [("giay_khen", "Trần Thị B", "CMND [đã xoá số định danh]")]), "CCCD/CMND"),
    ("figures in a narrative are not personal numbers",
     narrative("Xây 785 căn, 26.592 triệu đồng, 1.234.567.890 đồng, giai đoạn 2016-2020"), "accepted", set(),
     (NARRATIVE, [("II.2", "Xây 785 căn, 26.592 triệu đồng, 1.234.567.890 đồng, giai đoạn 2016-2020")]), None),
    # --- 2. sheet extent bombs --------------------------------------------------------------
    ("one cell at XFD1048576", far_cell("XFD1048576"), "rejected", {("tep_khong_doc_duoc", C, None, None)},
     (TTT_CELLS, [(0,)]), "ô XFD1048576"),
    ("one cell at the last row", far_cell("A1048576"), "rejected", {("tep_khong_doc_duoc", C, None, None)}, None,
     "A1048576"),
    ("a cell reference beyond Excel's last row",
     extra_cell_xml(b'<row r="99999999"><c r="A99999999"><v>1</v></c></row>'), "rejected", {("tep_khong_doc_duoc", C, None, None)}, None, "A99999999"),
    ("declared dimension A1:XFD1048576 over three cells", dimension("A1:XFD1048576"), "accepted", set(),
     (VALUE, CSV_OK), None),
    ("styled empty cell at XFD1048576", extra_cell_xml(b'<row r="1048576"><c r="XFD1048576" s="0"/></row>'),
     "accepted", set(), (VALUE, CSV_OK), None),
    ("a note far to the right in column AZ", far_cell("AZ40", "ghi nhớ"), "accepted", set(),
     ("select value_text from raw_cell where cell_ref = 'AZ40'", [("ghi nhớ",)]), None),
    # --- 3. number formats change the meaning -----------------------------------------------
    ("12% typed in Excel for a percent indicator", formatted(0.12, "0%", "ty_le_tre_suy_dinh_duong"), "accepted",
     set(), (VALUE_TEXT, [("ty_le_tre_suy_dinh_duong", 12.0, "12%")]), None),
    ("growth shown as 6.54% with a custom format", formatted(0.0654, "0.00%", "tang_truong_kinh_te"), "accepted",
     set(), (VALUE_TEXT, [("tang_truong_kinh_te", 6.54, "6.54%")]), None),
    ("a quoted % in a format is only a label", formatted(12, '0"%"', "ty_le_tre_suy_dinh_duong"), "accepted",
     set(), (VALUE_TEXT, [("ty_le_tre_suy_dinh_duong", 12.0, "12")]), None),
    ("percent format on a count", formatted(1, "0%", "so_ho"), "rejected",
     {("dinh_dang_phan_tram", C, "chi_tieu", "B2")}, (VALUE, [("so_ho", None)]), "hiển thị 100%"),
    ("large negative number shown as a date (python-calamine panics)", formatted(-1e12, "dd/mm/yyyy"), "rejected",
     {("tep_khong_doc_duoc", C, None, None)}, None, "định dạng ngày"),
    ("percent format on a text cell changes nothing", formatted("12", "0%", "ty_le_tre_suy_dinh_duong"),
     "accepted", set(), (VALUE, [("ty_le_tre_suy_dinh_duong", 12.0)]), None),
    # --- 4. numbers that are not finite or not plausible ------------------------------------
    ("1e308 in a numeric cell", chi_tieu_value(1e308), "rejected", {("gia_tri_bat_thuong", C, "chi_tieu", "B2")},
     (VALUE, [("so_ho", None)]), "không thể là số liệu thật"),
    ("five billion households", chi_tieu_value(5e9), "rejected", {("gia_tri_bat_thuong", C, "chi_tieu", "B2")},
     None, "nhiều nhất 1.000.000.000"),
    ("growth of -500%", chi_tieu_rows(("tang_truong_kinh_te", "-500")), "rejected",
     {("gia_tri_bat_thuong", C, "chi_tieu", "B2")}, None, "ít nhất -100"),
    ("inf in the cell XML", value_xml(b'<c r="B2" t="n"><v>inf</v></c>'), "rejected",
     {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")}, (VALUE, [("so_ho", None)]), None),
    ("NaN in the cell XML", value_xml(b'<c r="B2"><v>NaN</v></c>'), "rejected",
     {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")}, (VALUE, [("so_ho", None)]), None),
    ("1e308 written as text", chi_tieu_value("1e308"), "rejected", {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")},
     None, "không phải là số"),
    ("a large plausible amount is kept", chi_tieu_rows(("thu_ngan_sach", "999.605.000")), "accepted", set(),
     (VALUE, [("thu_ngan_sach", 999605000.0)]), None),
    # --- 5. files that are not regular files -------------------------------------------------
    ("named pipe named like a workbook", fifo, "rejected", {("khong_phai_tep_thuong", C, None, None)},
     (TTT_CELLS, [(0,)]), "named pipe"),
    ("hard link to a file outside the folder", hard_link_to_outside, "rejected",
     {("khong_phai_tep_thuong", C, None, None)}, (TTT_CELLS, [(0,)]), "hard link"),
    ("symlink to a folder outside", symlink_to_folder, "rejected", {("lien_ket_tuong_trung", C, None, None)},
     (TTT_CELLS, [(0,)]), "symlink"),
    ("named pipe inside a csv folder is skipped", csv_with_fifo, "accepted", {("tep_bi_bo_qua", W, None, None)},
     (VALUE, CSV_OK), "ghi_chu.csv"),
    ("csv part linked to a file outside is not read", csv_part_symlink, "accepted", {("tep_bi_bo_qua", W, None, None)},
     ("select count(*) from raw_cell where value_text = 'bí mật'", [(0,)]), "noi_dung.csv"),
    # --- 6. workbook parts in unusual places -------------------------------------------------
    ("#REF! in a sheet stored outside xl/worksheets",
     sheet_moved("xl/data/chi.xml", then=edited(_error("B2", "#REF!"))), "rejected", {("o_cong_thuc_hoac_loi", C, "chi_tieu", "B2")}, (TTT_B2, [("#REF!",)]), "#REF!"),
    ("formula never calculated in a sheet stored elsewhere",
     sheet_moved("xl/khac/chi_tieu.xml", then=edited(_formula("B2", "=SUM(B5:B9)"))), "rejected",
     {("o_cong_thuc_hoac_loi", C, "chi_tieu", "B2")}, (TTT_B2, [("=SUM(B5:B9)",)]), "ô B2"),
    ("sheet target given as an absolute path", sheet_moved("xl/worksheets/sheet9.xml", absolute=True),
     "accepted", set(), (VALUE, CSV_OK), None),
    # --- 7. contradictions ------------------------------------------------------------------
    ("a second nam row", info_rows(["nam", 2019]), "rejected", {("trung_truong", C, "thong_tin", "A7")}, None,
     "2 dòng “nam”"),
    ("a second ma_don_vi row", info_rows(["ma_don_vi", "TP1"]), "rejected",
     {("trung_truong", C, "thong_tin", "A7")}, None, "“TP1”"),
    ("field name with a zero-width space", info_rows(["nam\u200b", 2019]), "rejected",
     {("trung_truong", C, "thong_tin", "A7")}, None, "nam"),
    # --- 9. messages a clerk can act on -----------------------------------------------------
    ("semicolon-separated csv", csv_text("chi_tieu", "ma_chi_tieu;gia_tri;ghi_chu\nso_ho;100;\n"), "rejected",
     {("tep_khong_doc_duoc", C, None, None)}, None, "dấu ';'"),
    ("csv field above the csv module's limit", csv_text("noi_dung", "muc,noi_dung\nI,\"" + "x" * 140_000 + "\"\n"),
     "rejected", {("tep_khong_doc_duoc", C, None, None)}, None, "noi_dung.csv, dòng"),
    ("no-break space inside a number", chi_tieu_value("2\u00a0233"), "rejected",
     {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")}, None, "U+00A0 (NO-BREAK SPACE)"),
    ("thin space inside a number", chi_tieu_value("2\u2009233"), "rejected",
     {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")}, None, "U+2009"),
    # --- decimals written by software (DESIGN "Numbers") ------------------------------------
    ("csv written by software with 707.2", csv_chi_tieu(("so_ho", "100"), ("lao_dong_viec_lam", "707.2")),
     "accepted", set(), (VALUE, [("so_ho", 100.0), ("lao_dong_viec_lam", 707.2)]), None),
    ("86000.1 and 10.68 are decimals", chi_tieu_rows(("thu_ngan_sach", "86000.1"), ("thu_nhap_binh_quan", "10.68")),
     "accepted", set(), (VALUE, [("thu_ngan_sach", 86000.1), ("thu_nhap_binh_quan", 10.68)]), None),
    ("1.234 beside a decimal point is an error", csv_chi_tieu(("so_ho", "707.2"), ("dan_so", "1.234")), "rejected",
     {("gia_tri_khong_phai_so", C, "chi_tieu", "B3")}, (VALUE, [("so_ho", 707.2), ("dan_so", None)]),
     "ô B2 “707.2”"),
    ("1,093 beside a decimal point is an error", chi_tieu_rows(("so_ho", "1,093"), ("dan_so", "10.5")), "rejected",
     {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")}, None, "hai cách"),
    ("1,093 without a decimal point is Vietnamese", chi_tieu_value("1,093"), "accepted", set(),
     (VALUE, [("so_ho", 1.093)]), None),
    ("unambiguous Vietnamese beside a decimal point", chi_tieu_rows(("so_ho", "1.234,5"), ("dan_so", "2.345.678"),
                                                                     ("so_ap", "12.5")),
     "accepted", set(), (VALUE, [("so_ho", 1234.5), ("dan_so", 2345678.0), ("so_ap", 12.5)]), None),
]


@pytest.mark.parametrize("case, build, status, findings, holds, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_parsed_right_or_refused_with_its_place(
        tmp_path, config, big_files, case, build, status, findings, holds, words):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    year_dir = subs / str(YEAR)
    year_dir.mkdir(parents=True)
    if getattr(build, "needs_big", False):
        build(year_dir, big_files)
    else:
        build(year_dir)
    write_xlsx(year_dir / "TP1.xlsx", submission("TP1", YEAR, {"so_ho": 100}))

    ingest_year(config, subs, YEAR, db)

    assert _rows(db, "select trang_thai from submission_status where ma_don_vi = ?", [UNIT]) == [(status,)]
    got = _rows(db, "select check_code, severity, sheet_name, cell_ref, message_vi, fix_vi from finding "
                    "where unit_code = ?", [UNIT])
    assert {g[:4] for g in got} == findings
    for check_code, _, sheet, cell, message, fix in got:
        # Every message names the file, then the sheet, row and cell where there is one, and says what to do.
        assert message.startswith("Tệp 2020/") and fix
        assert sheet is None or f"sheet {sheet}" in message
        assert cell is None or f"ô {cell}" in message
    if words:
        reasons = " ".join(g[4] for g in got)
        assert words in reasons
    # The rest of the year is ingested, and nothing received is lost.
    assert _rows(db, "select trang_thai from submission_status where ma_don_vi = 'TP1'") == [("accepted",)]
    received = {p.name for p in year_dir.iterdir() if not _JUNK.match(p.name)}
    recorded = {r[0].split("/")[-1] for r in _rows(db, "select source_path from raw_file_version")}
    assert recorded == received
    if holds:
        query, expected = holds
        assert _rows(db, query) == expected


def test_corpus_has_at_least_forty_distinct_cases():
    assert len({c[0] for c in CASES}) == len(CASES) >= 40


def test_two_submissions_for_one_unit_stay_refused_and_unchanged_on_rerun(tmp_path, config):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    (subs / str(YEAR)).mkdir(parents=True)
    both_forms(subs / str(YEAR))
    ingest_year(config, subs, YEAR, db)
    before = _rows(db, "select * from raw_file_version order by file_version_id")

    again = ingest_year(config, subs, YEAR, db)

    assert [f.status for f in again.files] == ["unchanged", "unchanged"]
    assert _rows(db, "select * from raw_file_version order by file_version_id") == before
    # Removing the extra one makes the remaining file the unit's submission.
    shutil.rmtree(subs / str(YEAR) / UNIT)
    ingest_year(config, subs, YEAR, db)
    assert _rows(db, "select trang_thai, source_path from submission_status where ma_don_vi = ?", [UNIT]) == [
        ("accepted", "2020/TTT.xlsx")]


def test_zip_bomb_is_refused_from_its_declared_size_before_anything_is_inflated(tmp_path, config, big_files):
    """Small enough on disk to pass the size check; refused from the sizes the zip declares (timed in bench/)."""
    from tasks.safety import MAX_FILE_BYTES

    year_dir = tmp_path / "subs" / str(YEAR)
    big.copy_into(big_files["bomb"], year_dir / f"{UNIT}.xlsx")
    with zipfile.ZipFile(big_files["bomb"]) as zf:
        sheet = max(zf.infolist(), key=lambda i: i.file_size)

    summary = ingest_year(config, tmp_path / "subs", YEAR, tmp_path / "t.duckdb")

    assert big_files["bomb"].stat().st_size < MAX_FILE_BYTES
    [refused] = [f for f in summary.files if f.unit_code == UNIT]
    assert refused.status == "rejected"
    # The declared size in the message: a guard that inflated first would stop at its budget and say that.
    assert f"“{sheet.filename}” khi giải nén lớn bất thường (trên {sheet.file_size / 1024 / 1024:.0f} MB" \
        in refused.reason_vi


# ---------------------------------------------------------------------------------------------
# The whole corpus as one year, through the whole cycle


# Its size is proved by the case alone; through Great Expectations it would cost a minute.
NOT_IN_CYCLE = {"100,000 award rows"}


@pytest.fixture(scope="module")
def corpus_year(tmp_path_factory, big_files):
    """Every case as its own commune (C001, C002, …) of one year, beside a good TP1, run through
    ingest → validate → publish → aggregate → write_outputs → render with the stage functions."""
    from tasks.aggregate import aggregate, write_outputs
    from tasks.publish import publish_validation
    from tasks.render import render_report
    from tasks.validate import validate_year

    root = tmp_path_factory.mktemp("corpus")
    config_dir = shutil.copytree(load_config().config_dir, root / "config")
    units_yaml = yaml.safe_load((config_dir / "units.yaml").read_text(encoding="utf-8"))
    codes = {case[0]: f"C{i:03d}" for i, case in enumerate(CASES, start=1)}
    units_yaml["units"] += [{"code": code, "name": f"Xã thử {code}", "kind": "xa"} for code in codes.values()]
    (config_dir / "units.yaml").write_text(yaml.safe_dump(units_yaml, allow_unicode=True), encoding="utf-8")
    config = load_config(config_dir)
    subs, out = root / "subs", root / "out"
    year_dir = subs / str(YEAR)
    year_dir.mkdir(parents=True)
    for case, build, *_ in CASES:
        if case in NOT_IN_CYCLE:
            continue
        with unit_code(codes[case]):
            build(year_dir, big_files) if getattr(build, "needs_big", False) else build(year_dir)
    write_xlsx(year_dir / "TP1.xlsx", submission("TP1", YEAR, {"so_ho": 100}))
    db = out / "thidua.duckdb"

    by_duckdb = ingest_year(config, subs, YEAR, db).by_duckdb
    ingested = _rows(db, "select unit_code, check_code, severity, sheet_name, cell_ref from finding")
    shutil.copy(db, root / "after_ingest.duckdb")
    validate_year(config, YEAR, db)
    published = publish_validation(config, YEAR, db, out)
    aggregate(config, YEAR, 1, db)
    tables = write_outputs(config, YEAR, 1, db, out)
    report = render_report(config, YEAR, 1, db, out)
    return {"db": db, "out": out / str(YEAR), "codes": codes, "ingested": ingested, "year_dir": year_dir,
            "files": [*published, *tables, *report], "config": config, "subs": subs, "by_duckdb": by_duckdb,
            "after_ingest": root / "after_ingest.duckdb"}


def test_the_corpus_is_ingested_alike_by_duckdb_and_by_python(corpus_year):
    """Every table of the corpus year is the same whether CSV folders go through DuckDB and SQL or
    through Python alone; the plain CSV cases (and only plain ones) went through DuckDB."""
    python_db = corpus_year["after_ingest"].with_name("python.duckdb")  # same tree: its paths compare alike
    summary = ingest_year(corpus_year["config"], corpus_year["subs"], YEAR, python_db, csv_by_duckdb=False)
    assert summary.by_duckdb == []
    assert compare_trees.main([str(corpus_year["after_ingest"]), str(python_db)]) == 0
    codes = corpus_year["codes"]
    by_duckdb = {Path(p).name for p in corpus_year["by_duckdb"]}
    assert {codes[c] for c in ("csv with BOM", "csv without BOM", "csv with CRLF",
                               "csv written by software with 707.2")} <= by_duckdb
    assert not by_duckdb & {codes[c] for c in ("csv in windows-1258", "csv with an unclosed quote",
                                               "csv with a NUL byte in a value", "csv folder with a stray file")}


def test_the_whole_corpus_goes_through_the_cycle_and_each_case_keeps_its_outcome(corpus_year):
    db, codes = corpus_year["db"], corpus_year["codes"]
    status = dict(_rows(db, "select ma_don_vi, trang_thai from submission_status"))
    for case, _, expected, findings, *_ in CASES:
        code = codes[case]
        if case in NOT_IN_CYCLE:
            continue
        found = {f[1:] for f in corpus_year["ingested"] if f[0] == code}
        assert found == findings, case  # the same ingest findings as when the case is alone
        # Validation may refuse more (a commune reporting a department's indicator), never less.
        assert status[code] == "rejected" if expected == "rejected" else status[code] in ("accepted", "rejected"), case
    assert status["TP1"] == "accepted"
    received = {p.name for p in corpus_year["year_dir"].iterdir() if not _JUNK.match(p.name)}
    assert {r[0].split("/")[-1] for r in _rows(db, "select source_path from raw_file_version")} == received


def test_the_corpus_year_writes_every_output_and_names_every_refused_unit(corpus_year):
    out = corpus_year["out"]
    for name in ("bao_cao_2020.docx", "bao_cao_2020.html", "bao_cao_2020.md", "district_indicators.csv",
                 "award_table.csv", "submission_status.csv", "validation/index.html"):
        assert (out / name).stat().st_size > 0, name
    assert all(p.exists() for p in corpus_year["files"])
    rejected = [c for c, s in _rows(corpus_year["db"], "select ma_don_vi, trang_thai from submission_status")
                if s == "rejected" and c in corpus_year["codes"].values()]
    draft = (out / "bao_cao_2020.md").read_text(encoding="utf-8")
    assert len(rejected) > 40 and all(f"Xã thử {code}" in draft for code in rejected)


def test_no_control_bidi_or_personal_number_reaches_any_output_of_the_corpus_year(corpus_year):
    out = corpus_year["out"]
    texts = {p: p.read_text(encoding="utf-8") for p in out.rglob("*") if p.suffix in (".md", ".html", ".csv")}
    for p in out.rglob("*.docx"):
        with zipfile.ZipFile(p) as zf:
            texts[p] = zf.read("word/document.xml").decode("utf-8")
    for path, text in texts.items():
        bad = {c for c in text if (unicodedata.category(c) == "Cc" and c not in "\n\r\t") or c in "\u202e\u202d\u200b"}
        assert not bad, (path, bad)
        for personal in ("079123456789", "0912 345 678", "023456789"):
            assert personal not in text, (path, personal)
