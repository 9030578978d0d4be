"""How long thidua takes to refuse a zip bomb (a 3 GB sheet in a few MB of xlsx), and to read a normal file.

    uv run python bench/bench_zip_bomb.py [--gigabytes 3] [--repeat 3]

Prints the size on disk, the size the zip declares, and the median seconds of `scan_xlsx` (the guard
alone) and of `ingest_year` on a year holding only the bomb, then the same for the bomb's seed workbook.
tests/test_bad_input.py asserts the refusal and its reason; this script is where the time is measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.config import load_config  # noqa: E402
from tasks.ingest import ingest_year  # noqa: E402
from tasks.safety import UnsafeWorkbook, scan_xlsx  # noqa: E402
from tests.bad_inputs import big  # noqa: E402
from tests.factories import submission, write_xlsx  # noqa: E402

UNIT, YEAR = "TTT", 2020


def _median(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _scan(path: Path) -> None:
    try:
        scan_xlsx(path)
    except UnsafeWorkbook:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gigabytes", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        bomb = big.zip_bomb(root / "bomb.xlsx", UNIT, YEAR, gigabytes=args.gigabytes)
        print(f"built the bomb in {time.perf_counter() - started:.1f} s")
        seed = write_xlsx(root / "seed.xlsx", submission(UNIT, YEAR, {"so_ho": 100}))
        for name, path in (("zip bomb", bomb), ("normal workbook", seed)):
            with zipfile.ZipFile(path) as zf:
                declared = sum(i.file_size for i in zf.infolist())
            runs = iter(range(args.repeat))

            def ingest_once() -> None:
                subs = root / f"subs-{name[0]}-{next(runs)}"
                big.copy_into(path, subs / str(YEAR) / f"{UNIT}.xlsx")
                ingest_year(config, subs, YEAR, subs / "t.duckdb")

            print(f"{name}: {path.stat().st_size / 1e6:.1f} MB on disk, declares {declared / 1e6:,.1f} MB")
            print(f"  scan_xlsx   median of {args.repeat}: {_median(lambda: _scan(path), args.repeat):.3f} s")
            print(f"  ingest_year median of {args.repeat}: {_median(ingest_once, args.repeat):.3f} s")


if __name__ == "__main__":
    main()
