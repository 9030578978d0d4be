"""CSV folders read by DuckDB and staged by SQL (tasks/csv_bulk.py) give exactly the Python path's tables.

The bad-input corpus is compared in tests/test_bad_input.py (its fixture builds that year once);
the properties of the SQL macros and of DuckDB's CSV reading are in tests/test_properties.py.
"""

from __future__ import annotations

import sys

from tasks.config import PROJECT_ROOT, load_config
from tasks.ingest import ingest_year
from tests.trees import compare_trees

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import generate  # noqa: E402

SAMPLE = PROJECT_ROOT / "data" / "sample" / "submissions"


def _both_ways(config, submissions, years, tmp_path):
    by_duckdb = {}
    for csv_by_duckdb in (True, False):
        db = tmp_path / f"{'duckdb' if csv_by_duckdb else 'python'}.duckdb"
        for year in years:
            summary = ingest_year(config, submissions, year, db, csv_by_duckdb=csv_by_duckdb)
            by_duckdb.setdefault(csv_by_duckdb, []).extend(summary.by_duckdb)
    assert by_duckdb[False] == []
    return tmp_path / "duckdb.duckdb", tmp_path / "python.duckdb", by_duckdb[True]


def test_the_sample_is_ingested_alike_by_duckdb_and_by_python(tmp_path):
    years = sorted(int(p.name) for p in SAMPLE.iterdir() if p.name.isdigit())
    duck, python, by_duckdb = _both_ways(load_config(), SAMPLE, years, tmp_path)
    assert compare_trees.main([str(duck), str(python)]) == 0
    csv_folders = sorted(f"{y}/{p.name}" for y in years for p in (SAMPLE / str(y)).iterdir() if p.is_dir())
    assert sorted(by_duckdb) == csv_folders  # every CSV folder of the sample is plain


def test_a_generated_district_and_its_resent_files_are_ingested_alike(tmp_path):
    """A whole generated district, then a second run where three units resent changed files (one of
    them now odd: a hidden character), superseding the first versions the same way on both paths."""
    generate.generate(scale="district", fmt="csv", out=tmp_path / "gen", communes=6, processes=1)
    root = next((tmp_path / "gen").iterdir())
    config = load_config(root / "config")
    year = int(next((root / "submissions").iterdir()).name)
    duck, python = tmp_path / "duckdb.duckdb", tmp_path / "python.duckdb"
    first = ingest_year(config, root / "submissions", year, duck)
    ingest_year(config, root / "submissions", year, python, csv_by_duckdb=False)
    assert len(first.by_duckdb) == first.count("accepted") > 0

    units = sorted(p for p in (root / "submissions" / str(year)).iterdir())[:3]
    for n, unit in enumerate(units):
        path = unit / "chi_tieu.csv"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(",", ",\u200b", 1) if n == 0 else text + f"so_ho,{100 + n},\n", encoding="utf-8")
    second = ingest_year(config, root / "submissions", year, duck)
    ingest_year(config, root / "submissions", year, python, csv_by_duckdb=False)
    assert sorted(second.by_duckdb) == sorted(f"{year}/{u.name}" for u in units[1:])
    assert compare_trees.main([str(duck), str(python)]) == 0
