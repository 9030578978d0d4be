"""Reading the values a clerk types: Vietnamese numbers, dates and award labels."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import NumberFormatError, parse_decimal


class CellError(ValueError):
    """A cell that cannot be read unambiguously; the message is Vietnamese, for the clerk."""


@dataclass(frozen=True)
class ProblemCell:
    """A cell whose value the reader could not see: a formula never calculated, or an Excel error.

    python-calamine reads both as an empty string; keeping them as this marker means the clerk is
    told "ô B5 chứa lỗi #REF!" instead of the value silently counting as not reported.
    """

    kind: str  # formula | error
    text: str  # "=SUM(B2:B4)" or "#REF!", exactly as in the workbook

    def __str__(self) -> str:
        return self.text

    def message_vi(self) -> str:
        if self.kind == "error":
            return (f"ô chứa lỗi Excel “{self.text}” thay cho giá trị; hãy sửa công thức hoặc "
                    "nhập trực tiếp giá trị")
        return (f"ô chứa công thức “{self.text}” nhưng tệp không lưu kết quả đã tính; hãy mở tệp bằng "
                "Excel, lưu lại (hoặc dán giá trị thay cho công thức) rồi gửi lại")


HINH_THUC = {
    "giay_khen": "Giấy khen",
    "lao_dong_tien_tien": "Lao động tiên tiến",
    "chien_si_tien_tien": "Chiến sĩ tiên tiến",
    "chien_si_thi_dua_co_so": "Chiến sĩ thi đua cơ sở",
}
DOI_TUONG = {"tap_the": "Tập thể", "ca_nhan": "Cá nhân"}

_SPACES = re.compile(r"\s+")
# Vietnamese usage: "." groups thousands (groups of exactly three), "," marks decimals.
_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")
_PLAIN = re.compile(r"^\d+(,\d+)?$")
# The same two forms in ASCII digits only: what clerks type. Babel's non-strict parse of these is
# Decimal(text without "." and with "," as "."); float() of that string is the same number, ~60x faster.
_COMMON = re.compile(r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")
# Software's decimal point (DESIGN "Numbers"): one "." that cannot group thousands, because it is
# not followed by exactly three digits ("707.2", "86000.1", "10.68").
_DOT_DECIMAL = re.compile(r"^\d+\.(?:\d{1,2}|\d{4,})$")
_DOT_DECIMAL_ASCII = re.compile(r"[0-9]+\.(?:[0-9]{1,2}|[0-9]{4,})")
# Readable either way once a sheet uses the decimal point: "1.234" (1234 or 1,234), "1,093".
_EITHER_WAY = re.compile(r"^\d{1,3}[.,]\d{3}$")


def normalise_label(text: str) -> str:
    """NFC, case-folded, single-spaced: the form two labels are compared in."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


def _label_map(codes: dict[str, str]) -> dict[str, str]:
    table = {}
    for code, label in codes.items():
        table[normalise_label(code)] = code
        table[normalise_label(label)] = code
    return table


_HINH_THUC_LOOKUP = _label_map(HINH_THUC)
_DOI_TUONG_LOOKUP = _label_map(DOI_TUONG)


def hinh_thuc_code(text: str) -> str | None:
    """The award title's code for a code or Vietnamese label, or None when unknown."""
    return _HINH_THUC_LOOKUP.get(normalise_label(text))


def doi_tuong_code(text: str) -> str | None:
    return _DOI_TUONG_LOOKUP.get(normalise_label(text))


class PercentCell(float):
    """A numeric cell formatted as a percent: it holds 0.12 and the clerk sees "12%"."""

    @property
    def shown(self) -> float:
        # Through the decimal text: 0.12 * 100 is 12.000000000000002 in binary floating point.
        return float(Decimal(repr(float(self))) * 100)


def _unsigned(text: str) -> tuple[float, str]:
    """(sign, the number's text without sign, percent sign and padding)."""
    text = text.replace("\u00a0", " ").strip()
    sign = 1.0
    if text[:1] in ("+", "-"):
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:].strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    return sign, text


def uses_decimal_point(value: object) -> bool:
    """Text written with software's decimal point ("707.2"): it makes its sheet a decimal-point sheet."""
    return isinstance(value, str) and bool(_DOT_DECIMAL.match(_unsigned(value)[1]))


def parse_number(value: object, *, decimal_point: str | None = None) -> float:
    """A numeric cell as it is; text as Vietnamese writes numbers ("2.780" = 2780, "4,97" = 4.97).

    Text whose only "." cannot group thousands ("707.2") is a decimal. `decimal_point` names the
    cell that showed its sheet uses the decimal point (e.g. "ô B3 “707.2”"): then text that reads
    either way ("1.234", "1,093") is an error instead of the Vietnamese reading.
    """
    if isinstance(value, ProblemCell):
        raise CellError(value.message_vi())
    if isinstance(value, bool):
        raise CellError(f"“{value}” là giá trị đúng/sai, không phải số; hãy nhập số (ví dụ 1 hoặc 0)")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("ô chứa giá trị không phải số")
        return float(value)
    if not isinstance(value, str):
        raise CellError(f"“{value}” không phải là số")
    original = value.replace("\u00a0", " ").strip()
    sign, text = _unsigned(value)
    if not text:
        raise CellError("ô để trống; hãy nhập số")
    if decimal_point and _EITHER_WAY.match(text):
        digits = text.replace(".", "").replace(",", "")
        raise CellError(
            f"“{original}” đọc được hai cách (hàng nghìn hoặc thập phân), vì sheet này có số viết dấu chấm "
            f"thập phân ({decimal_point}); hãy viết {digits} nếu là số nguyên, hoặc {text[:-4]}.{text[-3:]}0 "
            "nếu là số thập phân"
        )
    if _COMMON.fullmatch(text):
        number = sign * float(text.replace(".", "").replace(",", "."))
    elif _DOT_DECIMAL_ASCII.fullmatch(text):
        number = sign * float(text)
    else:  # other digits (Unicode), or not a number at all
        if _DOT_DECIMAL.match(text):
            locale = "en"
        elif _GROUPED.match(text) or _PLAIN.match(text):
            locale = "vi"
        else:
            raise CellError(_why_not_a_number(value, text))
        try:
            number = sign * float(parse_decimal(text, locale=locale, strict=False))
        except NumberFormatError:  # the patterns above should make this unreachable
            raise CellError(_why_not_a_number(value, text)) from None
    if math.isinf(number):
        raise CellError(f"“{original[:40]}…” quá lớn, không phải một số liệu thật; hãy kiểm tra lại")
    return number


def _why_not_a_number(value: str, text: str) -> str:
    shown = visible(value.strip())
    hidden = hidden_characters(value.strip())
    if hidden:
        return (f"“{shown}” có ký tự ẩn {', '.join(hidden)} nên không đọc được thành số; hãy xoá ký tự đó "
                "(gõ lại số, ví dụ 2.233)")
    if "," in text and "." in text:
        return (
            f"“{shown}” không rõ nghĩa: hãy viết theo kiểu Việt Nam, dấu chấm tách hàng nghìn "
            "và dấu phẩy trước phần thập phân (ví dụ 2.780,5)"
        )
    if re.fullmatch(r"\d+(\.\d+){2,}|\d{4,}\.\d{3}", text):
        return (f"“{shown}” không rõ nghĩa: dấu chấm tách hàng nghìn phải theo từng nhóm ba chữ số "
                "(ví dụ 1.234.567); phần thập phân viết sau dấu phẩy (ví dụ 4,97)")
    return f"“{shown}” không phải là số; hãy nhập số (ví dụ 2.780 hoặc 4,97)"


# ---------------------------------------------------------------------------------------------
# Characters a clerk cannot see: they change what a code means or how text shows on the way out.

def _is_hidden(char: str) -> bool:
    """Controls (but line breaks and tabs), format characters (zero-width, bidi overrides), odd spaces."""
    if char in "\n\r\t":
        return False
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Zl", "Zp", "Cs") or (category == "Zs" and char != " ")


def hidden_characters(text: str) -> list[str]:
    """Each invisible character of text once, named so a clerk can find it: "U+200B (ZERO WIDTH SPACE)"."""
    seen = dict.fromkeys(c for c in text if _is_hidden(c))
    return [f"U+{ord(c):04X} ({unicodedata.name(c, 'ký tự điều khiển')})" for c in seen]


def _has_hidden(text: str) -> bool:
    # str.isprintable() is False for every hidden character (and for line breaks): a C-speed first look.
    return not text.isprintable() and any(_is_hidden(c) for c in text)


def visible(text: str) -> str:
    """text with every invisible character written out as ⟨U+200B⟩ (safe in any xlsx, page or message)."""
    if not _has_hidden(text):
        return text
    return "".join(f"⟨U+{ord(c):04X}⟩" if _is_hidden(c) else c for c in text)


def clean_text(text: str) -> tuple[str, list[str]]:
    """Text as it may be staged: control characters become spaces (Word's line break is a vertical
    tab), bidi overrides and zero-width characters go, other spaces become plain ones. Returns the
    text and the removed characters, named (empty when none)."""
    if not _has_hidden(text):
        return text, []
    removed = "".join(c for c in text if _is_hidden(c) and unicodedata.category(c) != "Zs")
    cleaned = "".join(
        c if not _is_hidden(c) else " " if unicodedata.category(c) in ("Zs", "Cc", "Zl", "Zp") else ""
        for c in text
    )
    return cleaned, hidden_characters(removed)


# Personal identifiers that must never reach the published draft: citizen ID numbers (CCCD, 12
# digits; the old CMND, 9 or 12 digits) and phone numbers (10-digit mobile 0xxxxxxxxx or +84…,
# 11-digit landline 02xxxxxxxxx; spaces, dots or dashes between digit groups).
_PHONE = re.compile(r"(?<![\d.,])(?:\+84[ .-]?|0)[1-9](?:[ .-]?\d){8,9}(?![\d]|[.,]\d)")
_ID_NUMBER = re.compile(r"(?<![\d.,])(?:\d{12}|\d{9})(?![\d]|[.,]\d)")


def redact_personal(text: str) -> tuple[str, list[str]]:
    """text with ID and phone numbers replaced by a note; returns it and what kinds were removed."""
    kinds = []
    text, phones = _PHONE.subn("[đã xoá số điện thoại]", text)
    if phones:
        kinds.append("số điện thoại")
    text, ids = _ID_NUMBER.subn("[đã xoá số định danh]", text)
    if ids:
        kinds.append("số CCCD/CMND")
    return text, kinds


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(value: object) -> dt.date:
    """An Excel date cell, ISO text (2020-12-15) or Vietnamese day/month/year text (15/12/2020)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, ProblemCell):
        raise CellError(value.message_vi())
    if not isinstance(value, str):
        raise CellError(f"“{value}” không phải là ngày; hãy nhập ngày dạng 15/12/2020")
    text = value.strip()
    if m := _ISO.match(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY.match(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    else:
        raise CellError(f"“{value}” không phải là ngày; hãy nhập ngày dạng 15/12/2020")
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise CellError(f"“{value}” không phải là ngày có thật; hãy kiểm tra ngày và tháng") from None


def cell_text(value: object) -> str:
    """How a cell's value is stored in the raw layer: exactly as received, as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if (value.hour, value.minute, value.second) != (0, 0, 0) else value.date().isoformat()
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    return str(value)
