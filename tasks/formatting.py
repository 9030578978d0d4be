"""Vietnamese presentation of numbers, dates and submitted text (Babel's `vi` locale)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

LOCALE = "vi"
MISSING = "chưa có số liệu"

# XML 1.0 forbids C0 controls other than tab/newline/CR, and U+FFFE/U+FFFF; C1 controls and
# lone surrogates are legal-ish but break Word, so they go too. Emoji and other text stay.
_ILLEGAL_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
)


def clean_text(text: object) -> str:
    """Submitted text made safe for any output: NFC, no XML-illegal characters, no stray spaces."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = _ILLEGAL_CHARS.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _quantize(value: float | int | Decimal, decimals: int) -> Decimal:
    # Half-up, as people round by hand; Babel alone would round half-even (0,125 -> 0,12).
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_number(value: float | int | Decimal | None, decimals: int = 0) -> str:
    """2780 -> "2.780"; 4.97 -> "4,97"; 91.3043 (2) -> "91,30"; 25.2 (2) -> "25,20"; 100.0 (2) -> "100".

    The catalogue's decimals are kept, trailing zeros included, so a rate reads with the same
    precision every year; a value that rounds to a whole number is written without decimals
    ("25%", "100%", "12%"), as the district's own reports write them.
    """
    if value is None:
        return MISSING
    rounded = _quantize(value, decimals)
    whole = rounded == rounded.to_integral_value()
    pattern = "#,##0" if whole or not decimals else "#,##0." + "0" * decimals
    text = format_decimal(rounded, format=pattern, locale=LOCALE)
    return "0" if text == "-0" else text


def format_percent(value: float | None, decimals: int = 2) -> str:
    """4.97 -> "4,97%" (no space, as the seed report writes percentages)."""
    return MISSING if value is None else f"{format_number(value, decimals)}%"


def format_trieu_dong(value: float | None, *, decimals: int = 0) -> str:
    """An amount in million VND: 99605 -> "99,605 tỷ đồng"; 850 -> "850 triệu đồng"."""
    if value is None:
        return MISSING
    if abs(value) >= 1000:
        # Three decimals of a billion are exactly a million: nothing is lost.
        return f"{format_number(_quantize(value, decimals) / 1000, 3)} tỷ đồng"
    return f"{format_number(value, decimals)} triệu đồng"


def format_fraction(numerator: float | None, denominator: float | None) -> str:
    """22, 48 -> "22/48"; also "10/10" for communes meeting a standard."""
    if numerator is None or denominator is None:
        return MISSING
    return f"{format_number(numerator, 0)}/{format_number(denominator, 0)}"


def format_place_date(place: str, on: date) -> str:
    """"Hồng Ngự, ngày 05 tháng 12 năm 2020": days below 10 and months 1–2 get a leading zero
    (Nghị định 30/2020, Phụ lục I), so nobody can turn "1" into "11" by hand."""
    day = f"{on.day:02d}"
    month = f"{on.month:02d}" if on.month < 3 else str(on.month)
    return f"{place}, ngày {day} tháng {month} năm {on.year}"


def format_period(first_year: int, last_year: int) -> str:
    """The label of a period the way the district names its terms: "2015 - 2020" for 2016–2020."""
    if first_year == last_year:
        return f"năm {last_year}"
    return f"giai đoạn {first_year - 1} - {last_year}"
