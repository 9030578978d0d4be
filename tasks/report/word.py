"""The DOCX draft officials edit in Word (python-docx): the layout of Nghị định 30/2020/NĐ-CP,
Phụ lục I, built in code so every size and margin is stated once; the words come from the outline.

docxtpl was considered for the body and not used: the body is a walk over the outline with a
handful of paragraph styles, and the decree's rules, the appendix's landscape section, repeated
header rows and rows that never split are all table and section properties python-docx sets
directly — a binary .docx template would hide them.
"""

from __future__ import annotations

import io
from pathlib import Path

from tasks.report.outline import FigRef
from tasks.report.context import NBSP
from tasks.report.text import strip_bidi

FONT = "Times New Roman"
BODY_PT = 14
_PPR_AFTER_BORDER = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)


def _set_run_font(run, size: float | None = None, bold: bool | None = None, italic: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = FONT
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic


def _para(container, text: str = "", *, align: str = "justify", size: float = BODY_PT, bold: bool = False,
          italic: bool = False, indent: bool = False, after: float = 6, before: float = 0,
          keep_next: bool = False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    p = container.add_paragraph()
    p.alignment = {
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    fmt = p.paragraph_format
    fmt.space_after, fmt.space_before = Pt(after), Pt(before)
    fmt.line_spacing = 1.15
    if indent:
        fmt.first_line_indent = Cm(1)
    if keep_next:
        fmt.keep_with_next = True
    if text:
        _set_run_font(p.add_run(strip_bidi(text)), size, bold, italic)
    return p


def _rule(container, width_mm: float, cell_mm: float) -> None:
    """A short centred line, as the decree draws under the issuing body, motto and subject."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    p = _para(container, align="center", after=0, before=1, size=1)
    margin = max((cell_mm - width_mm) / 2, 0)
    p.paragraph_format.left_indent = Mm(margin)
    p.paragraph_format.right_indent = Mm(margin)
    p.paragraph_format.line_spacing = Pt(1)
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, val in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), val)
    border.append(bottom)
    ppr.insert_element_before(border, *_PPR_AFTER_BORDER)


def _no_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _widths(table, widths_mm: list[float]) -> None:
    """Fixed column widths, in the grid (LibreOffice reads) and in every cell (Word reads)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(Mm(width).twips)))
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)


def _field(paragraph, instruction: str, size: float) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "2"), ("end", None)):
        run = paragraph.add_run()
        _set_run_font(run, size)
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {instruction} "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._element.append(el)


# Word's own diagonal text watermark (VML in the page header), which LibreOffice also draws.
_WATERMARK = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w10="urn:schemas-microsoft-com:office:word"><w:pict>'
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/>'
    '<v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>'
    '<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/>'
    '<v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>'
    '<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" '
    'o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>'
    '<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>'
    '<v:shape id="DuThao{n}" o:spid="_x0000_s20{n}" type="#_x0000_t136" o:allowincell="f" '
    'style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:110pt;rotation:315;'
    'z-index:-251657216;mso-position-horizontal:center;mso-position-horizontal-relative:margin;'
    'mso-position-vertical:center;mso-position-vertical-relative:margin" fillcolor="#f0c8c8" stroked="f">'
    '<v:fill opacity=".5"/><v:textpath style="font-family:&quot;Times New Roman&quot;;font-size:1pt;'
    'font-weight:bold" string="DỰ THẢO"/><w10:wrap anchorx="margin" anchory="margin"/></v:shape>'
    '</w:pict></w:r>'
)


def _page_header(section, width_mm: float, is_draft: bool, n: int) -> None:
    """Page number centred at the top; "DỰ THẢO" and the watermark while the data is not approved."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.oxml import parse_xml
    from docx.shared import Inches, Mm

    section.header.is_linked_to_previous = False
    header = section.header.paragraphs[0]
    # The "Header" style's own stops (3,25 and 6,5 inch) would catch the tabs of a wider page.
    for inherited in (Inches(3.25), Inches(6.5)):
        header.paragraph_format.tab_stops.add_tab_stop(inherited, WD_TAB_ALIGNMENT.CLEAR)
    header.paragraph_format.tab_stops.add_tab_stop(Mm(width_mm / 2), WD_TAB_ALIGNMENT.CENTER)
    header.paragraph_format.tab_stops.add_tab_stop(Mm(width_mm), WD_TAB_ALIGNMENT.RIGHT)
    _set_run_font(header.add_run("\t"), 13)
    _field(header, "PAGE", 13)
    if is_draft:
        _set_run_font(header.add_run("\tDỰ THẢO"), 11, bold=True)
        header._p.append(parse_xml(_WATERMARK.format(n=n)))


def _setup_page(doc, is_draft: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    # Page numbers from page 2 only: the first page has its own (empty) header.
    section.different_first_page_header_footer = True
    _page_header(section, 165, is_draft, 49)
    if is_draft:
        first = section.first_page_header.paragraphs[0]
        first.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _set_run_font(first.add_run("DỰ THẢO"), 13, bold=True)
        first._p.append(parse_xml(_WATERMARK.format(n=50)))
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)


def _landscape_section(doc, is_draft: bool):
    """The appendices: A4 landscape, the same margins, page numbers continuing."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Mm

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.different_first_page_header_footer = False
    _page_header(section, 252, is_draft, 51)
    return section


def _table_rows(table, header_rows: int = 1) -> None:
    """Header rows repeat on every page; no row splits across pages (w:tblHeader, w:cantSplit)."""
    from docx.oxml import OxmlElement

    for n, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if n < header_rows:
            tr_pr.append(OxmlElement("w:tblHeader"))


# Widths of Times New Roman at 11 pt: a digit is half an em (1,94 mm); a letter ~2,1 mm on
# average, bold a little more; each cell has 1,9 mm of margin on either side.
_DIGIT_MM, _LETTER_MM, _PAD_MM = 1.94, 2.1, 4.2


def _text_mm(text: str, bold: bool = False) -> float:
    digits = sum(c.isdigit() or c in ".,–-/%" for c in text)
    return (digits * _DIGIT_MM + (len(text) - digits) * _LETTER_MM) * (1.08 if bold else 1)


def _longest_piece(text: str) -> str:
    """The longest word: a line may break between words, never inside one ("đồng/người/năm")."""
    return max(text.split(), key=len, default="")


def content_widths(header: list[str], rows: list[list[str]], total_mm: float, flexible: int) -> list[float]:
    """Column widths from the content: every number column as wide as its widest cell (numbers
    never break), the others as wide as their longest word, and the rest to the flexible column."""
    widths = []
    for col in range(len(header)):
        cells = [r[col] for r in rows]
        numeric = all(not c or c[0].isdigit() or c[0] in "–-" for c in cells)
        # A text column: its longest word, or its whole longest cell if that is short (a unit).
        need = max([_text_mm(c) for c in cells] if numeric else
                   [max(_text_mm(_longest_piece(c)), min(_text_mm(c), 30)) for c in cells], default=0)
        need = max(need, _text_mm(_longest_piece(header[col]), bold=True))
        widths.append(need + _PAD_MM)
    widths[flexible] = max(widths[flexible] + total_mm - sum(widths), 30)
    return widths


def _cell(cell, text: str, align: str = "center", bold: bool = False, size: float = 13, italic_tail: str = ""):
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    p = _para(cell, text, align=align, size=size, bold=bold, after=0)
    if italic_tail:
        _set_run_font(p.add_run(" " + italic_tail), size - 2, italic=True)
    return p


def _docx_header(doc, r: dict, trich_yeu: str) -> None:
    left_mm, right_mm = 62, 108
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [left_mm, right_mm])
    left, right = table.rows[0].cells
    left._element.remove(left.paragraphs[0]._p)
    right._element.remove(right.paragraphs[0]._p)
    for line in r["district"]["issuing_lines"]:
        _para(left, line, align="center", size=13, bold=True, after=0)
    _rule(left, 25, left_mm)
    # The number is left blank for the office's register: "Số:      /BC-UBND".
    _para(left, f"Số:{NBSP * 6}/{r['district']['symbol']}", align="center", size=13, before=6, after=0)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="center", size=13, bold=True, after=0)
    _para(right, "Độc lập - Tự do - Hạnh phúc", align="center", size=14, bold=True, after=0)
    _rule(right, 60, right_mm)
    _para(right, r["place_date"], align="center", size=14, italic=True, before=8, after=0)
    _para(doc, "BÁO CÁO", align="center", size=14, bold=True, before=18, after=0)
    _para(doc, trich_yeu, align="center", size=14, bold=True, after=0)
    _rule(doc, 40, 165)
    _para(doc, "", after=6)


def _docx_award_table(doc, r: dict) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT

    award = r["award"]
    years = award["years"]
    table = doc.add_table(rows=1 + len(award["rows"]), cols=3 + len(years))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    year_mm = (165 - 12 - 56 - 22) / max(len(years), 1)
    _widths(table, [12, 56, 22, *[year_mm] * len(years)])
    head = table.rows[0].cells
    _cell(head[0], "Stt", bold=True)
    head[1].merge(head[2])
    _cell(head[1], "Nội dung", bold=True)
    for n, year in enumerate(years):
        _cell(head[3 + n], str(year), bold=True)
    for i, row in enumerate(award["rows"], start=1):
        cells = table.rows[i].cells
        if row["rowspan"]:
            last = table.rows[i + row["rowspan"] - 1].cells
            stt = cells[0].merge(last[0]) if row["rowspan"] > 1 else cells[0]
            name = cells[1].merge(last[1]) if row["rowspan"] > 1 else cells[1]
            _cell(stt, row["stt"])
            _cell(name, row["ten_hinh_thuc"], align="left")
        _cell(cells[2], row["ten_doi_tuong"], align="left")
        for n, text in enumerate(row["cells"]):
            _cell(cells[3 + n], text, align="right")
    _table_rows(table)
    # Eight rows: keep the table on one page (each row holds on to the next).
    for row in table.rows[:-1]:
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True
    _para(doc, "", after=0)


def _docx_signature(doc, r: dict) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [80, 85])
    _table_rows(table, header_rows=0)
    left, right = table.rows[0].cells
    left._element.remove(left.paragraphs[0]._p)
    right._element.remove(right.paragraphs[0]._p)
    _para(left, "Nơi nhận:", align="left", size=12, bold=True, italic=True, after=0, before=6)
    for line in r["district"]["recipients"]:
        _para(left, line, align="left", size=11, after=0)
    _para(right, r["district"]["signer_on_behalf"], align="center", size=14, bold=True, after=0, before=6)
    _para(right, r["district"]["signer_title"], align="center", size=14, bold=True, after=0)
    # The space where the signature and the seal go: left empty, as on a signed original.
    _para(right, "", align="center", size=14, after=72)
    _para(right, r["district"]["signer_name"], align="center", size=14, bold=True, after=0)


def _docx_indicator_table(doc, r: dict) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT

    header = ["Stt", "Chỉ tiêu", "Đơn vị tính", *map(str, r["years"])] + (["Cả giai đoạn"] if r["is_period"] else [])
    rows = []
    for n, row in enumerate(r["indicator_table"], start=1):
        # The label is set two points smaller (italic): measure it at four fifths of its length.
        label = f" ({row['ky_nhan']})"[: int(0.8 * (len(row["ky_nhan"]) + 3))] if row["ky_nhan"] else ""
        period = [row["ky"] + label] if r["is_period"] else []
        rows.append([str(n), row["name"], row["unit"], *row["cells"], *period])
    widths = content_widths(header, rows, 252, flexible=1)
    table = doc.add_table(rows=1 + len(rows), cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, widths)
    for cell, text in zip(table.rows[0].cells, header):
        _cell(cell, text, bold=True, size=11)
    for i, (values, row) in enumerate(zip(rows, r["indicator_table"]), start=1):
        cells = table.rows[i].cells
        _cell(cells[0], values[0], size=11)
        _cell(cells[1], values[1], align="left", size=11)
        _cell(cells[2], values[2], align="left", size=11)
        for n, text in enumerate(row["cells"]):
            _cell(cells[3 + n], text, align="right", size=11)
        if r["is_period"]:
            _cell(cells[-1], row["ky"], align="right", size=11,
                  italic_tail=f"({row['ky_nhan']})" if row["ky_nhan"] else "")
    _table_rows(table)


def _docx_chart(doc, chart: dict, n: int) -> None:
    from docx.shared import Mm

    p = _para(doc, align="center", after=0, before=6, keep_next=True)
    p.add_run().add_picture(io.BytesIO(chart["png"]), width=Mm(150))
    _para(doc, f"Biểu đồ {n}. {chart['tieu_de']}", align="center", size=12, italic=True, after=8)


def _segments(segs: list) -> str:
    return "".join(s.fig.shown(s.bare) if isinstance(s, FigRef) else s for s in segs)


_PARA_STYLE = {
    "body": {"indent": True},
    "lead": {"indent": True},
    "missing": {"indent": True, "italic": True},
    "note": {"indent": True, "italic": True, "size": 13},
    "group": {"indent": True, "italic": True, "bold": True, "keep_next": True},
}


def write_docx(ctx: dict, outline: list[dict], path: Path) -> Path:
    """The sendable draft: no file paths, no reviewers' notes beyond the draft note."""
    from docx import Document

    r = ctx
    doc = Document()
    _setup_page(doc, r["is_draft"])
    header = next(b for b in outline if b["kind"] == "header")
    doc.core_properties.title = ("DỰ THẢO - " if r["is_draft"] else "") + header["trich_yeu"].replace(NBSP, " ")
    doc.core_properties.author = r["district"]["issuing_body"]
    charts = 0
    for b in outline:
        kind = b["kind"]
        if kind == "header":
            _docx_header(doc, r, b["trich_yeu"])
        elif kind == "notice":
            _para(doc, b["text"], align="center", bold=True, size=13, after=8)
        elif kind == "draft_note":
            for line in b["lines"]:
                _para(doc, line, indent=True, italic=True, size=13)
        elif kind == "part":
            _para(doc, b["lines"][0], align="center", bold=True, after=0, before=12, keep_next=True)
            _para(doc, b["lines"][1], align="center", bold=True, keep_next=True)
        elif kind == "heading":
            _para(doc, f"{b['text']}:", bold=True, indent=True, keep_next=True)
        elif kind == "para":
            style = {**_PARA_STYLE[b["style"]], **({"keep_next": True} if b.get("keep_next") else {})}
            _para(doc, _segments(b["segs"]), **style)
        elif kind == "award_table":
            _docx_award_table(doc, r)
        elif kind == "chart":
            charts += 1
            _docx_chart(doc, b["chart"], charts)
        elif kind == "signature":
            _docx_signature(doc, r)
        elif kind == "appendix":
            _landscape_section(doc, r["is_draft"])
            _para(doc, b["kem_theo"], align="center", italic=True, size=13, after=6)
            _para(doc, f"PHỤ LỤC {b['no']}", align="center", bold=True, after=0)
            _para(doc, b["title"], align="center", bold=True)
        elif kind == "indicator_table":
            _docx_indicator_table(doc, r)
        # "sources": the reviewers' appendix stays in the HTML draft and nguon_so_lieu_<year>.xlsx.
    doc.save(str(path))
    return path
