"""End to end from the shipped sample: ingest → validate → aggregate → render, read back."""

from __future__ import annotations

import re
from datetime import date

import docx
import pytest

from tasks.config import load_config
from tasks.formatting import format_number
from tasks.render import render_report
from tests.test_render import SEED_AWARDS, SEED_SENTENCE_FIGURES, full_text


@pytest.fixture(scope="module")
def sample_report(sample_db, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("render") / "out"
    return render_report(load_config(), 2020, 5, sample_db, out_dir, report_date=date(2020, 12, 5))


def test_sample_writes_the_drafts_and_the_sources_workbook(sample_report):
    assert [p.name for p in sample_report] == ["bao_cao_2020.docx", "bao_cao_2020.html", "bao_cao_2020.md",
                                          "nguon_so_lieu_2020.xlsx"]
    assert all(p.stat().st_size > 10_000 for p in sample_report)


def test_sample_award_table_reads_back_as_the_seed(sample_report):
    document = docx.Document(str(sample_report[0]))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Stt")
    figures = [[c.text for c in row.cells][3:] for row in table.rows[1:]]
    assert figures == [[format_number(v) for v in counts] for counts in SEED_AWARDS.values()]


@pytest.mark.parametrize("sentence", SEED_SENTENCE_FIGURES)
def test_sample_states_the_seed_figures_as_the_seed_writes_them(sample_report, sentence):
    assert sentence in full_text(docx.Document(str(sample_report[0])))


def test_sample_narrative_reaches_the_sections(sample_report):
    text = full_text(docx.Document(str(sample_report[0])))
    part_one = text[text.index("Phần thứ nhất"):text.index("Phần thứ hai")]
    assert len(re.findall(r"\[Chưa có nội dung", part_one)) < 10


def test_sources_workbook_traces_a_figure_to_file_sheet_and_row(sample_report):
    import openpyxl

    ws = openpyxl.load_workbook(sample_report[3], read_only=True)["nguon_so_lieu"]
    rows = [dict(zip(next(ws.iter_rows(values_only=True)), r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    budget = [r for r in rows if r["Mã chỉ tiêu"] == "thu_ngan_sach" and r["Năm / giai đoạn"] == "2019"]
    assert [(r["Số liệu trong báo cáo"], r["Đơn vị báo cáo"], r["Tệp"].split(".")[0], r["Sheet"]) for r in budget] == [
        ("99,605 tỷ đồng", "Phòng Tài chính - Kế hoạch", "2019/TCKH", "chi_tieu")]
    assert isinstance(budget[0]["Dòng"], int) and budget[0]["Giá trị đơn vị báo"] == 99605
    # The period's figure lists every year's file.
    period = {r["Tệp"].split(".")[0] for r in rows
              if r["Mã chỉ tiêu"] == "thu_ngan_sach" and r["Năm / giai đoạn"] == "2016 - 2020"}
    assert period == {f"{y}/TCKH" for y in range(2016, 2021)}
