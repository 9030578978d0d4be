"""How each stage's cost grows with the data: a Markdown table from several `bench/run.py --json` files.

    uv run python bench/run.py --data /tmp/thidua-bench/district-csv --parts thidua,floor --json /tmp/district.json
    uv run python bench/run.py --data /tmp/thidua-bench/province-csv --parts thidua,floor --json /tmp/province.json
    uv run python bench/run.py --data /tmp/thidua-bench/nation-csv   --parts thidua,floor --json /tmp/nation.json
    uv run python bench/scale_table.py /tmp/district.json /tmp/province.json /tmp/nation.json

One row per stage (and the floor), one column group per run, smallest run first: seconds and seconds
per 100,000 stored cells (`raw_cell` rows). A stage that grows no worse than linearly keeps its
seconds per 100,000 cells flat or falling from left to right; "growth" is the largest run's per-cell
cost over the smallest's, "worst step" the largest such ratio between neighbouring runs (≤ 1: linear
or better at every step).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PER_CELLS = 100_000


def rows_of(report: dict) -> dict[str, float]:
    """Seconds per stage of one report, the whole of thidua, and the floor when it was measured."""
    results = report["results"]
    seconds = {stage: s["seconds"] for stage, s in results["thidua"]["stages"].items()}
    seconds["thidua (every stage)"] = results["thidua"]["seconds"]
    if "floor" in results:
        seconds["floor"] = results["floor"]["seconds"]
    return seconds


def scale_table(reports: list[dict]) -> str:
    reports = sorted(reports, key=lambda r: r["results"]["thidua"]["cells"])
    names = [Path(r["data"]).name for r in reports]
    lines = ["| | " + " | ".join(f"{n} s | s / {PER_CELLS:,} cells" for n in names) + " | growth | worst step |",
             "|---|" + "---:|---:|" * len(reports) + "---:|---:|"]
    sizes = {"files": [r["submissions"] for r in reports],
             "rows": [r["results"]["thidua"]["rows"] for r in reports],
             "cells": [r["results"]["thidua"]["cells"] for r in reports]}
    for label, values in sizes.items():
        lines.append(f"| {label} | " + " | ".join(c for v in values for c in (f"{v:,}", "")) + " | | |")
    measured = [rows_of(r) for r in reports]
    for stage in measured[0]:
        row, per_cell = [], []
        for seconds, cells in zip(measured, sizes["cells"]):
            value = seconds.get(stage)
            per_cell.append(None if value is None else value * PER_CELLS / cells)
            row += ["" if value is None else f"{value:.2f}", "" if value is None else f"{per_cell[-1]:.3f}"]
        known = [c for c in per_cell if c]
        steps = [b / a for a, b in zip(known, known[1:])]
        growth = f"{known[-1] / known[0]:.2f}" if steps else ""
        worst = f"{max(steps):.2f}" if steps else ""
        lines.append(f"| {stage} | " + " | ".join(row) + f" | {growth} | {worst} |")
    loads = ", ".join(f"{n} {r['results']['thidua']['load_1'][0]}" for n, r in zip(names, reports))
    lines += ["", f"1-minute load at the start of each thidua part: {loads}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path, help="JSON files of bench/run.py with the thidua part")
    args = parser.parse_args(argv)
    print(scale_table([json.loads(p.read_text(encoding="utf-8")) for p in args.reports]))


if __name__ == "__main__":
    sys.exit(main())
