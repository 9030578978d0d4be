"""Ingest: raw cells as received, typed staging, versions, and rejected files kept with a reason."""

from __future__ import annotations

import errno
import shutil
import unicodedata
import zipfile

import duckdb
import pytest

import tasks.ingest as ingest_module
from tasks.config import ConfigError, load_config
from tasks.ingest import StorageError, SubmissionsError, YearFolderError, ingest_year, plausible_range
from tests.factories import submission, write_csv_folder, write_xlsx

YEAR = 2020


@pytest.fixture()
def config():
    return load_config()


def _rows(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _status(db, unit):
    return _rows(db, "select trang_thai from submission_status where ma_don_vi = ? and nam = ?", [unit, YEAR])[0][0]


def test_xlsx_and_csv_submissions_are_stored_raw_and_typed(tmp_path, config):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    write_xlsx(subs / str(YEAR) / "TTT.xlsx", submission(
        "TTT", YEAR, {"so_ho": "2.780", "so_ho_ngheo": 12, "dan_so": "10.093,5"},
        awards=[("Giấy khen", "Cá nhân", "Trần Thị B", "12/QĐ-UBND", "15/12/2020")],
        narrative=[("II.1", "Đoạn văn.")]))
    write_csv_folder(subs / str(YEAR) / "TP1", submission("TP1", YEAR, {"so_ho": "4,97"}))

    summary = ingest_year(config, subs, YEAR, db)

    assert [(f.unit_code, f.status, f.version) for f in summary.files] == [("TP1", "accepted", 1), ("TTT", "accepted", 1)]
    assert _rows(db, "select unit_code, indicator_code, gia_tri, gia_tri_text, sheet_name, row_number "
                     "from stg_indicator_value order by unit_code, row_number") == [
        ("TP1", "so_ho", 4.97, "4,97", "chi_tieu", 2),
        ("TTT", "so_ho", 2780.0, "2.780", "chi_tieu", 2),
        ("TTT", "so_ho_ngheo", 12.0, "12", "chi_tieu", 3),
        ("TTT", "dan_so", 10093.5, "10.093,5", "chi_tieu", 4),
    ]
    assert _rows(db, "select hinh_thuc, doi_tuong, ten, ngay_quyet_dinh::varchar from stg_award") == [
        ("giay_khen", "ca_nhan", "Trần Thị B", "2020-12-15")]
    assert _rows(db, "select sheet_name, cell_ref, column_name, value_text from raw_cell "
                     "where value_text = '2.780'") == [("chi_tieu", "B2", "gia_tri", "2.780")]
    assert _status(db, "TTT") == "accepted"
    assert _status(db, "LKA") == "missing"


def test_reingesting_unchanged_files_changes_nothing(tmp_path, config):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    write_xlsx(subs / str(YEAR) / "TTT.xlsx", submission("TTT", YEAR, {"so_ho": 100}))
    ingest_year(config, subs, YEAR, db)
    before = _rows(db, "select count(*) from raw_cell"), _rows(db, "select * from raw_file_version")

    again = ingest_year(config, subs, YEAR, db)

    assert [f.status for f in again.files] == ["unchanged"]
    assert (_rows(db, "select count(*) from raw_cell"), _rows(db, "select * from raw_file_version")) == before


def test_resubmitted_file_supersedes_previous_version(tmp_path, config):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    path = subs / str(YEAR) / "TTT.xlsx"
    write_xlsx(path, submission("TTT", YEAR, {"so_ho": 100}))
    ingest_year(config, subs, YEAR, db)
    write_xlsx(path, submission("TTT", YEAR, {"so_ho": 120}))

    ingest_year(config, subs, YEAR, db)

    assert _rows(db, "select version, status from raw_file_version order by version") == [
        (1, "superseded"), (2, "accepted")]
    assert _rows(db, "select gia_tri from stg_indicator_value") == [(120.0,)]
    # The old version's cells are still there, exactly as received.
    assert _rows(db, "select f.version, c.value_text from raw_cell c join raw_file_version f using (file_version_id) "
                     "where c.cell_ref = 'B2' and c.sheet_name = 'chi_tieu' order by f.version") == [
        (1, "100"), (2, "120")]


def _truncated(path):
    write_xlsx(path, submission("TTT", YEAR, {"so_ho": 1}))
    path.write_bytes(path.read_bytes()[:700])


def _not_a_zip(path):
    path.write_text("đây không phải Excel", encoding="utf-8")


def _empty(path):
    path.write_bytes(b"")


def _zip_without_workbook(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "x")


def _sheets(**changes):
    def build(path):
        sheets = submission("TTT", YEAR, {"so_ho": 100})
        for key, value in changes.items():
            if value is None:
                sheets.pop(key)
            else:
                sheets[key] = value
        write_xlsx(path, sheets)
    return build


def _with_info(field, value):
    def build(path):
        sheets = submission("TTT", YEAR, {"so_ho": 100})
        sheets["thong_tin"] = [r if r[0] != field else [field, value] for r in sheets["thong_tin"]]
        write_xlsx(path, sheets)
    return build


def _csv_1258(path):
    folder = path.with_suffix("")
    write_csv_folder(folder, submission("TTT", YEAR, {"so_ho": 100}, awards=[("Giấy khen", "Tập thể", "Ấp Long Hòa")]),
                     encoding="cp1258")


# (case, builder, expected status, check_code of the finding or None, sheet, cell)
REJECTED = [
    ("truncated xlsx", _truncated, "tep_khong_doc_duoc", None, None),
    ("not a zip", _not_a_zip, "tep_khong_doc_duoc", None, None),
    ("empty file", _empty, "tep_khong_doc_duoc", None, None),
    ("zip but not a workbook", _zip_without_workbook, "tep_khong_doc_duoc", None, None),
    ("missing sheet", _sheets(khen_thuong=None), "thieu_sheet", "khen_thuong", None),
    ("missing column", _sheets(chi_tieu=[["ma_chi_tieu", "ghi_chu"], ["so_ho", ""]]), "thieu_cot", "chi_tieu", None),
    ("unit mismatch", _with_info("ma_don_vi", "TP1"), "ma_don_vi_khong_khop", "thong_tin", "B2"),
    ("year mismatch", _with_info("nam", 2019), "nam_khong_khop", "thong_tin", "B4"),
    ("csv in windows-1258", _csv_1258, "tep_khong_doc_duoc", None, None),
    ("either way beside a decimal point", _sheets(chi_tieu=[["ma_chi_tieu", "gia_tri"], ["so_ho", "1.234"],
                                                            ["dan_so", "707.2"]]),
     "gia_tri_khong_phai_so", "chi_tieu", "B2"),
    ("impossible date", _sheets(khen_thuong=[["hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh"],
                                             ["giay_khen", "ca_nhan", "A", "1/QĐ", "31/02/2020"]]),
     "ngay_khong_hop_le", "khen_thuong", "E2"),
]


@pytest.mark.parametrize("case, build, check_code, sheet, cell", REJECTED, ids=[r[0] for r in REJECTED])
def test_bad_file_is_rejected_with_its_place_and_the_rest_of_the_year_ingests(
        tmp_path, config, case, build, check_code, sheet, cell):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    (subs / str(YEAR)).mkdir(parents=True)
    build(subs / str(YEAR) / "TTT.xlsx")
    write_xlsx(subs / str(YEAR) / "TP1.xlsx", submission("TP1", YEAR, {"so_ho": 100}))

    ingest_year(config, subs, YEAR, db)

    assert _status(db, "TTT") == "rejected"
    assert _status(db, "TP1") == "accepted"
    findings = _rows(db, "select check_code, severity, sheet_name, cell_ref, message_vi from finding where unit_code = 'TTT'")
    assert [(f[0], f[1], f[2], f[3]) for f in findings] == [(check_code, "critical", sheet, cell)]
    assert findings[0][4].startswith("Tệp 2020/TTT")
    # Nothing is lost: the file version is recorded even when it could not be read.
    assert _rows(db, "select count(*) from raw_file_version where unit_code = 'TTT'") == [(1,)]


def test_unknown_unit_file_is_rejected(tmp_path, config):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    write_xlsx(subs / str(YEAR) / "XYZ.xlsx", submission("XYZ", YEAR, {"so_ho": 1}))

    ingest_year(config, subs, YEAR, db)

    assert _rows(db, "select trang_thai, is_expected from submission_status where ma_don_vi = 'XYZ'") == [("rejected", False)]
    assert _rows(db, "select check_code from finding") == [("don_vi_khong_co_trong_danh_muc",)]


def test_unsupported_format_is_rejected_not_skipped(tmp_path, config):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    (subs / str(YEAR)).mkdir(parents=True)
    (subs / str(YEAR) / "TTT.xls").write_bytes(b"\xd0\xcf\x11\xe0old excel")

    summary = ingest_year(config, subs, YEAR, db)

    assert [(f.unit_code, f.status) for f in summary.files] == [("TTT", "rejected")]
    assert _rows(db, "select check_code from finding") == [("dinh_dang_khong_ho_tro",)]


# Values that must end as a correctly parsed value (validation judges them later).
PARSED = [
    ("thousands text in a count", "1.093", 1093.0),
    ("decimal comma in a count", "1,5", 1.5),
    ("numeric cell", 2780, 2780.0),
    ("percent sign", "4,97%", 4.97),
    ("nbsp around", "\u00a02.780 ", 2780.0),
]


@pytest.mark.parametrize("case, text, expected", PARSED, ids=[p[0] for p in PARSED])
def test_numbers_follow_vietnamese_usage(tmp_path, config, case, text, expected):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    write_xlsx(subs / str(YEAR) / "TTT.xlsx", submission("TTT", YEAR, {"so_ho": text}))

    ingest_year(config, subs, YEAR, db)

    assert _rows(db, "select gia_tri from stg_indicator_value") == [(expected,)]
    assert _rows(db, "select count(*) from finding where stage = 'ingest'") == [(0,)]


def test_nfd_and_upper_case_labels_are_recognised(tmp_path, config):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    label = unicodedata.normalize("NFD", "CHIẾN SĨ THI ĐUA CƠ SỞ")
    write_xlsx(subs / str(YEAR) / "TTT.xlsx", submission(
        "TTT", YEAR, awards=[(label, unicodedata.normalize("NFD", "cá nhân"), "A"), ("Bằng khen", "Tập thể", "B")]))

    ingest_year(config, subs, YEAR, db)

    assert _rows(db, "select hinh_thuc, doi_tuong, hinh_thuc_text from stg_award order by row_number") == [
        ("chien_si_thi_dua_co_so", "ca_nhan", label), (None, "tap_the", "Bằng khen")]


# ---------------------------------------------------------------------------------------------
# Issue 14: the year cannot be ingested at all — a typed error with one Vietnamese line, nothing written


def test_a_year_path_that_is_a_file_is_refused_instead_of_reporting_every_unit_missing(tmp_path, config):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    subs.mkdir()
    (subs / str(YEAR)).write_text("không phải thư mục", encoding="utf-8")

    with pytest.raises(YearFolderError, match=r"subs/2020: là một tệp, không phải thư mục năm 2020; hãy tạo"):
        ingest_year(config, subs, YEAR, db)
    assert issubclass(YearFolderError, SubmissionsError)  # the CLI's exit-2 error
    assert not db.exists()


@pytest.mark.parametrize("error, words", [
    (duckdb.IOException("IO Error: Could not write file \"t.duckdb.wal\": No space left on device"),
     "ổ đĩa đã đầy"),
    (OSError(errno.EROFS, "Read-only file system", "/mnt/ro/t.duckdb"), "chỉ cho đọc"),
])
def test_a_full_or_read_only_disk_is_one_vietnamese_line_and_no_unit_is_blamed(tmp_path, config, monkeypatch,
                                                                                 error, words):
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    write_xlsx(subs / str(YEAR) / "TTT.xlsx", submission("TTT", YEAR, {"so_ho": 100}))
    ingest_year(config, subs, YEAR, db)  # a first version is in
    write_xlsx(subs / str(YEAR) / "TTT.xlsx", submission("TTT", YEAR, {"so_ho": 120}))
    real_insert = ingest_module._insert_columns

    def insert_until_the_disk_is_full(con, table, data):
        if table == "raw_cell":
            raise error  # as DuckDB or the OS raise it when the disk fills up mid-write
        real_insert(con, table, data)

    monkeypatch.setattr(ingest_module, "_insert_columns", insert_until_the_disk_is_full)

    with pytest.raises(StorageError, match=words) as raised:
        ingest_year(config, subs, YEAR, db)

    assert "\n" not in str(raised.value) and "chạy lại" in str(raised.value)
    # Rolled back whole: no unit recorded as our fault, the first version still current.
    assert _rows(db, "select version, status from raw_file_version") == [(1, "accepted")]
    assert _rows(db, "select count(*) from finding where check_code = 'loi_khi_nhap'") == [(0,)]


def test_an_indicator_may_narrow_its_plausible_range_in_the_catalogue(tmp_path):
    config_dir = shutil.copytree(load_config().config_dir, tmp_path / "config")
    catalogue = (config_dir / "indicators.yaml").read_text(encoding="utf-8")
    catalogue = catalogue.replace("{code: so_ap, name: Số ấp,", "{code: so_ap, max: 60, name: Số ấp,")
    (config_dir / "indicators.yaml").write_text(catalogue, encoding="utf-8")
    config = load_config(config_dir)
    assert plausible_range(config.indicator("so_ap")) == (None, 60)
    assert plausible_range(config.indicator("so_ho")) == (None, 1e9)  # the default of a count
    subs, db = tmp_path / "subs", tmp_path / "t.duckdb"
    write_xlsx(subs / str(YEAR) / "TTT.xlsx", submission("TTT", YEAR, {"so_ho": 100, "so_ap": 600}))

    ingest_year(config, subs, YEAR, db)

    assert _rows(db, "select check_code, cell_ref, message_vi like '%nhiều nhất 60%' from finding") == [
        ("gia_tri_bat_thuong", "B3", True)]
    assert _rows(db, "select indicator_code, gia_tri from stg_indicator_value order by row_number") == [
        ("so_ho", 100.0), ("so_ap", None)]


@pytest.mark.parametrize("numerator, denominator", [("ty_le_ho_ngheo", "so_ho"), ("so_ho", "so_ho")])
def test_a_ratio_of_itself_or_of_one_indicator_twice_is_a_config_error(tmp_path, numerator, denominator):
    config_dir = shutil.copytree(load_config().config_dir, tmp_path / "config")
    catalogue = (config_dir / "indicators.yaml").read_text(encoding="utf-8").replace(
        "numerator: so_ho_ngheo, denominator: so_ho}", f"numerator: {numerator}, denominator: {denominator}}}")
    (config_dir / "indicators.yaml").write_text(catalogue, encoding="utf-8")

    with pytest.raises(ConfigError, match=r"indicators\[ty_le_ho_ngheo\].*three different indicators"):
        load_config(config_dir)


def test_the_command_line_turns_a_year_path_that_is_a_file_into_one_line_and_exit_2(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / str(YEAR)).write_text("", encoding="utf-8")

    result = CliRunner().invoke(app, ["ingest", "--year", str(YEAR), "--submissions", str(tmp_path / "subs"),
                                      "--out", str(tmp_path / "out")])

    assert result.exit_code == 2
    assert "là một tệp, không phải thư mục năm 2020" in result.output
    assert not (tmp_path / "out" / "thidua.duckdb").exists()
