"""The benchmark's generator and a small smoke run of bench/run.py (shapes and counts, never timings)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from tasks.config import PROJECT_ROOT, load_config

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import compare_trees  # noqa: E402
import generate  # noqa: E402
import gx_across_children  # noqa: E402
import scale_table  # noqa: E402

# bench/run.py by path: a module plainly named `run` could be shadowed by another on sys.path.
_spec = importlib.util.spec_from_file_location("bench_run", PROJECT_ROOT / "bench" / "run.py")
bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_run)

YEAR = 2025


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_generator_rewrites_identical_files_for_the_same_seed(tmp_path, fmt):
    generate.generate(scale="district", fmt=fmt, out=tmp_path / "a", communes=2, processes=1)
    generate.generate(scale="district", fmt=fmt, out=tmp_path / "b", communes=2, processes=1)
    generate.generate(scale="district", fmt=fmt, out=tmp_path / "c", communes=2, processes=1, seed=7)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


@pytest.mark.parametrize("scale, units", [("district", 30), ("province", 120), ("nation", 118)])
def test_generated_config_has_the_scale_units_and_keeps_fixed_codes(tmp_path, scale, units):
    code = generate.folder_codes(scale)[0]
    generate.write_config(tmp_path / code, code, generate.SCALES[scale][1])
    config = load_config(tmp_path / code / "config")
    assert len(config.units) == units
    fixed = {i.code for i in load_config(PROJECT_ROOT / "config").indicators}
    assert fixed <= {i.code for i in config.indicators}
    commune = next(u for u in config.units if u.is_commune)
    assert len(config.indicators_for(commune)) == 50


def test_nation_scale_is_34_folders():
    assert len(generate.folder_codes("nation")) == 34


def test_generated_workbook_follows_the_contract(tmp_path):
    generate.generate(scale="district", fmt="xlsx", out=tmp_path, communes=1, processes=1)
    book = openpyxl.load_workbook(tmp_path / "HUYEN01" / "submissions" / str(YEAR) / "X001.xlsx", read_only=True)
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    assert list(sheets) == ["thong_tin", "chi_tieu", "khen_thuong"]
    assert sheets["chi_tieu"][0] == ("ma_chi_tieu", "gia_tri", "ghi_chu")
    assert len(sheets["chi_tieu"]) - 1 == 50 and len(sheets["khen_thuong"]) - 1 == 150
    assert ("ma_don_vi", "X001") in sheets["thong_tin"]


def test_benchmark_smoke_run_counts_the_same_rows_everywhere_and_derives_its_ratios(tmp_path, capsys):
    data = tmp_path / "data"
    made = generate.generate(scale="nation", fmt="csv", out=data, folders=2, communes=1, processes=1)
    report_path = tmp_path / "report.json"
    bench_run.main(["--data", str(data), "--work", str(tmp_path / "work"), "--parts", "thidua,floor,peer,fair",
                    "--peer-files", "2", "--json", str(report_path)])
    report = json.loads(report_path.read_text(encoding="utf-8"))
    results, ratios = report["results"], report["ratios"]
    assert report["submissions"] == made["submissions"] == 42
    stages = results["thidua"]["stages"]
    assert list(stages) == ["ingest", "validate", "publish", "aggregate", "outputs", "render"]
    # Every indicator and award row is ingested by thidua and read by the floor and the fair peers.
    assert stages["ingest"]["count"] == results["thidua"]["rows"] == made["rows"]
    assert results["floor"]["rows"] == results["fair_district"]["rows"] == results["fair_run"]["rows"] == made["rows"]
    assert stages["validate"]["count"] == 42  # accepted submissions
    assert results["thidua"]["cells"] > made["rows"]
    assert results["peer"]["extrapolated"] is True and results["peer"]["measured_files"] == 2
    # GX runs per file and table (2 x 2), per district and table (2 x 2), per table over the run (2).
    assert [results[p]["validations_passed"] for p in ("peer", "fair_district", "fair_run")] == [4, 4, 2]
    for part in results.values():
        assert part["peak_mib"] > 0 and len(part["load_1"]) == 2
    every = sum(s["seconds"] for s in stages.values())
    core = sum(stages[s]["seconds"] for s in ("ingest", "validate", "aggregate"))
    assert ratios["thidua_seconds"] == round(every, 2) and ratios["thidua_core_seconds"] == round(core, 2)
    assert ratios["thidua_over_floor"] == round(every / results["floor"]["seconds"], 2)
    assert ratios["thidua_core_over_floor"] == round(core / results["floor"]["seconds"], 2)
    for peer in ("peer", "fair_district", "fair_run"):
        assert ratios[f"{peer}_over_thidua"] == round(results[peer]["seconds"] / every, 2)
    # The printed table shows every stage and the ratio the issue asks for.
    printed = capsys.readouterr().out
    assert "thidua_over_floor" in printed and all(f"  {stage} " in printed for stage in stages)

    # GX across the children finds the same failed rows as GX per child: one spoiled count in each.
    for child in ("TINH01", "TINH02"):
        with duckdb.connect(str(tmp_path / "work" / "thidua" / child / "thidua.duckdb")) as con:
            spoiled = con.execute("select file_version_id, row_number from stg_indicator_value join ref_indicator "
                                  "using (indicator_code) where value_type = 'count' order by all limit 1").fetchone()
            con.execute("update stg_indicator_value set gia_tri = -5 where file_version_id = ? and row_number = ?",
                        list(spoiled))
    across_path = tmp_path / "across.json"
    gx_across_children.main(["--data", str(data), "--work", str(tmp_path / "work"), "--json", str(across_path)])
    across = json.loads(across_path.read_text(encoding="utf-8"))
    assert across["same_failed_rows"] is True
    assert across["per_child"]["failed_rows"] == across["across_children"]["failed_rows"] > 0
    assert across["failed_by_check"]["gia_tri_am"] == 2
    assert (across["per_child"]["gx_runs"], across["across_children"]["gx_runs"]) == (8, 4)
    assert across["rows"]["stg_submission"] == 42


def test_prefect_part_times_every_stage_task_the_district_run_flow_calls():
    """The prefect part wraps the flow's stage tasks to time Prefect's share; it must find all of them."""
    from flows import scale
    from tasks.rollup import PLAIN_STAGES

    stages = bench_run.flow_stages(scale)
    assert set(stages) == set(PLAIN_STAGES)
    assert [s.fn for s in stages.values()] == [PLAIN_STAGES[name] for name in stages]


def _tiny_tree(path: Path, cells: list[tuple[str, str]], run_id: str, ids: list[int]) -> Path:
    """raw_file_version + raw_cell for units A and B, with the given (unit, value) cells."""
    con = duckdb.connect(str(path))
    con.execute("create table raw_file_version (file_version_id bigint, nam integer, unit_code varchar, "
                "version integer, ingest_run_id varchar, received_at timestamp default current_timestamp)")
    con.execute("create table raw_cell (file_version_id bigint, cell_ref varchar, value_text varchar)")
    ids_of = dict(zip("AB", ids))
    for unit, fv in ids_of.items():
        con.execute("insert into raw_file_version (file_version_id, nam, unit_code, version, ingest_run_id) "
                    "values (?, 2025, ?, 1, ?)", [fv, unit, run_id])
    con.executemany("insert into raw_cell values (?, 'B2', ?)", [[ids_of[u], v] for u, v in cells])
    con.close()
    return path


@pytest.mark.parametrize("cells_b, ids_b, exit_code", [
    ([("A", "12"), ("B", "7,5")], [1, 2], 0),   # same rows, another run id and time
    ([("A", "12"), ("B", "7,5")], [2, 1], 0),   # ids assigned in another order
    ([("A", "12"), ("B", "7.5")], [1, 2], 1),   # one cell differs
    ([("A", "12")], [1, 2], 1),                 # one row missing
])
def test_compare_trees_exits_1_exactly_when_a_table_differs(tmp_path, capsys, cells_b, ids_b, exit_code):
    for side in "ab":
        (tmp_path / side / "HUYEN01").mkdir(parents=True)
    a = _tiny_tree(tmp_path / "a" / "HUYEN01" / "thidua.duckdb", [("A", "12"), ("B", "7,5")],
                   "ingest-2025-aaaaaaaaaaaa", [1, 2])
    b = _tiny_tree(tmp_path / "b" / "HUYEN01" / "thidua.duckdb", cells_b, "ingest-2025-bbbbbbbbbbbb", ids_b)
    assert compare_trees.main([str(tmp_path / "a"), str(tmp_path / "b")]) == exit_code  # folders, paired by path
    capsys.readouterr()
    assert compare_trees.main([str(a), str(b)]) == exit_code
    out = capsys.readouterr().out
    assert ("DIFFERENT" in out) == bool(exit_code)
    if cells_b[-1] == ("B", "7.5"):
        assert "'file_version_id': 'B/2025/v1', 'cell_ref': 'B2', 'value_text': '7,5'" in out


def test_compare_trees_dirs_masks_timestamps_but_not_figures(tmp_path):
    for side, stamp, figure in (("a", "2026-12-02T07:58:01", "12"), ("b", "2026-12-02T08:03:44", "12"),
                                ("c", "2026-12-02T08:03:44", "13")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "tong_hop.csv").write_text(f"chi_tieu,gia_tri\nCT01,{figure}\n", encoding="utf-8")
        (tmp_path / side / "report.md").write_text(f"Lập lúc {stamp}\n", encoding="utf-8")
    assert compare_trees.main(["--dirs", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert compare_trees.main(["--dirs", str(tmp_path / "a"), str(tmp_path / "c")]) == 1


def test_scale_table_gives_seconds_per_100000_cells_and_their_growth():
    def report(name, cells, ingest, render):
        stages = {"ingest": {"seconds": ingest}, "render": {"seconds": render}}
        return {"data": f"/tmp/{name}", "submissions": cells // 100,
                "results": {"thidua": {"stages": stages, "seconds": ingest + render, "rows": cells // 5,
                                       "cells": cells, "load_1": [1.0, 1.0]}}}
    table = scale_table.scale_table([report("nation", 1_000_000, 10.0, 40.0), report("district", 100_000, 2.0, 2.0),
                                     report("province", 400_000, 12.0, 4.0)])
    lines = table.splitlines()
    assert lines[0].startswith("| | district s | s / 100,000 cells | province s | s / 100,000 cells | nation s |")
    # ingest: 2.0 -> 3.0 -> 1.0 s per 100,000 cells; render: 2.0 -> 1.0 -> 4.0.
    assert "| ingest | 2.00 | 2.000 | 12.00 | 3.000 | 10.00 | 1.000 | 0.50 | 1.50 |" in lines
    assert "| render | 2.00 | 2.000 | 4.00 | 1.000 | 40.00 | 4.000 | 2.00 | 4.00 |" in lines
    assert "| cells | 100,000 |  | 400,000 |  | 1,000,000 |  | | |" in lines
