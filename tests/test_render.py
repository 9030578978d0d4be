"""The report draft: the decree's layout, the seed's figures, gaps named, hostile text inert."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from lxml import etree

from tasks.aggregate import aggregate
from tasks.config import Config, load_config
from tasks.db import open_db
from tasks.formatting import format_number
from tasks.render import RenderError, render_report
from tests.seed import SEED_AWARDS

YEARS = range(2016, 2021)
COMMUNES = ("TTT", "TP1", "TP2", "TL", "TTHA", "LKA", "LKB", "LT", "PTA", "PTB")



def _by_year(values: dict, year: int, default):
    return values.get(year, default)


def unit_values(unit: str, year: int) -> dict:
    """One unit's chi_tieu rows: the district totals sit in TTT, the other communes report zeros."""
    if unit == "TTT":
        return {
            "so_ho": 10_000, "so_ho_ngheo": _by_year({2019: 497, 2020: 450}, year, 600),
            "lao_dong_viec_lam": _by_year({2019: 2780}, year, 2500),
            "so_ho_van_hoa": _by_year({2020: 9234}, year, 9000),
            "so_ap": 37, "so_ap_van_hoa": _by_year({2020: 35}, year, 33),
            "so_khom": 5, "so_khom_van_minh": _by_year({2020: 5}, year, 4),
            "dat_chuan_y_te": 1, "dat_pho_cap_mam_non": 1, "dan_so": 50_000,
            "so_nguoi_tap_tdtt": _by_year({2016: 12_600, 2020: 17_505}, year, 15_000),
            "so_ho_tap_tdtt": _by_year({2016: 2500, 2020: 2601}, year, 2550),
            "so_san_tdtt": _by_year({2020: 210}, year, 200),
            "so_nha_dai_doan_ket": 157, "kinh_phi_nha_dai_doan_ket": _by_year({2020: 5320}, year, 5318),
        }
    if unit in COMMUNES:
        zero = ("so_ho", "so_ho_ngheo", "lao_dong_viec_lam", "so_ho_van_hoa", "so_ap", "so_ap_van_hoa",
                "so_khom", "so_khom_van_minh", "dan_so", "so_nguoi_tap_tdtt", "so_ho_tap_tdtt", "so_san_tdtt",
                "so_nha_dai_doan_ket", "kinh_phi_nha_dai_doan_ket")
        return {**{c: 0 for c in zero}, "dat_chuan_y_te": 1, "dat_pho_cap_mam_non": 1}
    return {
        "TCKH": {"tang_truong_kinh_te": _by_year({2019: 6.54}, year, 6.1),
                 "thu_ngan_sach": _by_year({2019: 99_605}, year, 90_000),
                 "thu_nhap_binh_quan": _by_year({2019: 42.5}, year, 40)},
        "GDDT": {"so_truong": 48, "so_truong_dat_chuan": _by_year({2020: 22}, year, 20)},
        "YT": {"ty_le_tre_suy_dinh_duong": _by_year({2020: 12}, year, 14)},
        "VHTT": {"so_co_quan": 23, "so_co_quan_van_hoa": _by_year({2020: 21}, year, 20)},
        "CA": {"so_vu_an_hinh_su": 23, "so_vu_an_kham_pha": 23 if year >= 2019 else 22},
        "NV": {"chi_so_cchc": _by_year({2016: 87.88, 2019: 90.11, 2020: 91.02}, year, 88.5)},
        "QS": {"quan_nhan_du_bi": _by_year({2020: 756}, year, 740)},
    }.get(unit, {})


SAME_WORDS = "Trạm Y tế xã giữ vững chuẩn quốc gia về y tế, không để dịch bệnh lớn xảy ra."
NARRATIVE_2020 = {
    "TTT": [("I", "Thị trấn triển khai kịp thời các kế hoạch thi đua của huyện."),
            ("II.2", "Đoạn của Thị trấn Thường Thới Tiền về văn hóa - xã hội."),
            ("II.99", "Nội dung gửi nhầm mục.")],
    "TP1": [("II.2", "Đoạn của Xã Thường Phước 1 về văn hóa - xã hội.")],
    # Three communes in the same words, one nearly so, and a unit that wrote in 2017 only.
    "TP2": [("II.7", SAME_WORDS)], "TL": [("II.7", SAME_WORDS)], "LT": [("II.7", " " + SAME_WORDS.upper())],
    "PTA": [("II.7", SAME_WORDS.replace("lớn", "lớn nào"))],
    "HD": [("II.9", "Huyện đoàn phát động phong trào thanh niên tình nguyện hè năm 2017.", 2017)],
    "MTTQ": [("II.3", "Mặt trận vận động xây dựng nông thôn mới.")],
    "NV": [("II.1", "Các phong trào thi đua trên lĩnh vực kinh tế được phát động hằng năm."),
           ("IV.1", "Phong trào thi đua ngày càng thiết thực."),
           ("P2.I.1", "Tiếp tục đổi mới công tác thi đua, khen thưởng.")],
}
QUARANTINED = {(2018, "YT")}
MISSING = {(2020, "LDLD")}


def add_submission(con, year: int, unit: str, *, quarantined: bool = False,
                   narrative: list[tuple[str, str]] = ()) -> int:
    """Insert one unit's submission as ingest leaves it in staging."""
    fv = con.execute(
        "insert into raw_file_version (nam, unit_code, source_path, file_format, sha256, size_bytes, version, "
        "status, ingest_run_id) values (?, ?, ?, 'xlsx', ?, 1, 1, 'accepted', 'test') returning file_version_id",
        [year, unit, f"{year}/{unit}.xlsx", f"sha-{year}-{unit}"],
    ).fetchone()[0]
    con.execute("insert into stg_submission values (?, ?, ?, ?, 'Người lập', null)", [fv, year, unit, unit])
    for n, (code, value) in enumerate(unit_values(unit, year).items(), start=2):
        con.execute("insert into stg_indicator_value values (?, ?, ?, ?, ?, ?, null, 'chi_tieu', ?)",
                    [fv, year, unit, code, value, str(value), n])
    for n, (muc, text) in enumerate(narrative, start=2):
        con.execute("insert into stg_narrative values (?, ?, ?, ?, ?, 'noi_dung', ?)", [fv, year, unit, muc, text, n])
    if quarantined:
        con.execute(
            "insert into finding (run_id, stage, check_code, severity, nam, unit_code, file_version_id, "
            "sheet_name, row_number, column_name, message_vi) "
            "values ('test', 'validate', 'gia_tri_am', 'critical', ?, ?, ?, 'chi_tieu', 2, 'gia_tri', 'Giá trị âm')",
            [year, unit, fv])
    return fv


def build_seed_district(config: Config, db_path: Path, *, narrative: dict | None = None,
                        period_years: int = 5, missing: set = MISSING, quarantined: set = QUARANTINED) -> Path:
    """Stage 2016–2020 for every expected unit, then run the real aggregation."""
    narrative = NARRATIVE_2020 if narrative is None else narrative
    with open_db(db_path) as con:
        for year in YEARS:
            for unit in config.expected_units(year):
                if (year, unit.code) in missing:
                    continue
                # (muc, text) is the report year's; (muc, text, year) another year of the period.
                lines = [line[:2] for line in narrative.get(unit.code, []) if (line[2:] or (2020,))[0] == year]
                fv = add_submission(con, year, unit.code, quarantined=(year, unit.code) in quarantined,
                                    narrative=lines)
                if unit.code == "TTT":
                    for (hinh_thuc, doi_tuong), counts in SEED_AWARDS.items():
                        con.execute(
                            "insert into stg_award select ?, ?, 'TTT', ?, ?, ?, ?, 'Người nhận ' || range, "
                            "'01/QĐ-UBND', null, null, 'khen_thuong', range + 2 from range(?)",
                            [fv, year, hinh_thuc, doi_tuong, hinh_thuc, doi_tuong, counts[year - 2016]])
    aggregate(config, 2020, period_years, db_path)
    return db_path


ISSUED_ON = date(2020, 12, 5)


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture(scope="module")
def seed_db(config, tmp_path_factory):
    return build_seed_district(config, tmp_path_factory.mktemp("seed") / "thidua.duckdb")


@pytest.fixture(scope="module")
def seed_report(config, seed_db):
    """The 2016–2020 draft of the seed district: (docx.Document, html text, markdown text)."""
    paths = render_report(config, 2020, 5, seed_db, seed_db.parent / "out", report_date=ISSUED_ON)
    return docx.Document(str(paths[0])), paths[1].read_text(encoding="utf-8"), paths[2].read_text(encoding="utf-8")


def body_paragraphs(document) -> list:
    """Body paragraphs in reading order, table cells included."""
    out = []
    for block in document.element.body.iterchildren():
        if block.tag.endswith("}p"):
            out.append(docx.text.paragraph.Paragraph(block, document))
        elif block.tag.endswith("}tbl"):
            table = docx.table.Table(block, document)
            for row in table.rows:
                seen = set()
                for cell in row.cells:
                    if id(cell._tc) not in seen:
                        seen.add(id(cell._tc))
                        out.extend(cell.paragraphs)
    return out


def text_of(p) -> str:
    """A paragraph's text with its non-breaking spaces read as spaces."""
    return p.text.replace("\u00a0", " ")


def plain_html(html: str) -> str:
    """The HTML with its no-break periods ("2015&nbsp;-&nbsp;2020" in a nowrap span) as plain text."""
    return re.sub(r'<span class="lien">(.*?)</span>', r"\1", html).replace("&nbsp;", " ").replace("\u00a0", " ")


def full_text(document) -> str:
    return "\n".join(text_of(p) for p in body_paragraphs(document))


def paragraph(document, text: str):
    found = [p for p in body_paragraphs(document) if text_of(p).strip() == text]
    assert found, f"no paragraph {text!r}"
    return found[0]


def is_bold(p) -> bool:
    return all(r.bold for r in p.runs if r.text.strip())


def is_italic(p) -> bool:
    return all(r.italic for r in p.runs if r.text.strip())


def header_cells(document):
    table = document.tables[0]
    return table.rows[0].cells


def signature_cells(document):
    table = next(t for t in document.tables if t.rows[0].cells[0].text.startswith("Nơi nhận:"))
    return table.rows[0].cells


# The nine components of a văn bản hành chính, Nghị định 30/2020/NĐ-CP, Điều 8 khoản 2.
NINE_COMPONENTS = [
    ("a) Quốc hiệu và Tiêu ngữ", lambda d: (
        [p.text for p in header_cells(d)[1].paragraphs][:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                                                 "Độc lập - Tự do - Hạnh phúc"]
        and all(is_bold(p) for p in header_cells(d)[1].paragraphs[:2]))),
    ("b) Tên cơ quan ban hành", lambda d: (
        [p.text for p in header_cells(d)[0].paragraphs if p.text][:2] == ["ỦY BAN NHÂN DÂN", "HUYỆN HỒNG NGỰ"])),
    ("c) Số, ký hiệu (số để trống cho văn thư)", lambda d: any(
        re.fullmatch(r"Số:\s{6}/BC-UBND", p.text) for p in header_cells(d)[0].paragraphs)),
    ("d) Địa danh và thời gian ban hành", lambda d: any(
        p.text == "Hồng Ngự, ngày 05 tháng 12 năm 2020" and is_italic(p) for p in header_cells(d)[1].paragraphs)),
    ("đ) Tên loại và trích yếu", lambda d: (
        is_bold(paragraph(d, "BÁO CÁO"))
        and is_bold(paragraph(d, "Kết quả thực hiện phong trào thi đua, công tác khen thưởng giai đoạn 2015 - 2020 "
                                 "và phương hướng, nhiệm vụ trọng tâm giai đoạn 2020 - 2025")))),
    ("e) Nội dung", lambda d: (
        is_bold(paragraph(d, "Phần thứ nhất")) and is_bold(paragraph(d, "Phần thứ hai")))),
    ("g) Chức vụ, họ tên người ký", lambda d: (
        [p.text for p in signature_cells(d)[1].paragraphs if p.text]
        == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn Khơi"])),
    # The space for signature and seal is left empty, as on a signed original: no "(Chữ ký, dấu)".
    ("h) Dấu, chữ ký số (chỗ ký và đóng dấu để trống)", lambda d: (
        [p.text for p in signature_cells(d)[1].paragraphs][2] == ""
        and signature_cells(d)[1].paragraphs[2].paragraph_format.space_after.pt >= 48
        and "dấu" not in full_text(d))),
    ("i) Nơi nhận", lambda d: (
        is_bold(signature_cells(d)[0].paragraphs[0]) and is_italic(signature_cells(d)[0].paragraphs[0])
        and [p.text for p in signature_cells(d)[0].paragraphs] == [
            "Nơi nhận:", "- Sở Nội vụ;", "- TV Cụm thi đua số 3 Tỉnh;", "- Các PCT/UBND Huyện;", "- Lưu: VT."])),
]


@pytest.mark.parametrize("component, present", NINE_COMPONENTS, ids=[c[0] for c in NINE_COMPONENTS])
def test_docx_has_each_component_of_dieu_8(seed_report, component, present):
    assert present(seed_report[0]), component


def test_docx_page_is_a4_with_the_decree_margins_and_times_new_roman(seed_report):
    document = seed_report[0]
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    # Word keeps margins in twips: 15 mm is 850 twips, 14,99 mm; compare to a tenth of a millimetre.
    top, bottom, left, right = (round(m.mm, 1) for m in (section.top_margin, section.bottom_margin,
                                                        section.left_margin, section.right_margin))
    assert 20 <= top <= 25 and 20 <= bottom <= 25 and 30 <= left <= 35 and 15 <= right <= 20
    assert document.styles["Normal"].font.name == "Times New Roman"
    runs = [r for p in body_paragraphs(document) for r in p.runs if r.text.strip()]
    assert runs and {r.font.name for r in runs} == {"Times New Roman"}


def test_docx_body_is_justified_13_to_14_pt_with_first_line_indent(seed_report):
    document = seed_report[0]
    opening = next(p for p in body_paragraphs(document) if p.text.startswith("Trên cơ sở báo cáo"))
    assert opening.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.JUSTIFY
    assert opening.paragraph_format.first_line_indent.cm == pytest.approx(1, abs=0.3)
    assert {r.font.size.pt for r in opening.runs} <= {13, 14}


def test_page_numbers_start_on_page_two(seed_report):
    section = seed_report[0].sections[0]
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml
    assert "PAGE" not in section.first_page_header._element.xml


def test_award_table_holds_the_35_seed_figures_in_vietnamese_format(seed_report):
    table = next(t for t in seed_report[0].tables if t.rows[0].cells[0].text == "Stt")
    assert [c.text for c in table.rows[0].cells] == ["Stt", "Nội dung", "Nội dung", "2016", "2017", "2018", "2019", "2020"]
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    labels = {"giay_khen": "Giấy khen", "lao_dong_tien_tien": "Danh hiệu Lao động tiên tiến",
              "chien_si_tien_tien": "Chiến sĩ tiên tiến", "chien_si_thi_dua_co_so": "Chiến sĩ thi đua cấp cơ sở"}
    targets = {"tap_the": "Tập thể", "ca_nhan": "Cá nhân"}
    stt = {code: f"{n:02d}" for n, code in enumerate(labels, start=1)}
    expected = [[stt[h], labels[h], targets[d], *[format_number(v) for v in counts]]
                for (h, d), counts in SEED_AWARDS.items()]
    assert rows == expected
    assert sum(len(r) - 3 for r in expected) == 35
    assert ["1.093", "1.198"] == rows[3][5:7]


# The seed report's figures, written as the seed writes them, in the sentence that states them.
SEED_SENTENCE_FIGURES = [
    "tốc độ tăng trưởng kinh tế (GRDP) của huyện đạt 6,54%",
    "tổng thu ngân sách nhà nước trên địa bàn đạt 99,605 tỷ đồng",
    "giải quyết việc làm cho 2.780 người",
    "tỷ lệ hộ nghèo còn 4,97%",
    "thu nhập bình quân đầu người đạt 42,5 triệu đồng/người/năm",
    "có 22/48 trường đạt chuẩn quốc gia",
    "10/10 xã, thị trấn đạt chuẩn phổ cập giáo dục mầm non",
    "10/10 xã, thị trấn đạt chuẩn quốc gia về y tế",
    "dưới 5 tuổi suy dinh dưỡng là 12%",
    "tiêu chuẩn văn hóa là 92,34%",
    "94,59% ấp đạt tiêu chuẩn",
    "100% khóm đạt chuẩn văn minh đô thị",
    "91,30% cơ quan, đơn vị đạt chuẩn văn hóa",
    # The seed prints "25,2%"; the catalogue gives this rate two decimals (docs/report.md).
    "thường xuyên năm 2016 là 25,20%, năm 2020 là 35,01%",
    "thể dục thể thao năm 2016 là 25%, năm 2020 là 26,01%",
    "có 210 sân hoạt động thể dục thể thao",
    "sửa chữa 785 căn nhà đại đoàn kết",
    "với kinh phí 26,592 tỷ đồng",
    "với 756 quân nhân dự bị",
    "đạt 112/115 vụ, tỷ lệ 97,4%",
    "năm 2019 đạt 90,11 điểm, tăng 2,23 điểm so với năm 2016 (87,88 điểm)",
]


@pytest.mark.parametrize("sentence", SEED_SENTENCE_FIGURES)
def test_seed_figures_are_written_into_sentences_as_the_seed_writes_them(seed_report, sentence):
    document, html, md = seed_report
    assert sentence in full_text(document)
    assert sentence in re.sub(r"\[\^\d+\]", "", md)


@pytest.mark.parametrize("needle", [
    "Năm 2018: mới tổng hợp được 23/24 đơn vị; báo cáo bị trả lại do có lỗi nghiêm trọng, chưa được tổng hợp: Phòng Y tế.",
    "Năm 2020: mới tổng hợp được 23/24 đơn vị; chưa gửi báo cáo: Liên đoàn Lao động huyện.",
    "[Chưa có nội dung: chưa có đơn vị nào gửi nội dung cho mục “Hạn chế và nguyên nhân” trong 5 năm (2016 - 2020); "
    "văn phòng bổ sung trước khi trình ký.]",
    "Nội dung của Thị trấn Thường Thới Tiền gửi cho mục “II.99” không có trong báo cáo",
])
def test_missing_quarantined_units_and_empty_sections_are_named_in_every_output(seed_report, needle):
    document, html, md = seed_report
    assert needle in full_text(document)
    assert needle in plain_html(html)
    assert needle.replace("[", "\\[").replace("]", "\\]").replace("_", "\\_") in md.replace("\u00a0", " ")


def test_narrative_follows_the_registry_order_under_its_section(seed_report):
    texts = [text_of(p) for p in body_paragraphs(seed_report[0])]
    heading = texts.index("2. Phong trào thi đua trên lĩnh vực văn hóa - xã hội; thực hiện chính sách an sinh xã hội:")
    # The section's lead paragraphs (figures) come first, then the units' text.
    assert texts[heading + 1].startswith("Đến năm 2020, toàn huyện có 22/48 trường")
    assert texts[heading + 4:heading + 6] == ["Đoạn của Thị trấn Thường Thới Tiền về văn hóa - xã hội.",
                                              "Đoạn của Xã Thường Phước 1 về văn hóa - xã hội."]


def test_every_catalogue_indicator_reaches_the_appendix(seed_report, config):
    text = full_text(seed_report[0])
    appendix = text[text.index("PHỤ LỤC I"):]
    assert [i.name for i in config.indicators if i.name not in appendix] == []


def test_each_figure_names_the_units_and_files_it_came_from(seed_report):
    document, html, md = seed_report
    note = ("Tổng thu ngân sách nhà nước trên địa bàn, 2019: 99,605 tỷ đồng. "
            "Nguồn: Phòng Tài chính - Kế hoạch (2019/TCKH.xlsx, sheet chi_tieu, dòng 3).")
    assert f'title="{note}"' in html
    assert "Công an huyện (2016/CA.xlsx, sheet chi\\_tieu, dòng 2; 2017/CA.xlsx" in md
    # A quarantined submission is never given as a source.
    assert "2018/YT.xlsx" not in html and "2018/YT.xlsx" not in md


@pytest.mark.parametrize("sign_off, is_draft", [
    (None, True),
    ({"decision": "reject", "name": "Trần Thị B", "comment": "Thiếu số liệu", "decided_at": "2020-12-04"}, True),
    ({"decision": "approve", "name": "Trần Thị B", "comment": "", "decided_at": "2020-12-04"}, False),
])
def test_draft_is_marked_until_the_data_is_approved(config, seed_db, tmp_path, sign_off, is_draft):
    docx_path, html_path, md_path = render_report(config, 2020, 5, seed_db, tmp_path / "out", sign_off=sign_off)[:3]
    section = docx.Document(str(docx_path)).sections[0]
    headers = section.header._element.xml + section.first_page_header._element.xml
    html, md = html_path.read_text(encoding="utf-8"), md_path.read_text(encoding="utf-8")
    assert [("DỰ THẢO" in headers), ('string="DỰ THẢO"' in headers), ('class="du-thao-nen"' in html),
            ("**DỰ THẢO**" in md)] == [is_draft] * 4
    if sign_off:
        assert "— Trần Thị B, 2020-12-04" in html
    if not is_draft:
        # The approved report carries the day the data was approved, not the day it was rendered.
        assert "Hồng Ngự, ngày 04 tháng 12 năm 2020" in html


def test_a_missing_single_reporter_shows_as_no_data_not_zero(config, tmp_path):
    db = build_seed_district(config, tmp_path / "thidua.duckdb", missing={(2020, "QS")})
    docx_path, html_path, _ = render_report(config, 2020, 5, db, tmp_path / "out", report_date=ISSUED_ON)[:3]
    text = full_text(docx.Document(str(docx_path)))
    assert "với [chưa có số liệu] quân nhân dự bị" in text
    assert "chưa gửi báo cáo: Ban Chỉ huy Quân sự huyện" in text
    assert 'class="so-lieu thieu"' in html_path.read_text(encoding="utf-8")


def test_yearly_report_has_one_year_column_and_states_that_year(config, tmp_path):
    db = build_seed_district(config, tmp_path / "thidua.duckdb", period_years=1)
    docx_path, _, _ = render_report(config, 2020, 1, db, tmp_path / "out", report_date=ISSUED_ON)[:3]
    document = docx.Document(str(docx_path))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Stt")
    assert [c.text for c in table.rows[0].cells] == ["Stt", "Nội dung", "Nội dung", "2020"]
    text = full_text(document)
    assert "KẾT QUẢ THỰC HIỆN PHONG TRÀO THI ĐUA, CÔNG TÁC KHEN THƯỞNG NĂM 2020" in text
    assert "Năm 2020, tốc độ tăng trưởng kinh tế (GRDP) của huyện đạt 6,10%" in text


def test_render_before_aggregation_says_what_to_run(config, tmp_path):
    with pytest.raises(RenderError, match="aggregate"):
        render_report(config, 2020, 5, tmp_path / "empty.duckdb", tmp_path / "out")


HOSTILE = ('<script>alert("x")</script> ]]> & <b>đậm</b> \'nháy\' "kép" \x01\x0b\x1f\x7f\ufffe 🎉 '
           + unicodedata.normalize("NFD", "Hồng Ngự"))


def test_hostile_narrative_is_inert_in_html_and_markdown_and_valid_in_docx(config, tmp_path):
    db = build_seed_district(config, tmp_path / "thidua.duckdb", narrative={"TTT": [("I", HOSTILE)]})
    docx_path, html_path, md_path = render_report(config, 2020, 5, db, tmp_path / "out", report_date=ISSUED_ON)[:3]
    cleaned = '<script>alert("x")</script> ]]> & <b>đậm</b> \'nháy\' "kép"  🎉 Hồng Ngự'

    html = html_path.read_text(encoding="utf-8")
    assert "<script" not in html and "<b>đậm" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; ]]&gt; &amp; &lt;b&gt;đậm&lt;/b&gt;" in html
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe]", html)
    assert "🎉 Hồng Ngự" in html  # NFC: the composed form a search for "Hồng Ngự" finds

    with zipfile.ZipFile(docx_path) as z:
        etree.fromstring(z.read("word/document.xml"))  # well-formed XML
    texts = [p.text for p in body_paragraphs(docx.Document(str(docx_path)))]
    assert cleaned in texts

    md = md_path.read_text(encoding="utf-8")
    # Every "<" of submitted text is backslash-escaped, so a Markdown renderer prints it.
    assert not re.search(r"(?<!\\)<(script|b>đậm)", md) and "\\<script\\>" in md


def test_a_shorter_catalogue_still_renders_and_names_the_gap(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    for name in ("units.yaml", "settings.yaml", "sections.yaml"):
        (config_dir / name).write_text((Path(load_config().config_dir) / name).read_text(encoding="utf-8"),
                                       encoding="utf-8")
    catalogue = (Path(load_config().config_dir) / "indicators.yaml").read_text(encoding="utf-8")
    (config_dir / "indicators.yaml").write_text(
        "\n".join(line for line in catalogue.splitlines() if "quan_nhan_du_bi" not in line), encoding="utf-8")
    config = load_config(config_dir)
    db = build_seed_district(config, tmp_path / "thidua.duckdb")
    docx_path, _, _ = render_report(config, 2020, 5, db, tmp_path / "out", report_date=ISSUED_ON)[:3]
    assert "với [chưa có số liệu] quân nhân dự bị" in full_text(docx.Document(str(docx_path)))


def test_html_markdown_and_docx_carry_the_same_headings(seed_report):
    document, html, md = seed_report
    from_html = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[34]>(.*?)</h[34]>", plain_html(html))]
    from_md = [line.lstrip("#").strip().replace("\u00a0", " ") for line in md.splitlines() if re.match(r"#{3,4} ", line)]
    from_docx = [text_of(p).rstrip(":") for p in body_paragraphs(document)
                 if p.text.endswith(":") and is_bold(p) and re.match(r"[IVX\d]+\. ", p.text)]
    assert len(from_html) == 20 and from_html == from_md == from_docx


# --- The draft the office can send (issue 13) -------------------------------------------------


def body_texts(document) -> list[str]:
    """The body from the opening to the closing sentence (before Nơi nhận), as paragraph texts."""
    texts = [text_of(p) for p in body_paragraphs(document)]
    return texts[texts.index("BÁO CÁO"):texts.index("Nơi nhận:")]


def test_no_body_paragraph_appears_twice(seed_report):
    texts = [t for t in body_texts(seed_report[0]) if len(t) > 40 and not t.startswith("[Chưa có nội dung")]
    assert [t for t in set(texts) if texts.count(t) > 1] == []


def test_same_words_from_several_units_print_once_naming_them_and_near_copies_are_flagged(seed_report):
    document, html, md = seed_report
    text = full_text(document)
    assert text.count("Trạm Y tế xã giữ vững chuẩn") == 1
    assert ("Trạm Y tế xã giữ vững chuẩn quốc gia về y tế, không để dịch bệnh lớn xảy ra "
            "(Xã Thường Phước 2, Xã Thường Lạc, Xã Long Thuận).") in text
    assert ("đoạn của Xã Phú Thuận A (năm 2020) gần trùng với đoạn của Xã Thường Phước 2, Xã Thường Lạc, "
            "Xã Long Thuận (năm 2020)") in text


def test_a_period_report_draws_on_every_year_of_the_period(seed_report):
    assert "Huyện đoàn phát động phong trào thanh niên tình nguyện hè năm 2017." in full_text(seed_report[0])


def test_the_opening_cites_the_documents_of_sections_yaml(seed_report):
    texts = [t for t in body_texts(seed_report[0]) if t]
    assert texts[2].startswith(
        "Thực hiện Kế hoạch số 179/KH-UBND ngày 26 tháng 7 năm 2019 của Ủy ban nhân dân tỉnh Đồng Tháp về việc")
    assert texts[3].startswith("Trên cơ sở báo cáo của các xã, thị trấn, các phòng, ban, ngành")


def test_the_docx_names_no_file_and_no_sheet(seed_report):
    document = seed_report[0]
    xml = document.element.xml + "".join(s.header._element.xml for s in document.sections)
    assert not re.search(r"\.(xlsx|xls|csv|ods)\b|/tmp/|submissions|chi_tieu|PHỤ LỤC II", xml)


def test_the_body_ends_with_the_closing_mark(seed_report):
    assert body_texts(seed_report[0])[-1].endswith("./.")
    assert "./." not in "\n".join(body_texts(seed_report[0])[:-1])


def test_the_subject_never_breaks_inside_the_period(seed_report):
    subject = next(p.text for p in body_paragraphs(seed_report[0]) if p.text.startswith("Kết quả thực hiện"))
    assert "2015\u00a0-\u00a02020" in subject and "2020\u00a0-\u00a02025" in subject


def test_each_appendix_says_which_report_it_belongs_to(seed_report):
    document, html, md = seed_report
    line = "(Kèm theo Báo cáo số …/BC-UBND ngày 05/12/2020 của Ủy ban nhân dân huyện Hồng Ngự)"
    texts = [text_of(p) for p in body_paragraphs(document)]
    assert texts[texts.index("PHỤ LỤC I") - 1] == line
    assert line in html and line in md


def test_appendix_rows_keep_one_number_format_and_a_period_value_only_where_the_catalogue_defines_it(seed_report):
    table = next(t for t in seed_report[0].tables if t.rows[0].cells[1].text == "Chỉ tiêu")
    rows = {r.cells[1].text: [c.text for c in r.cells[3:]] for r in table.rows[1:]}
    assert rows["Tỷ lệ gia đình tập luyện thể dục thể thao"][:5] == ["25,00", "25,50", "25,50", "25,50", "26,01"]
    assert rows["Tổng thu ngân sách nhà nước trên địa bàn"][5] == "459.605 (tổng 5 năm)"
    assert rows["Số hộ nghèo"][5] == "450 (năm 2020)"
    assert rows["Tỷ lệ điều tra khám phá các vụ án hình sự"][5] == "97,4 (tổng 5 năm)"
    xml = table._tbl.xml
    assert xml.count("<w:tblHeader/>") == 1 and xml.count("<w:cantSplit/>") == len(table.rows)


def test_the_date_line_follows_report_date_and_is_left_blank_without_one(config, seed_db, tmp_path):
    dated = docx.Document(str(render_report(config, 2020, 5, seed_db, tmp_path / "a",
                                            report_date=date(2021, 1, 7))[0]))
    assert "Hồng Ngự, ngày 07 tháng 01 năm 2021" in [p.text for p in header_cells(dated)[1].paragraphs]
    blank = docx.Document(str(render_report(config, 2020, 5, seed_db, tmp_path / "b",
                                            signed_before={"signed_on": date(2020, 12, 20), "draft_version": 2})[0]))
    texts = [text_of(p) for p in body_paragraphs(blank)]
    assert "Hồng Ngự, ngày … tháng … năm …" in texts
    assert "(Kèm theo Báo cáo số …/BC-UBND ngày … của Ủy ban nhân dân huyện Hồng Ngự)" in texts
    assert "Đã có bản ký duyệt ngày 20/12/2020; bản này là dự thảo mới." in texts


def test_every_configured_chart_is_in_the_html_and_the_docx(seed_report, config):
    from io import BytesIO

    from PIL import Image

    from tasks.report.context import load_sections

    document, html, md = seed_report
    charts = [c for c in load_sections(config)["bieu_do"] if "bao_cao" in c["trang"]]
    assert len(charts) >= 2
    for c in charts:
        assert f'id="bieu-do-{c["ma"]}"><img src="data:image/png;base64,' in html
        assert any(text_of(p).endswith(c["tieu_de"]) and text_of(p).startswith("Biểu đồ") for p in
                   body_paragraphs(document))
    images = [r.target_part.blob for r in document.part.rels.values() if "image" in r.reltype]
    assert len(images) == len(charts)
    for blob in images:
        assert Image.open(BytesIO(blob)).size[0] > 600


def test_a_placeholder_names_what_is_missing_in_words_never_a_code(seed_report, config):
    document, html, md = seed_report
    codes = [str(s["code"]) for s in load_sections_cfg(config)]
    placeholders = [t for t in full_text(document).splitlines() if t.startswith("[Chưa có nội dung")]
    assert len(placeholders) >= 5
    for text in placeholders:
        assert "noi_dung" not in text and not any(re.search(rf"\b{re.escape(c)}\b", text) for c in codes
                                                  if "." in c or c == "P2"), text


def load_sections_cfg(config):
    from tasks.report.context import load_sections

    return load_sections(config)["sections"]


def test_a_province_report_says_tinh_throughout(config, seed_db, tmp_path):
    """level: tinh — every sentence, heading and label of the DOCX; "huyện" only inside unit names."""
    import yaml

    from tasks.config import load_config

    config_dir = tmp_path / "config"
    config_dir.mkdir()
    source = Path(config.config_dir)
    units = yaml.safe_load((source / "units.yaml").read_text(encoding="utf-8"))
    units["district"].update(name="tỉnh Đồng Tháp", code="DONGTHAP", issuing_body="Ủy ban nhân dân tỉnh Đồng Tháp",
                             place_name="Đồng Tháp", recipients=["Bộ Nội vụ", "Ban Thi đua - Khen thưởng Trung ương",
                                                                 "Lưu: VT"])
    from tasks.config import District

    if "level" in District.model_fields:
        units["district"]["level"] = "tinh"
    sections = yaml.safe_load((source / "sections.yaml").read_text(encoding="utf-8"))
    sections["can_cu"] = [{"loai": "Kế hoạch", "so": "12/KH-UBND", "ngay": date(2026, 3, 2),
                           "co_quan": "Ủy ban nhân dân tỉnh Đồng Tháp", "trich_yeu": "về công tác thi đua năm 2026"}]
    (config_dir / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    (config_dir / "sections.yaml").write_text(yaml.safe_dump(sections, allow_unicode=True), encoding="utf-8")
    for name in ("indicators.yaml", "settings.yaml"):
        (config_dir / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    province = load_config(config_dir)
    if "level" not in District.model_fields:  # before the reform's District.level lands
        province = province.model_copy(update={"district": province.district.model_copy(update={"level": "tinh"})})
    document = docx.Document(str(render_report(province, 2020, 5, seed_db, tmp_path / "out", report_date=ISSUED_ON)[0]))
    text = full_text(document)
    for unit in province.units:
        text = text.replace(unit.name, "")
    for lines in NARRATIVE_2020.values():
        for line in lines:
            text = text.replace(line[1], "").replace(line[1].strip().upper(), "")
    assert re.findall(r".{30}huyện.{10}", text, flags=re.IGNORECASE) == []
    assert "ỦY BAN NHÂN DÂN\nTỈNH ĐỒNG THÁP" in text
    assert "toàn tỉnh có 22/48 trường" in text and "10/10 xã, phường, đặc khu đạt chuẩn" in text
    assert "Trên cơ sở báo cáo của các xã, phường, đặc khu, các sở, ban, ngành và các đoàn thể tỉnh" in text
    assert "Chỉ số cải cách hành chính của tỉnh năm 2019" in text


def test_a_config_folder_without_its_own_sections_cites_no_other_districts_documents(config, seed_db, tmp_path):
    """The shipped sections.yaml cites Hồng Ngự's plans: a folder that falls back to it must not."""
    from tasks.config import load_config

    config_dir = tmp_path / "config"
    config_dir.mkdir()
    for name in ("units.yaml", "indicators.yaml", "settings.yaml"):
        (config_dir / name).write_text((Path(config.config_dir) / name).read_text(encoding="utf-8"), encoding="utf-8")
    other = load_config(config_dir)
    own = full_text(docx.Document(str(render_report(config, 2020, 5, seed_db, tmp_path / "a", report_date=ISSUED_ON)[0])))
    fallback = full_text(docx.Document(str(render_report(other, 2020, 5, seed_db, tmp_path / "b",
                                                         report_date=ISSUED_ON)[0])))
    assert "193/KH-UBND" in own
    assert "193/KH-UBND" not in fallback and "179/KH-UBND" not in fallback


MD_HOSTILE = "- không phải danh sách\n1. không phải mục\n---\n~~không gạch~~ http://x.vn www.y.vn a@b.vn \u202eabc\u202c"


def test_narrative_is_never_markdown_syntax_and_bidi_controls_never_reach_an_output(config, tmp_path):
    db = build_seed_district(config, tmp_path / "thidua.duckdb", narrative={"TTT": [("II.4", MD_HOSTILE)]})
    docx_path, html_path, md_path = render_report(config, 2020, 5, db, tmp_path / "out", report_date=ISSUED_ON)[:3]
    md = md_path.read_text(encoding="utf-8")
    for escaped in ("\\- không phải danh sách", "1\\. không phải mục", "\\---", "\\~\\~không gạch\\~\\~",
                    "http:\\/\\/x.vn", "www\\.y.vn", "a\\@b.vn"):
        assert f"\n{escaped}" in md or f" {escaped}" in md, escaped
    html = html_path.read_text(encoding="utf-8")
    assert "abc" in html and "abc" in md
    with zipfile.ZipFile(docx_path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    for out in (md, html, xml):
        assert not re.search("[\u202a-\u202e\u2066-\u2069]", out)


def test_the_validation_summary_carries_the_configured_award_chart(config, seed_db):
    from base64 import b64decode
    from io import BytesIO

    from PIL import Image

    from tasks.report.charts import validation_charts

    with open_db(seed_db) as con:
        charts = validation_charts(config, con, 2020)
    assert [c["ma"] for c in charts] == ["khen_thuong"]
    image = Image.open(BytesIO(b64decode(charts[0]["src"].split(",", 1)[1])))
    assert image.format == "PNG" and image.size[0] > 600
    template = (Path(__file__).resolve().parents[1] / "templates" / "validation" / "index.html").read_text("utf-8")
    assert '<img src="{{ c.src }}"' in template
