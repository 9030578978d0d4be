"""Blank templates: protected, validated per indicator, instructions from the config, read back unchanged (also after LibreOffice)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess

import duckdb
import openpyxl
import pytest
from openpyxl.worksheet.cell_range import CellRange

from tasks.config import load_config
from tasks.ingest import ingest_year
from tasks.readers import HEADER_SEARCH_ROWS, SHEET_COLUMNS
from tasks.workbook_templates import (CODE_ROW, FIRST_ROW, GUIDE_SHEET, LAYOUT, build_template, section_codes,
                                      write_templates)

CONFIG = load_config()
YEAR = 2021
SOFFICE = shutil.which("soffice")
# The validation each catalogue value_type must get on its gia_tri cell.
EXPECTED_RULE = {"count": ("whole", "greaterThanOrEqual", "0", None), "amount": ("decimal", "greaterThanOrEqual", "0", None),
                 "index": ("decimal", "greaterThanOrEqual", "0", None), "percent": ("decimal", "between", "0", "100"),
                 "flag": ("list", None, '"1,0"', None), "growth": ("decimal", "between", "-100", "100")}


def _col(sheet: str, code: str) -> str:
    return "ABCDEFGH"[[c.code for c in LAYOUT[sheet]].index(code)]


def _validations(ws) -> dict[str, object]:
    """Cell reference -> the DataValidation that covers it."""
    covered = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in CellRange(rng.coord).cells:
                covered[f"{openpyxl.utils.get_column_letter(row[1])}{row[0]}"] = dv
    return covered


def test_layout_holds_every_contract_column_where_the_reader_looks():
    assert list(LAYOUT) == list(SHEET_COLUMNS) and CODE_ROW <= HEADER_SEARCH_ROWS
    for name, columns in SHEET_COLUMNS.items():
        assert set(columns) <= {c.code for c in LAYOUT[name]}, name


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("templates")
    return write_templates(CONFIG, YEAR, folder), folder


def test_one_protected_template_per_expected_unit_instructions_first(templates):
    paths, folder = templates

    assert sorted(p.stem for p in paths) == sorted(u.code for u in CONFIG.expected_units(YEAR))
    wb = openpyxl.load_workbook(folder / "TTT.xlsx")
    assert wb.sheetnames == [GUIDE_SHEET, "thong_tin", "chi_tieu", "khen_thuong", "noi_dung", "danh_muc"]
    assert wb.security.lockStructure and not wb.security.workbookPassword
    assert all(ws.protection.sheet and not ws.protection.password for ws in wb.worksheets)
    assert wb["danh_muc"].sheet_state == "hidden"
    # Row 2 is what the clerk reads, row 3 the contract's names the reader looks for.
    ws = wb["chi_tieu"]
    assert [c.value for c in ws[2]] == ["Tên chỉ tiêu", "Đơn vị tính", "Giá trị", "Ghi chú", "Mã chỉ tiêu"]
    assert [c.value for c in ws[3]] == ["ten_chi_tieu", "don_vi_tinh", "gia_tri", "ghi_chu", "ma_chi_tieu"]
    assert [c.value for c in ws[FIRST_ROW]] == ["Số hộ gia đình", "hộ", None, None, "so_ho"]
    assert ws.print_title_rows == "$2:$3" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "NGƯỜI LẬP BIỂU" in texts and "THỦ TRƯỞNG ĐƠN VỊ" in texts
    assert [wb["thong_tin"][f"A{r}"].value for r in range(FIRST_ROW, FIRST_ROW + 5)] == [
        "Mã đơn vị", "Tên đơn vị", "Năm báo cáo", "Người lập biểu", "Ngày lập"]


@pytest.mark.parametrize("unit_code", ["TTT", "TCKH", "YT"])
def test_every_input_cell_is_unlocked_and_validated_with_its_type(templates, unit_code):
    _, folder = templates
    wb = openpyxl.load_workbook(folder / f"{unit_code}.xlsx")

    for ws in wb.worksheets:
        unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
        covered = _validations(ws)
        assert unlocked <= set(covered), (ws.title, sorted(unlocked - set(covered))[:5])
        assert all(dv.prompt and dv.error and dv.showErrorMessage for dv in covered.values())
    ws = wb["chi_tieu"]
    covered = _validations(ws)
    for n, indicator in enumerate(CONFIG.indicators_for(CONFIG.unit(unit_code))):
        cell = f"{_col('chi_tieu', 'gia_tri')}{FIRST_ROW + n}"
        assert ws[cell.replace(cell[0], _col("chi_tieu", "ma_chi_tieu"), 1)].value == indicator.code
        dv = covered[cell]
        assert (dv.type, dv.operator, dv.formula1, dv.formula2) == EXPECTED_RULE[indicator.value_type], indicator.code
        assert not ws[cell].protection.locked
    awards = _validations(wb["khen_thuong"])
    assert awards[f"{_col('khen_thuong', 'ngay_quyet_dinh')}{FIRST_ROW}"].type == "date"
    assert awards[f"{_col('khen_thuong', 'hinh_thuc')}{FIRST_ROW}"].formula1 == "=danh_muc!$A$1:$A$4"
    muc = _validations(wb["noi_dung"])[f"{_col('noi_dung', 'muc')}{FIRST_ROW}"]
    codes = [code for code, _ in section_codes(CONFIG)]
    assert muc.formula1 == f"=danh_muc!$C$1:$C${len(codes)}"
    assert [wb["danh_muc"][f"C{r}"].value for r in range(1, len(codes) + 1)] == codes
    assert _validations(wb["thong_tin"])[f"B{FIRST_ROW + 4}"].type == "date"


def test_instructions_sheet_names_the_deadline_and_recipient_from_the_config():
    send = CONFIG.settings.nop_bao_cao.model_copy(update={"han_nop": "5/1", "noi_nhan": "Văn phòng UBND xã X"})
    config = CONFIG.model_copy(update={"settings": CONFIG.settings.model_copy(update={"nop_bao_cao": send})})

    guide = build_template(config, config.unit("TP1"), YEAR)[GUIDE_SHEET]

    text = "\n".join(c.value for row in guide.iter_rows() for c in row if c.value)
    assert f"Hạn nộp: 05/01/{YEAR}. Nơi nhận: Văn phòng UBND xã X" in text
    assert "2.780" in text and "4,97" in text and f"15/12/{YEAR}" in text and "phan_hoi_TP1.xlsx" in text


def _fill(path, *, values: dict, note: tuple | None = None, awards=(), person="Lê Văn C") -> None:
    """Type into the unlocked cells as a clerk would; openpyxl, like a clerk, needs no password."""
    wb = openpyxl.load_workbook(path)
    ws = wb["chi_tieu"]
    rows = {ws[f"{_col('chi_tieu', 'ma_chi_tieu')}{r}"].value: r for r in range(FIRST_ROW, ws.max_row + 1)}
    for code, value in values.items():
        ws[f"{_col('chi_tieu', 'gia_tri')}{rows[code]}"] = value
    if note:
        ws[f"{_col('chi_tieu', 'ghi_chu')}{rows[note[0]]}"] = note[1]
    for n, award in enumerate(awards):
        for code, value in zip(("hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh"), award):
            wb["khen_thuong"][f"{_col('khen_thuong', code)}{FIRST_ROW + n}"] = value
    wb["thong_tin"][f"B{FIRST_ROW + 3}"] = person
    wb["thong_tin"][f"B{FIRST_ROW + 4}"] = dt.date(YEAR, 12, 1)
    wb["noi_dung"][f"A{FIRST_ROW}"] = "II.2"
    wb["noi_dung"][f"B{FIRST_ROW}"] = "Đời sống văn hóa được nâng lên."
    wb.save(path)


def _read_back(subs, db) -> dict:
    ingest_year(CONFIG, subs, YEAR, db)
    with duckdb.connect(str(db), read_only=True) as con:
        def rows(sql):
            return con.execute(sql).fetchall()
        return {
            "status": rows("select ma_don_vi, trang_thai from submission_status where trang_thai <> 'missing' order by 1"),
            "values": rows("select unit_code, indicator_code, gia_tri, ghi_chu, row_number from stg_indicator_value "
                           "order by 1, row_number"),
            "awards": rows("select unit_code, hinh_thuc, doi_tuong, ten, so_quyet_dinh, ngay_quyet_dinh from stg_award "
                           "order by 1, 4"),
            "submissions": rows("select unit_code, ten_don_vi, nguoi_lap, ngay_lap from stg_submission order by 1"),
            "narrative": rows("select unit_code, muc, noi_dung from stg_narrative order by 1"),
            "findings": rows("select unit_code, check_code, message_vi from finding where unit_code in ('TCKH', 'TTT')"),
        }


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """TCKH and TTT filled in; the same files once more after LibreOffice opened and saved them (one conversion)."""
    root = tmp_path_factory.mktemp("filled")
    year_dir = root / "openpyxl" / str(YEAR)
    year_dir.mkdir(parents=True)
    for code in ("TCKH", "TTT"):
        build_template(CONFIG, CONFIG.unit(code), YEAR).save(year_dir / f"{code}.xlsx")
    _fill(year_dir / "TCKH.xlsx", values={"tang_truong_kinh_te": 6.54, "thu_ngan_sach": "99.605",
                                          "thu_nhap_binh_quan": "42,5"},
          note=("thu_ngan_sach", "Số ước thực hiện"),
          awards=[("Giấy khen", "Tập thể", "Tổ Kế hoạch", "12/QĐ-UBND", dt.date(YEAR, 12, 15))])
    commune = {i.code: (1 if i.value_type == "flag" else 10 + n)
               for n, i in enumerate(CONFIG.indicators_for(CONFIG.unit("TTT")))}
    _fill(year_dir / "TTT.xlsx", values={**commune, "so_ho": 2780, "kinh_phi_nha_dai_doan_ket": 4.97},
          awards=[("Lao động tiên tiến", "Cá nhân", "Nguyễn Thị Ánh", "7/QĐ-UBND", dt.date(YEAR, 11, 30)),
                  ("Giấy khen", "Cá nhân", "Trần Văn Bảy", "8/QĐ-UBND", dt.date(YEAR, 12, 1))], person="Võ Thị Đào")
    return root, year_dir


def test_filled_template_is_read_back_unchanged(filled):
    root, _ = filled

    got = _read_back(root / "openpyxl", root / "openpyxl.duckdb")

    assert got["status"] == [("TCKH", "accepted"), ("TTT", "accepted")]
    assert [r for r in got["values"] if r[0] == "TCKH"] == [
        ("TCKH", "tang_truong_kinh_te", 6.54, None, FIRST_ROW), ("TCKH", "thu_ngan_sach", 99605.0, "Số ước thực hiện", FIRST_ROW + 1),
        ("TCKH", "thu_nhap_binh_quan", 42.5, None, FIRST_ROW + 2)]
    assert ("TTT", "so_ho", 2780.0, None, FIRST_ROW) in got["values"]
    assert got["awards"][0] == ("TCKH", "giay_khen", "tap_the", "Tổ Kế hoạch", "12/QĐ-UBND", dt.date(YEAR, 12, 15))
    assert got["submissions"] == [("TCKH", "Phòng Tài chính - Kế hoạch", "Lê Văn C", dt.date(YEAR, 12, 1)),
                                  ("TTT", "Thị trấn Thường Thới Tiền", "Võ Thị Đào", dt.date(YEAR, 12, 1))]
    assert got["narrative"] == [("TCKH", "II.2", "Đời sống văn hóa được nâng lên."),
                                ("TTT", "II.2", "Đời sống văn hóa được nâng lên.")]
    assert got["findings"] == []


@pytest.mark.skipif(SOFFICE is None and os.environ.get("CI", "").lower() not in ("1", "true", "yes"), reason="LibreOffice (soffice) is not installed")
def test_template_saved_by_libreoffice_reads_back_the_same(filled, tmp_path_factory):
    root, year_dir = filled
    lo_dir = root / "libreoffice" / str(YEAR)
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path_factory.mktemp('lo')}", "--headless",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(lo_dir),
                    *map(str, sorted(year_dir.iterdir()))], check=True, capture_output=True, timeout=180)

    by_openpyxl = _read_back(root / "openpyxl", root / "a.duckdb")
    by_libreoffice = _read_back(root / "libreoffice", root / "b.duckdb")

    assert by_libreoffice == by_openpyxl
    wb = openpyxl.load_workbook(lo_dir / "TTT.xlsx")  # LibreOffice kept the protection and the validations
    assert wb["chi_tieu"].protection.sheet and wb["danh_muc"].sheet_state == "hidden"
    assert len(_validations(wb["chi_tieu"])) >= len(CONFIG.indicators_for(CONFIG.unit("TTT")))


def test_control_characters_in_the_config_are_shown_not_fatal(tmp_path):
    unit = CONFIG.unit("TTT").model_copy(update={"name": "Thị trấn\x0bThường Thới Tiền\x00"})
    first = CONFIG.indicators_for(unit)[0]
    indicators = tuple(i.model_copy(update={"name": "Số hộ\x1f"}) if i.code == first.code else i for i in CONFIG.indicators)
    config = CONFIG.model_copy(update={"indicators": indicators})

    build_template(config, unit, YEAR).save(tmp_path / "TTT.xlsx")

    wb = openpyxl.load_workbook(tmp_path / "TTT.xlsx")
    assert wb["chi_tieu"][f"A{FIRST_ROW}"].value == "Số hộ␟"
    assert wb["thong_tin"][f"B{FIRST_ROW + 1}"].value == "Thị trấn␋Thường Thới Tiền␀"


def test_award_dropdown_offers_the_configured_titles_of_the_year():
    """A province's own titles (config/awards.yaml) are offered; a title not yet in existence is not."""
    from tasks.config import Award

    extra = (Award(code="bang_khen_tinh", name="Bằng khen của Chủ tịch UBND tỉnh", **{"from": 2026}),)
    config = CONFIG.model_copy(update={"awards": CONFIG.awards + extra})

    def offered(year):
        wb = build_template(config, config.unit("TP1"), year)
        lists = next(ws for ws in wb.worksheets if ws.sheet_state == "hidden")
        return [c.value for c in lists["A"] if c.value]

    assert offered(2026)[-1] == "Bằng khen của Chủ tịch UBND tỉnh"
    assert "Bằng khen của Chủ tịch UBND tỉnh" not in offered(2025)
    assert offered(2025) == [a.name for a in CONFIG.awards if a.exists_in(2025)]
