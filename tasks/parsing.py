"""Reading the values a clerk types: Vietnamese numbers, dates and award labels."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass

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


def parse_number(value: object) -> float:
    """A numeric cell as it is; text as Vietnamese writes numbers ("2.780" = 2780, "4,97" = 4.97)."""
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
    text = value.replace("\u00a0", " ").strip()
    original = text
    sign = 1.0
    if text[:1] in ("+", "-"):
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:].strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    if not text:
        raise CellError("ô để trống; hãy nhập số")
    if _COMMON.fullmatch(text):
        number = sign * float(text.replace(".", "").replace(",", "."))
    else:  # other digits (Unicode), or not a number at all
        if not (_GROUPED.match(text) or _PLAIN.match(text)):
            raise CellError(_why_not_a_number(original, text))
        try:
            number = sign * float(parse_decimal(text, locale="vi", strict=False))
        except NumberFormatError:  # the patterns above should make this unreachable
            raise CellError(_why_not_a_number(original, text)) from None
    if math.isinf(number):
        raise CellError(f"“{original[:40]}…” quá lớn, không phải một số liệu thật; hãy kiểm tra lại")
    return number


def _why_not_a_number(original: str, text: str) -> str:
    if re.fullmatch(r"\d+\.\d{1,2}|\d+\.\d{4,}", text):
        return (
            f"“{original}” không rõ nghĩa: dấu chấm chỉ dùng để tách hàng nghìn (ví dụ 2.780); "
            "phần thập phân viết sau dấu phẩy (ví dụ 4,97)"
        )
    if "," in text and "." in text:
        return (
            f"“{original}” không rõ nghĩa: hãy viết theo kiểu Việt Nam, dấu chấm tách hàng nghìn "
            "và dấu phẩy trước phần thập phân (ví dụ 2.780,5)"
        )
    return f"“{original}” không phải là số; hãy nhập số (ví dụ 2.780 hoặc 4,97)"


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
