"""Validation time for one district year of the shipped sample: ingest once, then time validate and publish.

    uv run python bench/bench_validate.py [--year 2020] [--repeat 3]

Prints the time to import Great Expectations, the first validation (creates the GX project),
then the warm runs, a validation of a copy of the database beside it (a new GX project in a warm
process: what a nation worker pays per district), and the publish time. Everything is written
to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.config import PROJECT_ROOT, load_config  # noqa: E402
from tasks.ingest import ingest_year  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=2020)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--submissions", type=Path, default=PROJECT_ROOT / "data" / "sample" / "submissions")
    args = parser.parse_args()
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        db = out / "thidua.duckdb"
        ingest_year(config, args.submissions, args.year, db)
        t0 = time.perf_counter()
        import great_expectations  # noqa: F401, PLC0415  (timed: most of a cold start)

        imported = time.perf_counter() - t0
        from tasks.validate import validate_year  # noqa: PLC0415

        t0 = time.perf_counter()
        summary = validate_year(config, args.year, db)
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            summary = validate_year(config, args.year, db)
            warm.append(time.perf_counter() - t0)
        other = Path(tmp) / "other" / "thidua.duckdb"
        other.parent.mkdir()
        shutil.copy(db, other)
        t0 = time.perf_counter()
        validate_year(config, args.year, other)
        fresh = time.perf_counter() - t0
        from tasks.publish import publish_validation  # noqa: PLC0415

        t0 = time.perf_counter()
        paths = publish_validation(config, args.year, db, out)
        publish = time.perf_counter() - t0
    print(f"district year {args.year}: {len(summary.statuses)} units "
          f"({summary.count('accepted')} accepted, {summary.count('rejected')} rejected, "
          f"{summary.count('missing')} missing), {summary.so_loi_nghiem_trong} critical, "
          f"{summary.so_canh_bao} warning findings")
    print(f"import great_expectations: {imported:.2f} s")
    print(f"validate, first run (creates the GX project): {cold:.2f} s")
    print(f"validate, warm (median of {args.repeat}): {statistics.median(warm):.2f} s "
          f"(min {min(warm):.2f}, max {max(warm):.2f})")
    print(f"validate, new GX project in the warm process: {fresh:.2f} s")
    print(f"publish (Data Docs, summary page, {len(paths)} files): {publish:.2f} s")


if __name__ == "__main__":
    main()
