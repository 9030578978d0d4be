"""Properties of the parsers and the workbook reader, over inputs nobody thought to write down."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.parsing import (
    DOI_TUONG, HINH_THUC, CellError, ProblemCell, cell_text, doi_tuong_code, hinh_thuc_code, normalise_label,
    parse_date, parse_number,
)
from tasks.readers import ReadError, read_submission
from tests.factories import submission, write_xlsx

ANY_CELL = st.one_of(
    st.text(), st.integers(), st.floats(), st.booleans(), st.none(), st.dates(), st.datetimes(),
    st.builds(ProblemCell, st.sampled_from(["formula", "error"]), st.text(max_size=10)),
)
# Deadlines off: the machine running the suite may be busy, and a slow example is not a wrong one.
FAST = settings(deadline=None)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _names_the_cell(message: str, value) -> bool:
    """The clerk can tell which cell is meant: the message quotes what the cell holds, or says it is empty."""
    if isinstance(value, ProblemCell):
        return f"“{value.text}”" in message
    shown = value.replace("\u00a0", " ").strip() if isinstance(value, str) else str(value)
    if not shown or (isinstance(value, float) and not math.isfinite(value)):
        return message.startswith("ô ") or "“" in message
    return "“" in message and shown[:40] in message.replace("\u00a0", " ")


@FAST
@given(ANY_CELL)
def test_parse_number_returns_a_finite_number_or_a_cell_error(value):
    try:
        number = parse_number(value)
    except CellError as exc:
        assert _names_the_cell(str(exc), value)
    else:
        assert isinstance(number, float) and math.isfinite(number)


@FAST
@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=0, max_value=999),
       st.sampled_from(["", "-", "+"]), st.sampled_from(["", "%", " %"]), st.sampled_from(["", " ", "\u00a0"]))
def test_numbers_written_the_vietnamese_way_read_back(whole, fraction, sign, percent, pad):
    grouped = f"{whole:,}".replace(",", ".")
    text = f"{pad}{sign}{grouped},{fraction:03d}{percent}{pad}"
    expected = (whole + fraction / 1000) * (-1 if sign == "-" else 1)
    assert parse_number(text) == pytest.approx(expected, rel=1e-12)


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(min_value=-10**15, max_value=10**15))
def test_numeric_cells_are_taken_as_they_are(value):
    assert parse_number(value) == float(value)


@FAST
@given(st.text(alphabet="0123456789.,", min_size=1, max_size=12))
def test_digit_strings_are_never_guessed(text):
    """Either the one Vietnamese reading or an error: '1.5' and '1,234.5' never become a number."""
    try:
        number = parse_number(text)
    except CellError:
        return
    assert "." not in text or all(len(g) == 3 for g in text.split(",")[0].split(".")[1:])
    assert number == float(text.replace(".", "").replace(",", "."))


@FAST
@given(ANY_CELL)
def test_parse_date_returns_a_date_or_a_cell_error(value):
    try:
        result = parse_date(value)
    except CellError as exc:
        assert _names_the_cell(str(exc), value)
    else:
        assert type(result) is dt.date


@FAST
@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_dates_in_both_written_forms_read_back(day):
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.day}/{day.month}/{day.year:04d}") == day
    assert parse_date(f" {day.day:02d}/{day.month:02d}/{day.year:04d} ") == day
    assert parse_date(dt.datetime.combine(day, dt.time(8, 30))) == day


def _variants(label: str):
    """How a clerk may type a label: any case, decomposed accents, stray spaces."""
    return st.tuples(st.sampled_from([str.lower, str.upper, str.title, lambda s: s]),
                     st.sampled_from(["NFC", "NFD"]), st.sampled_from(["", " ", "  ", "\u00a0", "\t"])).map(
        lambda t: t[2] + unicodedata.normalize(t[1], t[0](label)).replace(" ", " " + t[2].strip(" \u00a0\t") + " ")
        + t[2])


@FAST
@given(st.sampled_from(sorted(HINH_THUC.items())).flatmap(
    lambda item: st.tuples(st.just(item[0]), st.sampled_from(item).flatmap(_variants))))
def test_every_way_of_typing_an_award_title_finds_its_code(case):
    code, typed = case
    assert hinh_thuc_code(typed) == code


@FAST
@given(st.sampled_from(sorted(DOI_TUONG.items())).flatmap(
    lambda item: st.tuples(st.just(item[0]), st.sampled_from(item).flatmap(_variants))))
def test_every_way_of_typing_a_recipient_kind_finds_its_code(case):
    code, typed = case
    assert doi_tuong_code(typed) == code


@FAST
@given(st.text())
def test_label_matchers_answer_a_known_code_or_none(text):
    assert hinh_thuc_code(text) in (None, *HINH_THUC)
    assert doi_tuong_code(text) in (None, *DOI_TUONG)
    assert normalise_label(normalise_label(text)) == normalise_label(text)


# ---------------------------------------------------------------------------------------------
# The workbook reader

# Characters XML 1.0 can carry; openpyxl refuses the rest. Carriage returns are excluded because
# XML parsers turn them into line feeds, so no xlsx reader can give them back.
_XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff") | st.just("\n"),
    max_size=30,
).filter(lambda s: not s.startswith("=") and s.strip())  # "=..." is a formula to openpyxl
_CELL = st.one_of(st.none(), _XML_TEXT, st.integers(min_value=-10**15, max_value=10**15),
                  st.floats(min_value=-1e300, max_value=1e300), st.booleans())  # Excel stops near 1e308
_SHEET_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ ĐđÂâỆệ0123456789", min_size=1, max_size=20).filter(
    lambda s: s.strip() == s and s.strip())
_BOOK = st.dictionaries(_SHEET_NAME, st.lists(st.lists(_CELL, max_size=6), max_size=8), min_size=1, max_size=4,
                        dict_class=dict)


def _cells(rows) -> dict[tuple[int, int], object]:
    return {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row) if v is not None and v != ""}


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        # Excel keeps 15 significant digits; the last binary digit may differ after a round trip.
        return math.isclose(float(a), float(b), rel_tol=1e-15, abs_tol=0)
    return a == b


@SLOW
@given(_BOOK)
def test_workbook_reader_gives_back_what_openpyxl_wrote(book):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "TTT.xlsx"
        lowered = {}
        for name in book:  # Excel sheet names are unique without regard to case
            lowered.setdefault(name.lower(), name)
        book = {name: book[name] for name in lowered.values()}
        write_xlsx(path, book)

        read = read_submission(path)

    assert list(read.sheets) == list(book)
    for name, rows in book.items():
        written, got = _cells(rows), _cells(read.sheets[name].rows)
        assert written.keys() == got.keys()
        assert all(_same(written[k], got[k]) for k in written), (written, got)
        assert all(cell_text(got[k]) for k in got)  # every non-empty cell has raw text to keep


@SLOW
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_are_read_or_refused_never_crash(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "TTT.xlsx"
        path.write_bytes(data)
        csv_folder = Path(folder) / "TP1"
        csv_folder.mkdir()
        (csv_folder / "chi_tieu.csv").write_bytes(data)
        for target in (path, csv_folder):
            try:
                read_submission(target)
            except ReadError as exc:
                assert str(exc)


@pytest.fixture(scope="module")
def valid_xlsx_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("seed") / "TTT.xlsx"
    return write_xlsx(path, submission("TTT", 2020, {"so_ho": "2.780"})).read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_workbooks_are_read_or_refused_never_crash(valid_xlsx_bytes, data):
    """Flipped bytes and cut-off tails of a real workbook: the reader answers ReadError or a workbook."""
    blob = bytearray(valid_xlsx_bytes)
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        index = data.draw(st.integers(min_value=0, max_value=len(blob) - 1))
        blob[index] = data.draw(st.integers(min_value=0, max_value=255))
    blob = blob[: data.draw(st.integers(min_value=len(blob) // 2, max_value=len(blob)))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "TTT.xlsx"
        path.write_bytes(bytes(blob))
        try:
            book = read_submission(path)
        except ReadError as exc:
            assert str(exc)
        else:
            assert all(isinstance(s.rows, list) for s in book.sheets.values())
