"""Bad input: every odd file a unit may send is parsed right or refused with its place, never lost."""

from __future__ import annotations

import shutil
import zipfile

import duckdb
import pytest

from tasks.config import load_config
from tasks.ingest import _JUNK, ingest_year
from tests.bad_inputs import big
from tests.bad_inputs.corpus import (
    AWARD_HEADER, DATE_CELL, UNIT, YEAR, _add_sheet, _error, _formula, _hide, _merge, _rename, award_date,
    award_labels, base, both_forms, corrupted_deflate, chi_tieu_value, csv_empty_folder, csv_extra_file, csv_folder, csv_text,
    dot_file_beside, edited, excel_lock_file, os_litter, formula_with_cached_value, header_in_row, info, raw_bytes, renamed_xlsx,
    symlink_to_outside, truncated, xlsx,
)
from tests.factories import submission, write_xlsx


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
        big.copy_into(files[name], year_dir / f"{UNIT}.xlsx")
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
    ("xls", raw_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel", f"{UNIT}.xls"), "rejected",
     {("dinh_dang_khong_ho_tro", C, None, None)}, None, ".xls"),
    ("encrypted or old Excel saved as .xlsx", raw_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), f"{UNIT}.xlsx"),
     "rejected", {("tep_khong_doc_duoc", C, None, None)}, None, "mật khẩu"),
    ("ods", renamed_xlsx(".ods"), "rejected", {("dinh_dang_khong_ho_tro", C, None, None)}, None, ".ods"),
    ("lone csv file", raw_bytes("truong,gia_tri\n".encode(), f"{UNIT}.csv"), "rejected",
     {("dinh_dang_khong_ho_tro", C, None, None)}, None, "thư mục"),
    ("unknown extension .bak", raw_bytes(b"PK\x03\x04", UNIT + ".bak"), "rejected",
     {("dinh_dang_khong_ho_tro", C, None, None)}, None, None),
    ("empty file", raw_bytes(b"", f"{UNIT}.xlsx"), "rejected", {("tep_khong_doc_duoc", C, None, None)}, None,
     "0 byte"),
    ("damaged compressed sheet", corrupted_deflate, "rejected", {("tep_khong_doc_duoc", C, None, None)}, None,
     "bị hỏng"),
    ("truncated xlsx", truncated, "rejected", {("tep_khong_doc_duoc", C, None, None)}, None, "bị hỏng"),
    ("text file named .xlsx", raw_bytes("không phải Excel".encode(), f"{UNIT}.xlsx"), "rejected",
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
    ("ambiguous decimal point", chi_tieu_value("1.5"), "rejected", {("gia_tri_khong_phai_so", C, "chi_tieu", "B2")},
     (VALUE, [("so_ho", None)]), "dấu chấm"),
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
    ("lower-case file name", xlsx(name="ttt.xlsx"), "accepted", set(), (VALUE, CSV_OK), None),
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
