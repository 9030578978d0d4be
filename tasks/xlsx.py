"""What every workbook the project writes shares: text that cannot break the file, styles, A4 printing."""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from tasks.safety import FORMULA_START, neutralise

FONT = "Times New Roman"
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_FONT = Font(name=FONT, bold=True, size=14)
LABEL_FONT = Font(name=FONT, bold=True, size=12)
TEXT_FONT = Font(name=FONT, size=12)
CODE_FONT = Font(name=FONT, size=8, color="808080")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")
SEVERITY_STYLE = {  # fill, font colour
    "critical": (PatternFill("solid", fgColor="C00000"), "FFFFFF"),
    "warning": (PatternFill("solid", fgColor="FFD966"), "000000"),
}


def printable(value: object) -> object:
    """Text with each control character openpyxl refuses (NUL, vertical tab, …) shown as its symbol (␀, ␋)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), value)
    return value


def inert(value: object) -> object:
    """Printable text that a spreadsheet will not run as a formula (leading apostrophe)."""
    return neutralise(printable(value))


def quote_formula_text(ws: Worksheet) -> None:
    """Keep text exactly as a clerk typed it, shown as text, never run as a formula (Excel's quote prefix)."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"
                cell.quotePrefix = True


def print_a4(ws: Worksheet, *, title_rows: str | None, landscape: bool = False, footer: str = "") -> None:
    """A4, every column on the page width, header rows repeated on each page, page numbers below."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.left.text = printable(footer).replace("&", "&&")
    ws.oddFooter.right.text = "Trang &P/&N"
    for part in (ws.oddFooter.left, ws.oddFooter.right):
        part.size, part.font = 9, FONT


def row_height(texts_and_widths: list[tuple[object, float]], *, points_per_line: float = 15.5) -> float:
    """Height (points) that shows every wrapped line of the row: the tallest cell decides."""
    lines = 1
    for text, width in texts_and_widths:
        if text is not None:
            chars = max(int(width * 1.2) - 1, 1)  # a width unit holds about 1.2–1.4 characters of 12-pt Times
            lines = max(lines, sum(_wrapped_lines(part, chars) for part in str(text).split("\n")))
    return lines * points_per_line + 4


def _wrapped_lines(text: str, chars: int) -> int:
    """Lines a spreadsheet needs for one paragraph, breaking at spaces (and inside words longer than a line)."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > chars:
            lines, used = lines + 1, 0
        used += (1 if used else 0) + len(word)
        while used > chars:
            lines, used = lines + 1, used - chars
    return lines
