"""Properties of the parsers and the workbook reader, over inputs nobody thought to write down."""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.parsing import (
    DOI_TUONG, HINH_THUC, CellError, ProblemCell, cell_text, doi_tuong_code, hinh_thuc_code, normalise_label,
    parse_date, parse_number, visible,
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
    # Invisible characters are quoted as ⟨U+001F⟩, the way the clerk's message shows them.
    return "“" in message and (shown[:40] in message.replace("\u00a0", " ")
                               or visible(value.strip() if isinstance(value, str) else shown)[:40] in message)


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
    """Either the one reading of DESIGN "Numbers" or an error: '1,234.5' and '1.2.3' never become a number."""
    try:
        number = parse_number(text)
    except CellError:
        return
    if text.count(".") == 1 and "," not in text and len(text.split(".")[1]) != 3:
        assert number == float(text)  # software's decimal point: "707.2"
    else:
        assert "." not in text or all(len(g) == 3 for g in text.split(",")[0].split(".")[1:])
        assert number == float(text.replace(".", "").replace(",", "."))
    try:
        either_way = parse_number(text, decimal_point="ô B2 “707.2”")
    except CellError:
        assert re.fullmatch(r"[0-9]{1,3}[.,][0-9]{3}", text)  # only what reads either way is refused
    else:
        assert either_way == number


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


# ---------------------------------------------------------------------------------------------
# Fuzzing the reader on generated workbooks: cell types, number formats, positions, characters

_FORMATS = st.sampled_from(["General", "0", "0.00", "0%", "0.0%", '0"%"', "#,##0", "@", "dd/mm/yyyy", "0.00E+00"])
# openpyxl refuses control characters in a cell, so they are written the way Excel stores them: _x000B_.
_ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff\r"),
                    max_size=14).map(lambda s: "".join(f"_x{ord(c):04X}_" if ord(c) < 32 and c not in "\t\n" else c
                                                        for c in s))
_FUZZ_VALUE = st.one_of(
    st.none(), _ANY_TEXT, st.sampled_from(["2.780", "4,97", "707.2", "1.234", "12%", "1e308", "2\u00a0233",
                                           "so\u200b_ho", "079123456789", "=SUM(B2:B3)", "#REF!"]),
    st.integers(min_value=-10**12, max_value=10**12), st.floats(min_value=-1e307, max_value=1e307),
    st.booleans(), st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
_PLACE = st.tuples(st.one_of(st.integers(1, 40), st.sampled_from([5000, 1048576])),
                   st.one_of(st.integers(1, 12), st.sampled_from([200, 16384])))
_CODES = st.sampled_from(["so_ho", "so_ho_ngheo", "dan_so", "ty_le_tre_suy_dinh_duong", "tang_truong_kinh_te",
                          "dat_chuan_y_te", "kinh_phi_nha_dai_doan_ket", "khong_co"])
_FUZZ_BOOK = st.fixed_dictionaries({
    "indicators": st.lists(st.tuples(_CODES, _FUZZ_VALUE, _FORMATS), max_size=6),
    "cells": st.lists(st.tuples(st.sampled_from(["thong_tin", "chi_tieu", "khen_thuong", "noi_dung"]), _PLACE,
                                _FUZZ_VALUE, _FORMATS), max_size=6),
    "narrative": st.lists(_ANY_TEXT, max_size=2),
})


def _write_fuzzed(path: Path, unit: str, book: dict) -> None:
    """The unit's contract workbook, its chi_tieu rows and extra cells as drawn."""
    sheets = submission(unit, 2020, {}, awards=[("Giấy khen", "Cá nhân", "Trần Thị B", "12/QĐ", "15/12/2020")],
                        narrative=[("II.2", text) for text in book["narrative"]])
    write_xlsx(path, sheets)
    wb = openpyxl.load_workbook(path)
    for row, (code, value, number_format) in enumerate(book["indicators"], start=2):
        wb["chi_tieu"].cell(row, 1, code)
        _put(wb["chi_tieu"].cell(row, 2), value, number_format)
    for sheet, (row, column), value, number_format in book["cells"]:
        _put(wb[sheet].cell(row, column), value, number_format)
    wb.save(path)


def _put(cell, value, number_format: str) -> None:
    cell.value = value
    if value == "#REF!":
        cell.data_type = "e"
    cell.number_format = number_format


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_FUZZ_BOOK)
def test_generated_workbooks_are_read_or_refused_never_crash(book):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "TTT.xlsx"
        _write_fuzzed(path, "TTT", book)
        try:
            read = read_submission(path)
        except ReadError as exc:
            assert str(exc)
        else:
            assert {"thong_tin", "chi_tieu", "khen_thuong"} <= set(read.sheets)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(_FUZZ_BOOK, min_size=3, max_size=3))
def test_generated_workbooks_go_through_publish_and_render_without_an_unhandled_error(books):
    """Three communes' generated workbooks, one whole cycle: every stage completes, every unit has a
    status, every output is written, and no control or bidi character reaches the draft."""
    from tasks.aggregate import aggregate, write_outputs
    from tasks.config import load_config
    from tasks.ingest import ingest_year
    from tasks.publish import publish_validation
    from tasks.render import render_report
    from tasks.validate import validate_year

    config = load_config()
    with tempfile.TemporaryDirectory() as folder:
        subs, out = Path(folder) / "subs", Path(folder) / "out"
        for unit, book in zip(("TTT", "TP1", "TP2"), books):
            _write_fuzzed(subs / "2020" / f"{unit}.xlsx", unit, book)
        db = out / "thidua.duckdb"
        ingest_year(config, subs, 2020, db)
        validate_year(config, 2020, db)
        publish_validation(config, 2020, db, out)
        aggregate(config, 2020, 1, db)
        write_outputs(config, 2020, 1, db, out)
        report = render_report(config, 2020, 1, db, out)

        import duckdb

        with duckdb.connect(str(db), read_only=True) as con:
            statuses = dict(con.execute("select ma_don_vi, trang_thai from submission_status").fetchall())
        assert {statuses[u] for u in ("TTT", "TP1", "TP2")} <= {"accepted", "rejected"}
        assert all(p.stat().st_size > 0 for p in report)
        for p in report:
            if p.suffix in (".md", ".html"):
                text = p.read_text(encoding="utf-8")
                assert not [c for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t\r"
                            and c != "\u00ad"], p


# ---------------------------------------------------------------------------------------------
# The SQL path of CSV ingest (tasks/csv_bulk.py) against the Python reading it stands in for.

@pytest.fixture(scope="module")
def macro_con():
    import duckdb

    from tasks import csv_bulk

    con = duckdb.connect()
    csv_bulk.macros(con)
    yield con
    con.close()


# The forms vn_number claims, written as a Python pattern over ASCII.
_PLAIN_NUMBER = re.compile(r"[ \t\n\r]*[+-]?[ \t\n\r]*(?:(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?"
                           r"|[0-9]+\.(?:[0-9]{1,2}|[0-9]{4,}))[ \t\n\r]*(?:%[ \t\n\r]*)?")
# Texts a clerk types for a number, and everything near them.
_NUMBERISH = st.text(alphabet="0123456789.,+-% \t\n\u00a0٣", max_size=14) | st.from_regex(
    r"\A[ ]?[+-]?[ ]?\d{1,4}([.,]\d{1,4}){0,3}[ ]?%?[ ]?\Z", fullmatch=True) | st.text(max_size=8)


@FAST
@given(_NUMBERISH, st.booleans())
def test_the_sql_number_macro_reads_what_parse_number_reads_or_leaves_it_to_python(macro_con, text, decimal_point):
    """vn_number gives parse_number's value (sign of zero included) or NULL; the SQL path sends a
    NULL, and any either-way text of a decimal-point sheet, to the Python path, which decides."""
    number, dp, either = macro_con.execute(
        "select vn_number($t), vn_decimal_point($t), vn_either_way($t)", {"t": text}).fetchone()
    from tasks.parsing import uses_decimal_point

    if number is not None and not math.isinf(number):
        assert dp == uses_decimal_point(text)
        if decimal_point and either:
            return  # the Python path: "đọc được hai cách"
        expected = parse_number(text, decimal_point="ô B2 “1.5”" if decimal_point else None)
        assert number == expected and math.copysign(1, number) == math.copysign(1, expected)
    else:
        try:
            parse_number(text)
        except CellError:
            return
        # Python reads what SQL left to it: never one of the plain forms the macro claims.
        assert not _PLAIN_NUMBER.fullmatch(text)


@FAST
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=999), st.sampled_from(["", "-"]))
def test_the_sql_number_macro_reads_every_plain_vietnamese_number(macro_con, whole, fraction, sign):
    text = f"{sign}{whole:,}".replace(",", ".") + (f",{fraction}" if fraction else "")
    assert macro_con.execute("select vn_number($t)", {"t": text}).fetchone()[0] == parse_number(text)


@FAST
@given(st.text(alphabet="0123456789-/ ", max_size=12) | st.dates().map(
    lambda d: st.sampled_from([d.isoformat(), f"{d.day}/{d.month}/{d.year:04d}", f"{d.day:02d}/{d.month:02d}/{d.year:04d}"])
).flatmap(lambda s: s))
def test_the_sql_date_macro_reads_what_parse_date_reads_or_leaves_it_to_python(macro_con, text):
    day = macro_con.execute("select vn_date($t)", {"t": text}).fetchone()[0]
    try:
        expected = parse_date(text)
    except CellError:
        assert day is None
    else:
        assert day in (None, expected)
        if re.fullmatch(r"\s*(\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}/\d{4})\s*", text, re.ASCII):
            assert day == expected  # the plain forms are SQL's own


@FAST
@given(st.text(alphabet="0123456789 .-+x", max_size=30))
def test_text_with_an_id_or_phone_number_is_always_left_to_python(macro_con, text):
    from tasks.parsing import redact_personal

    flagged = macro_con.execute("select vn_maybe_personal($t)", {"t": text}).fetchone()[0]
    if redact_personal(text)[1]:
        assert flagged


_CSV_PIECES = st.sampled_from(["a", "b", "Đ", "1", ".", ",", '"', '""', " ", "\t", "\n", "\r\n", "x,y", "\n\n", "ạ"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_CSV_PIECES, max_size=16).map("".join), min_size=1, max_size=25))
def test_duckdb_reads_every_plain_csv_text_cell_for_cell_as_the_csv_module(texts):
    """plain_text() lets a CSV file through to DuckDB only when DuckDB's reading (or its refusal,
    which sends the file to the Python path) matches the csv module's: same cells, same rows."""
    import csv
    import io

    import duckdb

    from tasks import csv_bulk

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n, text in enumerate(texts):
            if csv_bulk.plain_text(text.encode("utf-8")) is None:
                continue
            path = Path(tmp) / f"{n}.csv"
            path.write_bytes(text.encode("utf-8"))
            paths.append((str(path), text))
        if not paths:
            return
        con = duckdb.connect()
        csv_bulk.macros(con)
        con.register("_parts", __import__("pandas").DataFrame(
            [(p, p, "K", "chi_tieu") for p, _ in paths], columns=["path", "file_key", "unit_code", "sheet_name"]))
        con.execute("create temp table new_cell (file_key varchar, sheet_name varchar, row_number integer, "
                    "column_number integer, value_text varchar)")
        refused = csv_bulk._read_sheet(con, [p for p, _ in paths], csv_bulk._columns("chi_tieu"))
        for path, text in paths:
            if path in refused:
                continue
            rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))  # DuckDB read it: so must csv
            expected = {(r + 1, c + 1, v) for r, row in enumerate(rows) for c, v in enumerate(row) if v.strip()}
            got = set(con.execute("select row_number, column_number, value_text from new_cell where file_key = ?",
                                  [path]).fetchall())
            assert got == expected, text
