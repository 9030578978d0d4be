"""SQL tests of the marts on literal rows inserted into a real DuckDB file."""

from __future__ import annotations

import csv
import itertools

import openpyxl
import pytest

from tasks.aggregate import aggregate, csv_number, write_outputs
from tasks.config import load_config
from tasks.db import open_db

COMMUNES = ("TTT", "TP1", "TP2", "TL", "TTHA", "LKA", "LKB", "LT", "PTA", "PTB")
_sha = itertools.count(1)


@pytest.fixture(scope="module")
def config():
    return load_config()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "thidua.duckdb"


def add_submission(db_path, year: int, unit: str, indicators: dict | None = None,
                   awards: list[tuple] = (), narrative: list[tuple] = (), state: str = "accepted") -> int:
    """Insert one unit's submission as ingest would leave it.

    state: accepted | quarantined (readable, with a critical finding) | unreadable (rejected file).
    """
    with open_db(db_path) as con:
        fv = con.execute(
            "insert into raw_file_version (nam, unit_code, source_path, file_format, sha256, size_bytes, version, "
            "status, reason_vi, ingest_run_id) values (?, ?, ?, 'xlsx', ?, 1, 1, ?, ?, 'test') "
            "returning file_version_id",
            [year, unit, f"{year}/{unit}.xlsx", f"sha{next(_sha)}",
             "rejected" if state == "unreadable" else "accepted",
             "Tệp không đọc được" if state == "unreadable" else None],
        ).fetchone()[0]
        if state == "unreadable":
            return fv
        con.execute("insert into stg_submission values (?, ?, ?, ?, 'Người lập', null)", [fv, year, unit, unit])
        for n, (code, value) in enumerate((indicators or {}).items(), start=2):
            con.execute("insert into stg_indicator_value values (?, ?, ?, ?, ?, ?, null, 'chi_tieu', ?)",
                        [fv, year, unit, code, value, str(value), n])
        for n, (hinh_thuc, doi_tuong) in enumerate(awards, start=2):
            con.execute(
                "insert into stg_award values (?, ?, ?, ?, ?, ?, ?, 'Nguyễn Văn B', '01/QĐ', null, null, 'khen_thuong', ?)",
                [fv, year, unit, hinh_thuc, doi_tuong, hinh_thuc, doi_tuong, n])
        for n, (muc, text) in enumerate(narrative, start=2):
            con.execute("insert into stg_narrative values (?, ?, ?, ?, ?, 'noi_dung', ?)", [fv, year, unit, muc, text, n])
        if state == "quarantined":
            con.execute(
                "insert into finding (run_id, stage, check_code, severity, nam, unit_code, file_version_id, "
                "sheet_name, row_number, column_name, message_vi) "
                "values ('test', 'validate', 'gia_tri_am', 'critical', ?, ?, ?, 'chi_tieu', 2, 'gia_tri', 'Giá trị âm')",
                [year, unit, fv])
    return fv


def district_row(db_path, year: int, code: str) -> dict:
    with open_db(db_path) as con:
        cur = con.execute("select * from mart_district_indicators where nam = ? and indicator_code = ?", [year, code])
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    assert len(rows) == 1, rows
    return rows[0]


def period_row(db_path, last_year: int, code: str) -> dict:
    with open_db(db_path) as con:
        cur = con.execute("select * from mart_period_indicators where nam_cuoi = ? and indicator_code = ?",
                          [last_year, code])
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize(
    "ratio, numerator, denominator, big, small",
    [
        # (numerator, denominator) of a large and a small commune: the mean of their percentages
        # (1% and 50%: 25.5%) is far from the district's 150 / 10,100.
        ("ty_le_ho_ngheo", "so_ho_ngheo", "so_ho", (100, 10_000), (50, 100)),
        ("ty_le_ap_van_hoa", "so_ap_van_hoa", "so_ap", (30, 31), (1, 4)),
        ("ty_le_nguoi_tap_tdtt", "so_nguoi_tap_tdtt", "dan_so", (9_000, 30_000), (2_900, 3_000)),
    ],
)
def test_ratio_is_ratio_of_sums_not_mean_of_unit_percentages(config, db_path, ratio, numerator, denominator,
                                                              big, small):
    add_submission(db_path, 2020, "TTT", {numerator: big[0], denominator: big[1]})
    add_submission(db_path, 2020, "TP1", {numerator: small[0], denominator: small[1]})
    aggregate(config, 2020, 1, db_path)
    row = district_row(db_path, 2020, ratio)
    expected = 100 * (big[0] + small[0]) / (big[1] + small[1])
    mean_of_percentages = (100 * big[0] / big[1] + 100 * small[0] / small[1]) / 2
    assert row["gia_tri"] == pytest.approx(expected, rel=1e-12)
    assert row["gia_tri"] != pytest.approx(mean_of_percentages, rel=1e-3)
    assert (row["tu_so"], row["mau_so"]) == (big[0] + small[0], big[1] + small[1])
    assert (row["so_don_vi_bao_cao"], row["so_don_vi_du_kien"], row["is_day_du"]) == (2, 10, False)
    assert row["don_vi_chua_nop"] == "TP2, TL, TTHA, LKA, LKB, LT, PTA, PTB"
    assert row["ghi_chu"].startswith("Số liệu chưa đầy đủ, thiếu: chưa nộp: Xã Thường Phước 2 (TP2)")


@pytest.mark.parametrize(
    "values, expected, note",
    [
        # One commune with no quarters at all: it adds 0 to both sums and the ratio stands.
        ({"TTT": (5, 5), "TP1": (0, 0)}, 100.0, None),
        ({"TTT": (3, 4), "TP1": (0, 0)}, 75.0, None),
        # Nobody has a quarter: there is no rate to give, and the note says why.
        ({"TTT": (0, 0), "TP1": (0, 0)}, None, "Không tính được tỷ lệ: tổng mẫu số “Số khóm” bằng 0"),
    ],
)
def test_zero_denominator_in_one_unit_leaves_the_ratio_of_sums(config, db_path, values, expected, note):
    for unit, (civilised, quarters) in values.items():
        add_submission(db_path, 2020, unit, {"so_khom_van_minh": civilised, "so_khom": quarters})
    aggregate(config, 2020, 1, db_path)
    row = district_row(db_path, 2020, "ty_le_khom_van_minh")
    assert row["gia_tri"] == expected
    assert row["mau_so"] == sum(q for _, q in values.values())
    if note:
        assert row["ghi_chu"].startswith(note)


@pytest.mark.parametrize(
    "state, reason",
    [
        ("missing", "chưa nộp: Phòng Tài chính - Kế hoạch (TCKH)"),
        ("quarantined", "bị tạm giữ do lỗi nghiêm trọng: Phòng Tài chính - Kế hoạch (TCKH)"),
        ("unreadable", "bị tạm giữ do lỗi nghiêm trọng: Phòng Tài chính - Kế hoạch (TCKH)"),
        ("omitted", "không báo cáo chỉ tiêu này: Phòng Tài chính - Kế hoạch (TCKH)"),
    ],
)
def test_missing_single_reporter_gives_no_value_and_a_reason(config, db_path, state, reason):
    add_submission(db_path, 2019, "NV", {"chi_so_cchc": 90.11})
    if state == "omitted":
        add_submission(db_path, 2019, "TCKH", {"thu_ngan_sach": 99_605})
    elif state != "missing":
        add_submission(db_path, 2019, "TCKH", {"tang_truong_kinh_te": 6.54}, state=state)
    aggregate(config, 2019, 1, db_path)
    row = district_row(db_path, 2019, "tang_truong_kinh_te")
    assert (row["gia_tri"], row["so_don_vi_bao_cao"], row["so_don_vi_du_kien"]) == (None, 0, 1)
    assert row["ghi_chu"] == f"Không có giá trị: chưa có số liệu được chấp nhận ({reason})."
    assert district_row(db_path, 2019, "chi_so_cchc")["gia_tri"] == 90.11


def test_single_reporter_value_is_taken_as_reported(config, db_path):
    add_submission(db_path, 2019, "TCKH", {"tang_truong_kinh_te": -1.25, "thu_ngan_sach": 99_605})
    aggregate(config, 2019, 1, db_path)
    rows = [district_row(db_path, 2019, code) for code in ("tang_truong_kinh_te", "thu_ngan_sach")]
    assert [(r["gia_tri"], r["so_don_vi_bao_cao"], r["is_day_du"], r["ghi_chu"]) for r in rows] == [
        (-1.25, 1, True, None), (99_605.0, 1, True, None)]


@pytest.mark.parametrize(
    "flags, quarantined, expected",
    [
        ({u: 1 for u in COMMUNES}, (), (10, 10, 10, None)),
        ({u: 1 for u in COMMUNES}, ("TL",), (9, 9, 10, "TL")),
        ({**{u: 1 for u in COMMUNES}, "LT": 0}, ("TL", "PTB"), (7, 8, 10, "TL, PTB")),
    ],
)
def test_count_true_counts_accepted_units_reporting_one_against_expected(config, db_path, flags, quarantined,
                                                                          expected):
    for unit, flag in flags.items():
        add_submission(db_path, 2020, unit, {"dat_chuan_y_te": flag},
                       state="quarantined" if unit in quarantined else "accepted")
    aggregate(config, 2020, 1, db_path)
    row = district_row(db_path, 2020, "dat_chuan_y_te")
    assert (row["gia_tri"], row["so_don_vi_bao_cao"], row["so_don_vi_du_kien"], row["don_vi_bi_tam_giu"]) == expected
    assert (row["tu_so"], row["mau_so"]) == (None, None)


def test_fraction_gives_numerator_and_denominator(config, db_path):
    add_submission(db_path, 2020, "GDDT", {"so_truong": 48, "so_truong_dat_chuan": 22})
    aggregate(config, 2020, 1, db_path)
    row = district_row(db_path, 2020, "so_truong_dat_chuan")
    assert (row["gia_tri"], row["tu_so"], row["mau_so"], row["ghi_chu"]) == (22.0, 22.0, 48.0, None)


CASES = {2018: (20, 19, 100, 10), 2019: (30, 29, 110, 9), 2020: (65, 64, 120, 6)}


@pytest.mark.parametrize(
    "code, gia_tri, tu_so, mau_so, rule",
    [
        ("so_vu_an_hinh_su", 115.0, None, None, "sum"),           # a flow: cases add up over the years
        ("so_vu_an_kham_pha", 112.0, None, None, "sum"),
        ("ty_le_kham_pha_vu_an", 100 * 112 / 115, 112.0, 115.0, "sum"),   # 97.4 at one decimal
        ("so_ho", 120.0, None, None, "last"),                     # a stock: the last year's households
        ("ty_le_ho_ngheo", 100 * 6 / 120, 6.0, 120.0, "last"),
    ],
)
def test_period_sums_flows_and_takes_last_year_of_stocks(config, db_path, code, gia_tri, tu_so, mau_so, rule):
    for year, (cases, solved, households, poor) in CASES.items():
        add_submission(db_path, year, "CA", {"so_vu_an_hinh_su": cases, "so_vu_an_kham_pha": solved})
        add_submission(db_path, year, "TTT", {"so_ho": households, "so_ho_ngheo": poor})
    aggregate(config, 2020, 3, db_path)
    row = period_row(db_path, 2020, code)
    assert (row["nam_dau"], row["nam_cuoi"], row["quy_tac_ky"]) == (2018, 2020, rule)
    assert row["gia_tri"] == pytest.approx(gia_tri, rel=1e-12)
    assert (row["tu_so"], row["mau_so"]) == (tu_so, mau_so)
    if code == "ty_le_kham_pha_vu_an":
        assert round(row["gia_tri"], 1) == 97.4


def test_period_sum_over_a_year_without_value_is_not_given(config, db_path):
    add_submission(db_path, 2019, "CA", {"so_vu_an_hinh_su": 30, "so_vu_an_kham_pha": 29})
    add_submission(db_path, 2020, "CA", {"so_vu_an_hinh_su": 65, "so_vu_an_kham_pha": 64})
    aggregate(config, 2020, 3, db_path)
    row = period_row(db_path, 2020, "so_vu_an_hinh_su")
    assert (row["gia_tri"], row["so_nam_co_so_lieu"]) == (None, 2)
    assert row["ghi_chu"] == "Không cộng được cả giai đoạn: thiếu số liệu năm 2018."
    assert period_row(db_path, 2020, "ty_le_kham_pha_vu_an")["gia_tri"] is None


AWARDS = [("giay_khen", "tap_the")] * 3 + [("giay_khen", "ca_nhan")] * 5 + [("chien_si_thi_dua_co_so", "ca_nhan")]


def test_award_table_total_equals_accepted_award_rows(config, db_path):
    add_submission(db_path, 2019, "TTT", awards=AWARDS)
    add_submission(db_path, 2019, "NV", awards=[("lao_dong_tien_tien", "ca_nhan")] * 4)
    add_submission(db_path, 2019, "TL", awards=[("giay_khen", "tap_the")] * 7, state="quarantined")
    add_submission(db_path, 2020, "TTT", awards=[("chien_si_tien_tien", "tap_the")] * 2)
    aggregate(config, 2020, 2, db_path)
    with open_db(db_path) as con:
        accepted_rows = con.execute(
            "select count(*) from stg_award join submission_status using (file_version_id) "
            "where trang_thai = 'accepted'").fetchone()[0]
        total = con.execute("select sum(so_luong) from mart_award_table").fetchone()[0]
        table = con.execute(
            "select nam, hinh_thuc, doi_tuong, so_luong from mart_award_table order by nam, sort_order").fetchall()
        keys = con.execute(
            "select count(*), count(distinct (nam, hinh_thuc, doi_tuong)) from mart_award_table").fetchone()
    assert total == accepted_rows == 15
    assert keys == (14, 14)
    assert table[:7] == [
        (2019, "giay_khen", "tap_the", 3),
        (2019, "giay_khen", "ca_nhan", 5),
        (2019, "lao_dong_tien_tien", "tap_the", 0),
        (2019, "lao_dong_tien_tien", "ca_nhan", 4),
        (2019, "chien_si_tien_tien", "tap_the", 0),
        (2019, "chien_si_tien_tien", "ca_nhan", 0),
        (2019, "chien_si_thi_dua_co_so", "ca_nhan", 1),
    ]
    assert table[11] == (2020, "chien_si_tien_tien", "tap_the", 2)


def full_year_values(config, unit) -> dict:
    """Plausible values for every indicator the unit reports: numerators never above denominators."""
    by_type = {"flag": 1, "percent": 12.5, "growth": 6.54, "index": 88.1, "amount": 1234.5, "count": 40}
    return {i.code: by_type[i.value_type] for i in config.indicators_for(unit)}


def test_every_catalogue_indicator_has_a_value_for_a_full_year(config, db_path):
    for unit in config.expected_units(2020):
        add_submission(db_path, 2020, unit.code, full_year_values(config, unit))
    aggregate(config, 2020, 1, db_path)
    with open_db(db_path) as con:
        rows = con.execute(
            "select indicator_code, gia_tri is not null, is_day_du, ghi_chu from mart_district_indicators "
            "where nam = 2020 order by sort_order").fetchall()
        key = con.execute("select count(*), count(distinct (nam, unit_code, indicator_code)) "
                          "from mart_unit_indicators").fetchone()
    assert [r[0] for r in rows] == [i.code for i in config.indicators]
    assert all(r[1:] == (True, True, None) for r in rows), [r for r in rows if r[1:] != (True, True, None)]
    assert key[0] == key[1] == sum(len(config.indicators_for(u)) for u in config.expected_units(2020))
    assert district_row(db_path, 2020, "so_ho")["gia_tri"] == 400.0
    assert district_row(db_path, 2020, "ty_le_ho_ngheo")["gia_tri"] == 100.0


def test_quarantined_unit_is_left_out_of_unit_indicators(config, db_path):
    add_submission(db_path, 2020, "TTT", {"so_ho": 100})
    add_submission(db_path, 2020, "TP1", {"so_ho": 7}, state="quarantined")
    aggregate(config, 2020, 1, db_path)
    with open_db(db_path) as con:
        rows = con.execute("select nam, unit_code, indicator_code, gia_tri, source_path from mart_unit_indicators"
                           ).fetchall()
    assert rows == [(2020, "TTT", "so_ho", 100.0, "2020/TTT.xlsx")]
    assert district_row(db_path, 2020, "so_ho")["gia_tri"] == 100.0


def test_narrative_holds_accepted_paragraphs_in_registry_order(config, db_path):
    add_submission(db_path, 2020, "NV", narrative=[("II.10", "Cải cách hành chính")])
    add_submission(db_path, 2020, "TP1", narrative=[("II.2", "Đoạn TP1")])
    add_submission(db_path, 2020, "TTT", narrative=[("II.2", "Đoạn TTT 1"), ("II.2", "Đoạn TTT 2")])
    add_submission(db_path, 2020, "TL", narrative=[("II.2", "Bị tạm giữ")], state="quarantined")
    aggregate(config, 2020, 1, db_path)
    with open_db(db_path) as con:
        rows = con.execute("select muc, unit_code, noi_dung from mart_narrative "
                           "where muc = 'II.2' order by unit_sort_order, row_number").fetchall()
    assert rows == [("II.2", "TTT", "Đoạn TTT 1"), ("II.2", "TTT", "Đoạn TTT 2"), ("II.2", "TP1", "Đoạn TP1")]


@pytest.mark.parametrize(
    "value, text",
    [(None, ""), (2780.0, "2780"), (4.970297029702970, "4.97029702970297"), (-1.25, "-1.25"), (7, "7"),
     (100 * 150 / 10_100, repr(100 * 150 / 10_100))],
)
def test_csv_numbers_keep_full_precision_with_a_point(value, text):
    assert csv_number(value) == text


def test_write_outputs_writes_contract_files(config, db_path, tmp_path):
    add_submission(db_path, 2019, "TTT", {"so_ho": 10_000, "so_ho_ngheo": 100}, awards=AWARDS)
    add_submission(db_path, 2020, "TTT", {"so_ho": 10_000, "so_ho_ngheo": 100}, awards=AWARDS[:2])
    add_submission(db_path, 2020, "TP1", {"so_ho": 100, "so_ho_ngheo": 50})
    aggregate(config, 2020, 2, db_path)
    paths = write_outputs(config, 2020, 2, db_path, tmp_path / "out")
    assert [p.name for p in paths] == ["district_indicators.csv", "award_table.csv", "period_indicators.csv",
                                       "tong_hop_2020.xlsx"]
    assert all(p.parent == tmp_path / "out" / "2020" for p in paths)

    with paths[0].open(encoding="utf-8", newline="") as fh:
        district = list(csv.DictReader(fh))
    assert list(district[0])[:2] == ["ma_chi_tieu", "gia_tri"]
    values = {r["ma_chi_tieu"]: r["gia_tri"] for r in district}
    assert set(values) == {i.code for i in config.indicators}
    assert values["ty_le_ho_ngheo"] == repr(100 * 150 / 10_100)
    assert (values["so_ho"], values["tang_truong_kinh_te"]) == ("10100", "")

    with paths[1].open(encoding="utf-8", newline="") as fh:
        awards = list(csv.reader(fh))
    assert awards[0] == ["hinh_thuc", "doi_tuong", "nam", "so_luong"]
    assert awards[1:3] == [["giay_khen", "tap_the", "2019", "3"], ["giay_khen", "tap_the", "2020", "2"]]
    assert len(awards) == 1 + 7 * 2
    assert sum(int(r[3]) for r in awards[1:]) == len(AWARDS) + 2

    book = openpyxl.load_workbook(paths[3])
    assert book.sheetnames == ["Chi tieu 2020", "Khen thuong", "Giai doan 2019-2020"]
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    awards_sheet = book["Khen thuong"]
    assert [c.value for c in awards_sheet[3]] == ["Giấy khen", "Tập thể", 3, 2]


def test_ingested_workbooks_reach_the_marts(config, tmp_path):
    from tasks.ingest import ingest_year
    from tests.factories import submission, write_csv_folder, write_xlsx

    subs, db = tmp_path / "subs", tmp_path / "thidua.duckdb"
    write_xlsx(subs / "2020" / "TTT.xlsx", submission(
        "TTT", 2020, {"so_ho": "10.000", "so_ho_ngheo": 100},
        awards=[("Giấy khen", "Tập thể"), ("giay_khen", "ca_nhan"), ("Chiến sĩ thi đua cơ sở", "Cá nhân")]))
    write_csv_folder(subs / "2020" / "TP1", submission("TP1", 2020, {"so_ho": 100, "so_ho_ngheo": "50"}))
    (subs / "2020" / "TP2.xlsx").write_bytes(b"not a workbook")
    ingest_year(config, subs, 2020, db)
    aggregate(config, 2020, 1, db)
    row = district_row(db, 2020, "ty_le_ho_ngheo")
    assert (row["gia_tri"], row["tu_so"], row["mau_so"]) == (pytest.approx(100 * 150 / 10_100), 150.0, 10_100.0)
    assert (row["don_vi_bi_tam_giu"], row["so_don_vi_bao_cao"]) == ("TP2", 2)
    with open_db(db) as con:
        awards = con.execute("select hinh_thuc, doi_tuong, so_luong from mart_award_table where so_luong > 0 "
                             "order by sort_order").fetchall()
    assert awards == [("giay_khen", "tap_the", 1), ("giay_khen", "ca_nhan", 1), ("chien_si_thi_dua_co_so", "ca_nhan", 1)]


def test_award_csv_has_every_period_year_with_empty_counts_where_nothing_was_submitted(config, db_path, tmp_path):
    add_submission(db_path, 2018, "TTT", awards=AWARDS)
    add_submission(db_path, 2020, "TTT", awards=AWARDS[:1])
    aggregate(config, 2020, 3, db_path)
    path = write_outputs(config, 2020, 3, db_path, tmp_path / "out")[1]
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    assert len(rows) == 7 * 3
    assert rows[:3] == [["giay_khen", "tap_the", "2018", "3"], ["giay_khen", "tap_the", "2019", ""],
                        ["giay_khen", "tap_the", "2020", "1"]]
