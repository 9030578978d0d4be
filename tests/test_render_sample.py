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


def test_sample_writes_the_three_drafts(sample_report):
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
