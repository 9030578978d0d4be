"""Publishing a validation run: summary page, feedback workbooks, status CSV, Data Docs, artifacts."""

from __future__ import annotations

import csv
import re
import subprocess
import zipfile

import openpyxl
import pytest

from test_validation import CONFIG, ROW, YEAR, drop_file, resubmit, set_award, set_value, write_year
from tasks.ingest import ingest_year
from tasks.publish import publish_artifacts, publish_validation
from tasks.validate import validate_year

FORMULA = '=HYPERLINK("http://x.invalid","bấm")'
SCRIPT_NAME = "<script>alert(1)</script>"
EXPECTED_STATUS = {"TTT": "rejected", "PTA": "rejected", "PTB": "rejected", "LKB": "missing"}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A district year with a critical unit, a formula-looking value, a hostile name and a missing unit."""
    root = tmp_path_factory.mktemp("publish")
    submissions, out = root / "submissions", root / "out"
    db = out / "thidua.duckdb"
    write_year(submissions, YEAR)
    ingest_year(CONFIG, submissions, YEAR, db)
    resubmit(submissions, db, "TTT", set_value("so_khom_van_minh", 3))
    resubmit(submissions, db, "PTA", set_award(2, "hinh_thuc", FORMULA))
    resubmit(submissions, db, "TP1", lambda s: s["khen_thuong"].append(
        ["Giấy khen", "Cá nhân", SCRIPT_NAME, "1/QĐ", f"15/12/{YEAR}"]) or s["khen_thuong"].append(
        ["Giấy khen", "Cá nhân", SCRIPT_NAME, "2/QĐ", f"16/12/{YEAR}"]))
    drop_file(submissions, db, "LKB")
    (submissions / str(YEAR) / "PTB.xlsx").write_bytes(b"not a workbook")
    ingest_year(CONFIG, submissions, YEAR, db)
    summary = validate_year(CONFIG, YEAR, db)
    paths = publish_validation(CONFIG, YEAR, db, out)
    return summary, paths, out / str(YEAR)


def test_publish_writes_summary_feedback_status_and_data_docs(published):
    _, paths, year_dir = published
    v = year_dir / "validation"
    assert sorted(p.relative_to(year_dir).as_posix() for p in paths) == sorted([
        "submission_status.csv", "validation/index.html", "validation/data_docs/index.html",
        "validation/don_vi/TTT.html", "validation/phan_hoi_TTT.xlsx", "validation/mau_TTT.xlsx",
        "validation/don_vi/PTA.html", "validation/phan_hoi_PTA.xlsx", "validation/mau_PTA.xlsx",
        "validation/don_vi/TP1.html", "validation/phan_hoi_TP1.xlsx",
        "validation/don_vi/LKB.html", "validation/phan_hoi_LKB.xlsx", "validation/mau_LKB.xlsx",
        "validation/don_vi/PTB.html", "validation/phan_hoi_PTB.xlsx", "validation/mau_PTB.xlsx",
    ])
    assert all(p.is_file() for p in paths)
    assert "stg_indicator_value" in (v / "data_docs" / "index.html").read_text(encoding="utf-8")


def test_status_csv_starts_with_unit_and_status_for_every_expected_unit(published):
    _, _, year_dir = published
    with (year_dir / "submission_status.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["ma_don_vi", "trang_thai"]
    assert {r[0]: r[1] for r in rows[1:]} == {
        u.code: EXPECTED_STATUS.get(u.code, "accepted") for u in CONFIG.expected_units(YEAR)
    }


def test_feedback_workbook_names_indicator_place_value_and_fix(published):
    _, _, year_dir = published
    wb = openpyxl.load_workbook(year_dir / "validation" / "phan_hoi_TTT.xlsx")
    assert wb.sheetnames == ["Tóm tắt", "Danh sách lỗi"]
    rows = [[c.value for c in r] for r in wb["Danh sách lỗi"].iter_rows(min_row=2)]
    row = ROW("so_khom_van_minh")
    assert rows == [
        ["STT", "Mức độ", "Chỉ tiêu", "Vị trí trong tệp của đơn vị", "Giá trị đã ghi", "Lỗi", "Cách sửa"],
        [1, "Nghiêm trọng", "Số khóm đạt chuẩn văn minh đô thị", f"TTT.xlsx, sheet chi_tieu, ô B{row} (cột Giá trị)",
         "so_khom_van_minh = 3 > so_khom = 2",
         "Số liệu không hợp lý: so_khom_van_minh = 3 > so_khom = 2 (phần không thể lớn hơn tổng).",
         "Kiểm tra lại hai chỉ tiêu này trong sheet chi_tieu; số của phần phải nhỏ hơn hoặc bằng số của tổng."],
    ]


def test_file_rejected_at_ingest_gets_its_reason_in_the_feedback_workbook(published):
    _, _, year_dir = published
    ws = openpyxl.load_workbook(year_dir / "validation" / "phan_hoi_PTB.xlsx")["Danh sách lỗi"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    assert len(rows) == 1 and rows[0][1] == "Nghiêm trọng" and rows[0][3] == "PTB.xlsx"
    assert rows[0][5].startswith("Không mở được tệp Excel")


def test_feedback_workbook_keeps_formula_text_inert(published):
    _, _, year_dir = published
    path = year_dir / "validation" / "phan_hoi_PTA.xlsx"
    ws = openpyxl.load_workbook(path)["Danh sách lỗi"]
    cell = ws["E3"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA, "s", True)
    with zipfile.ZipFile(path) as zf:
        sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")]
    assert not any(re.search(rb"<f[ >]", s) for s in sheets)


def test_summary_and_unit_pages_escape_what_units_typed(published):
    _, _, year_dir = published
    page = (year_dir / "validation" / "don_vi" / "TP1.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert SCRIPT_NAME not in page


def test_summary_page_needs_no_network(published):
    _, _, year_dir = published
    page = (year_dir / "validation" / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=\"https?://", page)


def test_summary_page_in_headless_chromium_shows_each_units_status(published, tmp_path, chromium):
    _, _, year_dir = published
    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", (year_dir / "validation" / "index.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    rows = dict(re.findall(r'<tr data-unit="([A-Z0-9_]+)" data-status="(\w+)"', dom))
    assert rows == {u.code: EXPECTED_STATUS.get(u.code, "accepted") for u in CONFIG.expected_units(YEAR)}
    assert re.search(r'id="so-tra-lai">3<', dom) and re.search(r'id="so-chua-nop">1<', dom)
    assert "Hội Liên hiệp Phụ nữ huyện" in dom and "Xã Long Khánh B (LKB)" in dom


def test_artifacts_are_a_no_op_outside_a_flow_run(published):
    summary, paths, _ = published
    assert publish_artifacts(summary, paths) == []


def test_artifacts_inside_a_flow_run_use_stable_keys_per_output_folder(harness, published):
    from prefect import flow
    from prefect.artifacts import Artifact

    summary, paths, _ = published

    @flow
    def publish_flow(scope: str):
        return publish_artifacts(summary, paths, key_scope=scope)

    keys = publish_flow("huyen-a")
    assert publish_flow("huyen-b") == [f"thidua-validation-status-{YEAR}-huyen-b", f"thidua-validation-{YEAR}-huyen-b"]
    markdown = Artifact.get(f"thidua-validation-{YEAR}-huyen-a")
    table = Artifact.get(f"thidua-validation-status-{YEAR}-huyen-a")
    assert keys == [f"thidua-validation-status-{YEAR}-huyen-a", f"thidua-validation-{YEAR}-huyen-a"]
    assert "Chưa nộp: LKB" in markdown.data
    # A unit that has not submitted is missing, not a critical error of submitted data.
    submitted = sum(s["so_loi_nghiem_trong"] or 0 for s in summary.statuses if s["trang_thai"] != "missing")
    assert f"Lỗi nghiêm trọng trong bài đã nộp: **{submitted}**" in markdown.data
    assert '"ma_don_vi": "LKB"' in table.data and '"trang_thai": "missing"' in table.data
