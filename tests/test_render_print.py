"""The 2015–2020 draft as a reviewer prints it: DOCX → PDF with LibreOffice, read back with poppler.

One conversion for the module (LibreOffice takes a few seconds even on a quiet machine).
"""

from __future__ import annotations

import re
import os
import shutil
import subprocess
from datetime import date

import docx
import pytest

from tasks.config import load_config
from tasks.render import render_report

pytestmark = pytest.mark.skipif(os.environ.get("CI", "").lower() not in ("1", "true", "yes")
                                and (not shutil.which("soffice") or not shutil.which("pdftotext")),
                                reason="LibreOffice and poppler are installed by .ci/run")


@pytest.fixture(scope="module")
def printed(sample_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    docx_path = render_report(load_config(), 2020, 5, sample_db, out / "out", report_date=date(2020, 12, 5))[0]
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{out}/lo",
                    "--convert-to", "pdf", "--outdir", str(out), str(docx_path)],
                   check=True, capture_output=True, timeout=300)
    pdf = out / "bao_cao_2020.pdf"
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    sizes = re.findall(r"Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+)", subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(len(pages)), str(pdf)], check=True, capture_output=True, text=True).stdout)
    appendix = [n for n, p in enumerate(pages) if "PHỤ LỤC I" in p][0]
    return {"document": docx.Document(str(docx_path)), "pages": pages, "appendix": pages[appendix:],
            "first_appendix_page": appendix, "sizes": [(float(w), float(h)) for w, h in sizes]}


def appendix_rows(document) -> list[list[str]]:
    table = next(t for t in document.tables if t.rows[0].cells[1].text == "Chỉ tiêu")
    return [[c.text for c in row.cells] for row in table.rows[1:]]


def test_every_number_of_phu_luc_i_prints_whole(printed):
    text = "\n".join(printed["appendix"])
    numbers = [re.match(r"[\d.,/]+", cell).group() for row in appendix_rows(printed["document"])
               for cell in row[3:] if cell[:1].isdigit()]
    assert len(numbers) == 36 * 6
    for number in set(numbers):
        whole = re.findall(rf"(?<![\d.,/]){re.escape(number)}(?![\d.,/])", text)
        assert len(whole) >= numbers.count(number), f"{number} breaks inside the digits"


def test_units_print_whole_words(printed):
    text = " ".join(" ".join(printed["appendix"]).split())
    assert "đồng/người/năm" in text


def test_the_header_row_repeats_on_every_appendix_page_and_no_row_splits(printed):
    assert len(printed["appendix"]) >= 2
    for page in printed["appendix"]:
        assert re.search(r"Stt\s+Chỉ tiêu\s+Đơn vị\s+tính\s+2016\s+2017\s+2018\s+2019\s+2020\s+Cả giai đoạn", page), page[:400]
    for row in appendix_rows(printed["document"]):
        # A row that split would leave its number on one page and its figures on the next.
        line = re.compile(rf"^\s*{row[0]}\s+{re.escape(row[1].split()[0])}.*{re.escape(row[7].split()[0])}", re.M)
        assert sum(bool(line.search(p)) for p in printed["appendix"]) == 1, row[:2]


def test_page_count_and_landscape_appendix(printed):
    pages, first = printed["pages"], printed["first_appendix_page"]
    # The sample's 24 units write every year of the period: about 25 portrait pages of body,
    # then Phụ lục I on two A4 landscape pages.
    assert 15 <= first <= 35, f"{len(pages)} pages, appendix from page {first + 1}"
    assert len(pages) - first == 2
    assert all(w < h for w, h in printed["sizes"][:first]) and all(w > h for w, h in printed["sizes"][first:])
    assert "Kèm theo Báo cáo số …/BC-UBND ngày 05/12/2020 của Ủy ban nhân dân huyện Hồng Ngự" in " ".join(
        printed["appendix"][0].split())
