"""The province example (examples/tinh-dong-thap-2026): the real cycle finds the generator's figures.

The generator's plan() is its own account of what it wrote; intended_*() compute the province's
figures from that plan, never from the files, so a parser or SQL fault shows as a difference here.
"""

from __future__ import annotations

import filecmp
import importlib.util
import sys

import pytest

from tasks.aggregate import aggregate
from tasks.config import PROJECT_ROOT, load_config
from tasks.db import open_db
from tasks.ingest import ingest_year
from tasks.validate import validate_year

EXAMPLE = PROJECT_ROOT / "examples" / "tinh-dong-thap-2026"
_spec = importlib.util.spec_from_file_location("example_generate", EXAMPLE / "generate.py")
generate = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = generate  # dataclasses look their module up
_spec.loader.exec_module(generate)


@pytest.fixture(scope="module")
def province_db(tmp_path_factory):
    """2024 (before the mergers) and 2026 ingested and validated, 2024–2026 aggregated, from the committed files."""
    config = load_config(EXAMPLE / "config")
    db = tmp_path_factory.mktemp("tinh") / "thidua.duckdb"
    for year in (2024, 2026):
        ingest_year(config, EXAMPLE / "submissions", year, db)
        validate_year(config, year, db)
    aggregate(config, 2026, 3, db)  # 2024–2026: the period spans the mergers
    return db


def rows(db, sql, params=()):
    with open_db(db) as con:
        return con.execute(sql, list(params)).fetchall()


def test_committed_example_is_what_the_generator_writes(tmp_path):
    generate.main(tmp_path)
    for folder in ("config", "submissions"):
        compared = filecmp.dircmp(tmp_path / folder, EXAMPLE / folder)
        stack, differ = [compared], []
        while stack:
            d = stack.pop()
            # awards.yaml and settings.yaml are hand-written; everything generated must match.
            differ += [f for f in d.diff_files + d.left_only] + [f for f in d.right_only
                                                                  if f not in ("awards.yaml", "settings.yaml")]
            stack += d.subdirs.values()
        assert differ == [], folder


def test_province_registry_is_a_province_of_communes_wards_and_departments():
    config = load_config(EXAMPLE / "config")
    kinds = [u.kind for u in config.expected_units(2026)]
    assert config.district.level == "tinh"
    assert config.district.issuing_body == "Ủy ban nhân dân tỉnh Đồng Tháp"
    assert (kinds.count("xa") + kinds.count("phuong"), kinds.count("phuong")) == (102, 20)
    assert len([u for u in config.expected_units(2026) if not u.is_commune]) == 20
    sizes = [u.households for u in generate.plan()[0] if u.households]
    assert max(sizes) > 8 * min(sizes)


def test_every_unit_is_accepted_without_a_finding(province_db):
    assert rows(province_db, "select nam, trang_thai, count(*) from submission_status group by all order by all") == [
        (2024, "accepted", 127), (2026, "accepted", 122)]
    assert rows(province_db, "select check_code, count(*) from finding group by all") == []


@pytest.mark.parametrize("year", [2024, 2026])
def test_award_table_equals_the_generators_awards_in_configured_order(province_db, year):
    config = load_config(EXAMPLE / "config")
    intended = generate.intended_award_table(year)
    table = rows(province_db, "select hinh_thuc, doi_tuong, so_luong from mart_award_table where nam = ? "
                 "order by sort_order", [year])
    configured = [(a.code, r) for a in config.awards for r in a.recipients]
    assert [(h, d) for h, d, _ in table] == configured
    assert {(h, d): n for h, d, n in table} == {key: intended.get(key, 0) for key in configured}


@pytest.mark.parametrize("year", [2024, 2026])
def test_province_indicators_equal_the_generators_figures(province_db, year):
    intended = generate.intended_indicators(year)
    found = dict(rows(province_db, "select indicator_code, gia_tri from mart_district_indicators where nam = ?", [year]))
    assert found.keys() == intended.keys()
    assert {k: round(v, 9) for k, v in found.items()} == {k: round(v, 9) for k, v in intended.items()}


def test_merged_commune_is_compared_with_the_sum_of_its_predecessors(province_db):
    intended = generate.intended_predecessor_sums()
    found = rows(province_db, "select unit_code, indicator_code, nam_truoc, gia_tri_truoc from mart_merged_unit_indicators "
                 "where nam = 2026 and tu_so is null")
    assert {u for u, *_ in found} == set(intended) == {"TANHONG", "HONGNGU", "PHUTHUAN", "LONGKHANH"}
    assert {(u, k): v for u, k, _, v in found} == {(u, k): v for u, sums in intended.items() for k, v in sums.items()}
    assert {n for _, _, n, _ in found} == {2024}
    notes = dict(rows(province_db, "select unit_code, ghi_chu from mart_unit_merger"))
    assert notes["HONGNGU"].startswith("Xã Hồng Ngự (HONGNGU) được hợp nhất từ Xã Thường Phước 1 (THUONGPHUOC1), "
                                       "Xã Thường Phước 2 (THUONGPHUOC2), Xã Thường Thới Hậu A (THUONGTHOIHAUA) "
                                       "từ ngày 01/07/2025; số liệu so sánh năm 2024 là tổng")


def test_period_across_the_mergers_says_so(province_db):
    notes = rows(province_db, "select distinct ghi_chu_hop_nhat from mart_period_indicators")
    assert notes == [("Các năm trước ngày hợp nhất (01/07/2025) gồm số liệu của các đơn vị cũ, nay là "
                      "HONGNGU, LONGKHANH, PHUTHUAN, TANHONG; mỗi năm cộng các đơn vị được giao báo cáo năm đó.",)]


def test_group_breakdown_adds_up_to_the_province(province_db):
    config = load_config(EXAMPLE / "config")
    by_group = rows(province_db, "select group_code, sum(gia_tri) from mart_group_indicators where nam = 2026 "
                    "and indicator_code = 'so_ho' group by all order by group_code")
    assert [g for g, _ in by_group] == sorted(g.code for g in config.groups if g.code.startswith("CUM"))
    assert sum(v for _, v in by_group) == generate.intended_indicators(2026)["so_ho"]
