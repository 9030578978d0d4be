"""Mergers: a merged commune is compared with the sum of its predecessors; they are no longer expected."""

from __future__ import annotations

import shutil

import pytest

from factories import submission, write_csv_folder
from tasks.aggregate import aggregate
from tasks.config import load_config
from tasks.db import open_db
from tasks.ingest import ingest_year
from tasks.validate import validate_year

UNITS = """
district: {level: tinh, name: Đồng Tháp, province: Đồng Tháp, place_name: Đồng Tháp,
           signer_title: CHỦ TỊCH, signer_name: Trần Văn B}
units:
  - {code: A, name: Xã A, kind: xa, from: 2020}
  - {code: B, name: Xã B, kind: xa, from: 2020}
  - {code: C, name: Xã C, kind: xa, from: 2025-07-01, merged_from: [A, B]}
  - {code: P, name: Phường P, kind: phuong, from: 2020}
"""
INDICATORS = """
indicators:
  - {code: so_ho, name: Số hộ, unit: hộ, decimals: 0, value_type: count, reported_by: communes, aggregation: sum, period: last}
  - {code: so_ho_ngheo, name: Số hộ nghèo, unit: hộ, decimals: 0, value_type: count, reported_by: communes, aggregation: sum, period: last}
  - {code: ty_le_ho_ngheo, name: Tỷ lệ hộ nghèo, unit: "%", decimals: 2, aggregation: ratio, numerator: so_ho_ngheo, denominator: so_ho}
"""
VALUES_2024 = {"A": (1000, 50), "B": (3000, 30), "P": (2000, 20)}


@pytest.fixture
def merged(tmp_path):
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "units.yaml").write_text(UNITS, encoding="utf-8")
    (folder / "indicators.yaml").write_text(INDICATORS, encoding="utf-8")
    config = load_config(folder)
    submissions, db = tmp_path / "submissions", tmp_path / "thidua.duckdb"

    def send(year: int, values: dict[str, tuple[int, int]]) -> None:
        shutil.rmtree(submissions / str(year), ignore_errors=True)
        for code, (ho, ngheo) in values.items():
            write_csv_folder(submissions / str(year) / code,
                             submission(code, year, {"so_ho": ho, "so_ho_ngheo": ngheo}))
        ingest_year(config, submissions, year, db)
        validate_year(config, year, db)

    send(2024, VALUES_2024)
    return config, db, send


def findings(db, year):
    with open_db(db) as con:
        return con.execute("select unit_code, check_code, message_vi from finding where nam = ? order by unit_code",
                           [year]).fetchall()


def test_predecessors_are_not_expected_after_the_merger(merged):
    config, db, send = merged
    send(2026, {"C": (4100, 70), "P": (2050, 18)})
    aggregate(config, 2026, 1, db)
    with open_db(db) as con:
        statuses = con.execute("select ma_don_vi, nam, trang_thai from submission_status order by nam, ma_don_vi").fetchall()
        reporters = con.execute("select so_don_vi_du_kien, don_vi_chua_nop from mart_district_indicators "
                                "where nam = 2026 and indicator_code = 'so_ho'").fetchall()
    assert statuses == [("A", 2024, "accepted"), ("B", 2024, "accepted"), ("P", 2024, "accepted"),
                        ("C", 2026, "accepted"), ("P", 2026, "accepted")]
    assert reporters == [(2, None)]
    assert findings(db, 2026) == []
    assert [u.code for u in config.expected_units(2024)] == ["A", "B", "P"]
    assert [u.code for u in config.expected_units(2026)] == ["C", "P"]


def test_merged_commune_change_is_checked_against_its_predecessors_sum(merged):
    config, db, send = merged
    send(2026, {"C": (7000, 75), "P": (2050, 18)})  # 7000 against 1000 + 3000: +75%
    found = findings(db, 2026)
    assert [(u, c) for u, c, _ in found] == [("C", "bien_dong_bat_thuong")]
    assert "năm 2024 là 4.000 (tổng của Xã A (A), Xã B (B) năm 2024, trước khi hợp nhất từ ngày 01/07/2025)" in found[0][2]


def test_merged_commune_ratio_is_formed_from_the_predecessors_summed_parts(merged):
    config, db, send = merged
    send(2026, {"C": (4100, 70), "P": (2050, 18)})
    aggregate(config, 2026, 1, db)
    with open_db(db) as con:
        got = con.execute("select indicator_code, gia_tri, gia_tri_truoc, tu_so_truoc, mau_so_truoc from "
                          "mart_merged_unit_indicators where unit_code = 'C' and nam = 2026 order by sort_order").fetchall()
    # 100 × (50 + 30) / (1000 + 3000) = 2 %, not the mean of 5 % and 1 % (3 %).
    assert got == [("so_ho", 4100, 4000, None, None), ("so_ho_ngheo", 70, 80, None, None),
                   ("ty_le_ho_ngheo", pytest.approx(100 * 70 / 4100), 2.0, 80, 4000)]
