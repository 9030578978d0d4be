"""Number, date and label parsers: Vietnamese usage, never a guess, never a crash."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.parsing import (
    CellError,
    doi_tuong_code,
    hinh_thuc_code,
    parse_date,
    parse_number,
)


@pytest.mark.parametrize("text, expected", [
    ("2.780", 2780), ("4,97", 4.97), ("99.605", 99605), ("1.093.000,25", 1093000.25), ("42,5", 42.5),
    ("0", 0), ("-3,2", -3.2), ("12%", 12), (" 6,54 ", 6.54), (756, 756), (6.54, 6.54),
])
def test_numbers_read_the_vietnamese_way(text, expected):
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["1.5", "4.97", "1,234.5", "2 780", "abc", "", "12a", "1..2", ",5", "1.2345", True, None])
def test_ambiguous_or_non_numbers_are_errors(text):
    with pytest.raises(CellError):
        parse_number(text)


@pytest.mark.parametrize("value, expected", [
    ("2020-12-15", dt.date(2020, 12, 15)), ("15/12/2020", dt.date(2020, 12, 15)), ("5/1/2020", dt.date(2020, 1, 5)),
    (dt.datetime(2020, 12, 15, 0, 0), dt.date(2020, 12, 15)), (dt.date(2020, 1, 2), dt.date(2020, 1, 2)),
])
def test_dates_in_the_three_accepted_forms(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["31/02/2020", "12/15/2020/1", "2020/12/15", "hôm qua", 44180])
def test_other_dates_are_errors(value):
    with pytest.raises(CellError):
        parse_date(value)


@pytest.mark.parametrize("label, code", [
    ("Giấy khen", "giay_khen"), ("GIẤY KHEN", "giay_khen"), ("giay_khen", "giay_khen"),
    (unicodedata.normalize("NFD", "Lao động tiên tiến"), "lao_dong_tien_tien"),
    ("  Chiến  sĩ tiên tiến ", "chien_si_tien_tien"), ("Chiến sĩ thi đua cơ sở", "chien_si_thi_dua_co_so"),
    ("Bằng khen", None),
])
def test_award_labels_match_after_nfc_and_case_folding(label, code):
    assert hinh_thuc_code(label) == code


def test_doi_tuong_labels():
    assert [doi_tuong_code(x) for x in ("Tập thể", "CÁ NHÂN", "ca_nhan", "nhóm")] == ["tap_the", "ca_nhan", "ca_nhan", None]


# "Never anything but a CellError" is held by test_properties.test_parse_*_returns_*_or_a_cell_error.


@settings(deadline=None)  # a busy machine makes an example slow, not wrong
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99))
def test_formatted_vietnamese_numbers_round_trip(whole, cents):
    grouped = f"{whole:,}".replace(",", ".")
    assert parse_number(f"{grouped},{cents:02d}") == pytest.approx(whole + cents / 100)
    assert parse_number(grouped) == whole


def _babel_reading(value: str) -> float | str:
    """parse_number as it was before its fast path (pattern gate, then Babel), or "error"."""
    import re

    from babel.numbers import parse_decimal

    text = value.replace("\u00a0", " ").strip()
    sign = 1.0
    if text[:1] in ("+", "-"):
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:].strip()
    if text.endswith("%"):
        text = text[:-1].strip()
    if not text or not (re.match(r"^\d{1,3}(\.\d{3})+(,\d+)?$", text) or re.match(r"^\d+(,\d+)?$", text)):
        return "error"
    number = sign * float(parse_decimal(text, locale="vi", strict=False))
    return "error" if math.isinf(number) else number


def _reading(value: str) -> float | str:
    try:
        return parse_number(value)
    except CellError:
        return "error"


COMMON_FORMS = st.builds(
    lambda sign, whole, grouped, decimals, percent, pad: (
        f"{pad}{sign}{f'{whole:,}'.replace(',', '.') if grouped else whole}{decimals}{percent}{pad}"),
    st.sampled_from(["", "-", "+", "- "]), st.integers(min_value=0, max_value=10**30), st.booleans(),
    st.one_of(st.just(""), st.from_regex(r",[0-9]{1,20}", fullmatch=True)),
    st.sampled_from(["", "%", " %"]), st.sampled_from(["", " ", "\u00a0"]),
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(COMMON_FORMS, st.text(alphabet="0123456789.,+-% \u00a0\u0663\uff13\u0966", max_size=16),
                 st.from_regex(r"0*[0-9]{1,400}(,[0-9]{1,400})?", fullmatch=True)))
def test_fast_path_reads_exactly_what_babel_reads(text):
    """Same float to the last bit (or the same refusal) as the Babel path, leading zeros, huge numbers included."""
    got, expected = _reading(text), _babel_reading(text)
    assert repr(got) == repr(expected)
