"""Province and nation runs: the roll-up of child marts (SQL on literal rows) and the fan-out end to end."""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tasks.config import PROJECT_ROOT
from tasks.rollup import ChildRun, RollupError, child_folders, district_cycle, rollup

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import generate

YEAR = 2025

# Two children's marts as literal rows: (indicator, aggregation, gia_tri, tu_so, mau_so, reporting, expected).
CHILD_INDICATORS = {
    "A": [("so_ho", "sum", 100.0, None, None, 2, 2), ("ty_le_ho_ngheo", "ratio", 10.0, 10.0, 100.0, 2, 2),
          ("dat_chuan_y_te", "count_true", 2.0, None, None, 2, 2), ("tang_truong_kinh_te", "single", 6.5, None, None, 1, 1),
          ("so_truong_dat_chuan", "fraction", 20.0, 20.0, 48.0, 1, 1)],
    "B": [("so_ho", "sum", 300.0, None, None, 3, 3), ("ty_le_ho_ngheo", "ratio", 10.0, 30.0, 300.0, 3, 3),
          ("dat_chuan_y_te", "count_true", 1.0, None, None, 3, 3), ("tang_truong_kinh_te", "single", 5.0, None, None, 1, 1),
          ("so_truong_dat_chuan", "fraction", None, None, None, 0, 1)],
}
CHILD_AWARDS = {"A": [("giay_khen", "tap_the", 5, 2), ("giay_khen", "ca_nhan", 7, 2)],
                "B": [("giay_khen", "tap_the", 1, 1), ("giay_khen", "ca_nhan", 0, 0)]}
CHILD_STATUS = {"A": [("U1", "accepted"), ("U2", "accepted")],
                "B": [("U1", "accepted"), ("U2", "rejected"), ("U3", "missing")]}


def write_child(path: Path, code: str) -> None:
    """A child DuckDB file holding only the marts the roll-up reads, from the literal rows above."""
    con = duckdb.connect(str(path))
    con.execute("create table mart_district_indicators (nam integer, indicator_code varchar, ten_chi_tieu varchar, "
                "don_vi_tinh varchar, decimals integer, aggregation varchar, gia_tri double, tu_so double, "
                "mau_so double, so_don_vi_bao_cao bigint, so_don_vi_du_kien bigint, ghi_chu varchar, sort_order integer)")
    for n, (ind, agg, value, num, den, rep, exp) in enumerate(CHILD_INDICATORS[code]):
        con.execute("insert into mart_district_indicators values (?, ?, ?, '', 0, ?, ?, ?, ?, ?, ?, null, ?)",
                    [YEAR, ind, ind, agg, value, num, den, rep, exp, n])
    con.execute("create table mart_award_table (nam integer, hinh_thuc varchar, doi_tuong varchar, so_luong bigint, "
                "so_don_vi bigint, ten_hinh_thuc varchar, ten_doi_tuong varchar, sort_order integer)")
    for n, (h, d, count, units) in enumerate(CHILD_AWARDS[code]):
        con.execute("insert into mart_award_table values (?, ?, ?, ?, ?, ?, ?, ?)", [YEAR, h, d, count, units, h, d, n])
    con.execute("create table submission_status (ma_don_vi varchar, nam integer, trang_thai varchar, is_expected boolean)")
    for unit, status in CHILD_STATUS[code]:
        con.execute("insert into submission_status values (?, ?, ?, true)", [unit, YEAR, status])
    con.close()


@pytest.fixture
def rolled_up(tmp_path):
    runs = []
    for code in ("A", "B"):
        write_child(tmp_path / f"{code}.duckdb", code)
        runs.append(ChildRun(code, f"/x/{code}", str(tmp_path / f"{code}.duckdb"), "ok"))
    runs.append(ChildRun("C", "/x/C", None, "failed", "ConfigError: units.yaml: file not found"))
    db = tmp_path / "rollup.duckdb"
    written = rollup(runs=runs, year=YEAR, db_path=db, out_dir=tmp_path / "out")
    con = duckdb.connect(str(db), read_only=True)
    yield con, written
    con.close()


@pytest.mark.parametrize("indicator, gia_tri, tu_so, mau_so", [
    ("so_ho", 400.0, None, None),
    # Σ numerators / Σ denominators: 40/400.
    ("ty_le_ho_ngheo", 10.0, 40.0, 400.0),
    ("dat_chuan_y_te", 3.0, None, None),
    # Growth of two provinces has no sum: shown per child only.
    ("tang_truong_kinh_te", None, None, None),
    ("so_truong_dat_chuan", 20.0, 20.0, 48.0),
])
def test_rollup_combines_children_by_aggregation_kind(rolled_up, indicator, gia_tri, tu_so, mau_so):
    con, _ = rolled_up
    row = con.execute("select gia_tri, tu_so, mau_so from rollup_indicators where indicator_code = ?",
                      [indicator]).fetchone()
    assert row == (gia_tri, tu_so, mau_so)


def test_rollup_ratio_weighs_children_by_denominator(tmp_path):
    CHILD = {"A": (10.0, 100.0), "B": (90.0, 300.0)}  # 10 % and 30 %: the mean would say 20 %
    runs = []
    for code, (num, den) in CHILD.items():
        con = duckdb.connect(str(tmp_path / f"{code}.duckdb"))
        con.execute("create table mart_district_indicators as select 2025 as nam, 'ty_le' as indicator_code, "
                    "'' as ten_chi_tieu, '' as don_vi_tinh, 2 as decimals, 'ratio' as aggregation, "
                    "100 * ?::double / ? as gia_tri, ?::double as tu_so, ?::double as mau_so, "
                    "1::bigint as so_don_vi_bao_cao, 1::bigint as so_don_vi_du_kien, 1 as sort_order",
                    [num, den, num, den])
        con.execute("create table mart_award_table as select 2025 as nam, 'giay_khen' as hinh_thuc, "
                    "'tap_the' as doi_tuong, 0::bigint as so_luong, 0::bigint as so_don_vi, '' as ten_hinh_thuc, "
                    "'' as ten_doi_tuong, 1 as sort_order")
        con.execute("create table submission_status as select 'U' as ma_don_vi, 2025 as nam, "
                    "'accepted' as trang_thai, true as is_expected")
        con.close()
        runs.append(ChildRun(code, code, str(tmp_path / f"{code}.duckdb"), "ok"))
    rollup(runs=runs, year=YEAR, db_path=tmp_path / "r.duckdb")
    con = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    assert con.execute("select gia_tri from rollup_indicators").fetchone() == (25.0,)
    con.close()


def test_rollup_award_total_equals_children_totals(rolled_up):
    con, _ = rolled_up
    rows = con.execute("select hinh_thuc, doi_tuong, so_luong, so_don_vi, so_huyen from rollup_award_table "
                       "order by sort_order").fetchall()
    assert rows == [("giay_khen", "tap_the", 6, 3, 2), ("giay_khen", "ca_nhan", 7, 2, 1)]
    total = sum(c for awards in CHILD_AWARDS.values() for _, _, c, _ in awards)
    assert con.execute("select sum(so_luong) from rollup_award_table").fetchone()[0] == total


def test_failed_child_is_named_in_status_and_every_indicator_note(rolled_up):
    con, written = rolled_up
    status = con.execute("select district_code, trang_thai, loi, so_don_vi_du_kien, so_chap_nhan, so_tam_giu, "
                         "so_chua_nop from rollup_district_status order by district_code").fetchall()
    assert status == [("A", "ok", None, 2, 2, 0, 0), ("B", "ok", None, 3, 1, 1, 1),
                      ("C", "failed", "ConfigError: units.yaml: file not found", 0, 0, 0, 0)]
    notes = [r[0] for r in con.execute("select ghi_chu from rollup_indicators").fetchall()]
    assert all("Lượt chạy bị lỗi, chưa có số liệu: C." in n for n in notes)
    # B reported no school figures although one unit was expected to: named as missing.
    assert "Thiếu số liệu của: B." in con.execute(
        "select ghi_chu from rollup_indicators where indicator_code = 'so_truong_dat_chuan'").fetchone()[0]
    assert [p.name for p in written] == ["rollup_indicators.csv", "rollup_award_table.csv", "rollup_district_status.csv"]


@pytest.mark.parametrize("runs, problem", [
    ([], "không có lượt chạy cấp dưới nào hoàn thành"),
    ([ChildRun("A", "a", None, "failed", "x")], "không có lượt chạy cấp dưới nào hoàn thành"),
    ([ChildRun("A", "a", "a.duckdb", "ok"), ChildRun("A", "b", "b.duckdb", "ok")], "bị trùng giữa các thư mục: A"),
])
def test_rollup_refuses_nothing_to_combine_or_duplicate_codes(tmp_path, runs, problem):
    with pytest.raises(RollupError, match=problem):
        rollup(runs=runs, year=YEAR, db_path=tmp_path / "r.duckdb")


def test_child_with_broken_config_is_reported_not_raised(tmp_path):
    folder = tmp_path / "HUYENX"
    (folder / "config").mkdir(parents=True)
    (folder / "config" / "units.yaml").write_text("district: [not, a, mapping\n", encoding="utf-8")
    run = district_cycle(folder=folder, year=YEAR, out_dir=tmp_path / "out")
    assert (run.district_code, run.trang_thai) == ("HUYENX", "failed")
    assert run.loi.startswith("ConfigError:") and "units.yaml" in run.loi


def test_child_folders_are_those_with_a_unit_registry(tmp_path):
    for name in ("B", "A", "notes"):
        (tmp_path / name).mkdir()
    for name in ("A", "B"):
        (tmp_path / name / "config").mkdir()
        (tmp_path / name / "config" / "units.yaml").write_text("", encoding="utf-8")
    assert [p.name for p in child_folders(tmp_path)] == ["A", "B"]
    with pytest.raises(RollupError, match="không có thư mục con nào"):
        child_folders(tmp_path / "notes")


def test_province_run_rolls_up_every_child_cycle(harness, tmp_path):
    from flows.scale import run_province

    data = tmp_path / "data"
    generate.generate(scale="nation", fmt="csv", out=data, folders=2, communes=2, processes=1)
    result = run_province(data, YEAR, tmp_path / "out", workers=2)
    assert (result["children"], result["failed"], result["accepted"], result["rejected"]) == (2, [], 44, 0)

    con = duckdb.connect(str(tmp_path / "out" / "rollup.duckdb"), read_only=True)
    children_total = 0
    for child in ("TINH01", "TINH02"):
        child_con = duckdb.connect(str(tmp_path / "out" / child / "thidua.duckdb"), read_only=True)
        children_total += child_con.execute("select sum(so_luong) from mart_award_table").fetchone()[0]
        child_con.close()
    # Every unit's 150 award rows, through both cycles and the roll-up.
    assert con.execute("select sum(so_luong) from rollup_award_table").fetchone()[0] == children_total == 44 * 150
    so_ho = con.execute("select gia_tri from rollup_indicators where indicator_code = 'so_ho'").fetchone()[0]
    sums = sum(float(r["gia_tri"]) for child in ("TINH01", "TINH02")
               for r in csv.DictReader((tmp_path / "out" / child / str(YEAR) / "district_indicators.csv").open(encoding="utf-8"))
               if r["ma_chi_tieu"] == "so_ho")
    assert so_ho == sums
    con.close()


def test_district_run_flow_writes_what_the_plain_cycle_writes(harness, tmp_path):
    from flows.scale import district_run

    data = tmp_path / "data"
    generate.generate(scale="district", fmt="xlsx", out=data, communes=1, processes=1)
    folder = data / "HUYEN01"
    result = district_run(folder=folder, year=YEAR, out_dir=tmp_path / "flow")
    plain = district_cycle(folder=folder, year=YEAR, out_dir=tmp_path / "plain")
    assert (result["accepted"], result["rejected"], result["missing"]) == (plain.accepted, 0, 0) == (21, 0, 0)
    for name in ("district_indicators.csv", "award_table.csv"):
        assert (tmp_path / "flow" / str(YEAR) / name).read_text(encoding="utf-8") == \
            (tmp_path / "plain" / str(YEAR) / name).read_text(encoding="utf-8")


def test_run_district_shows_each_stage_as_a_task_run_and_sends_no_heartbeat(harness, tmp_path):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.events.filters import EventFilter, EventResourceFilter
    from prefect.settings import get_current_settings

    from flows.scale import run_district

    data = tmp_path / "data"
    generate.generate(scale="district", fmt="csv", out=data, communes=1, processes=1)
    result = run_district(data / "HUYEN01", YEAR, tmp_path / "out")
    assert (result["files"], result["accepted"], result["rejected"]) == (21, 21, 0)
    # Only that flow run went without heartbeats: the caller's settings are as they were.
    assert get_current_settings().flows.heartbeat_frequency is not None

    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
        assert (client.read_flow(run.flow_id).name, run.state.is_completed()) == ("district-run", True)
        # Task runs and events reach the server as events, recorded a moment after the flow returns.
        task_runs = wait_for(lambda: (t := client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))) and len(t) >= 4 and t)
        own = EventFilter(resource=EventResourceFilter(id=[f"prefect.flow-run.{run.id}"]))
        events = wait_for(lambda: (e := [x.event for x in client.read_events(filter=own, limit=50).events])
                          and "prefect.flow-run.Completed" in e and e)
    assert sorted(t.name.rsplit("-", 1)[0] for t in task_runs) == ["aggregate", "ingest", "validate", "write-outputs"]
    assert all(t.state.is_completed() for t in task_runs)
    assert "prefect.flow-run.heartbeat" not in events


def wait_for(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.5)
    raise AssertionError(f"nothing after {timeout} s")


def test_scale_on_workers_refuses_a_process_count_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["scale", "--year", "2025", "--parent", str(tmp_path), "--on-workers",
                                      "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers chỉ dùng khi chạy trên máy này" in result.output
    assert not (tmp_path / "out-scale").exists() and not list(tmp_path.iterdir())
