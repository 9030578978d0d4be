"""Great Expectations once per table across all children of a fan-out, against once per child.

Issue 17 asks whether a province or nation run should validate per child or across children,
"whichever measures faster". This times both on child files that `run.py --parts thidua --work DIR`
left behind, with the same suites, the same frames (tasks.validate.suite_frames) and one GX
context, and checks that both find the same failed rows (every expectation is row-wise):

    uv run python bench/run.py --data $B/nation-csv --parts thidua,floor --work $B/nation-work --json $B/nation.json
    uv run python bench/gx_across_children.py --data $B/nation-csv --work $B/nation-work

Prints seconds per way, rows per table and the failed rows of each; --json FILE writes them.
What it leaves out on purpose: writing findings and statuses back into each child's file, and the
per-child Data Docs, which DESIGN requires and which an across-children run would have to split.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

CHILD = "thu_muc"  # the child folder of a row, added to the frames and to the failures' index columns


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the folder bench/generate.py wrote")
    parser.add_argument("--work", type=Path, required=True, help="the --work folder of run.py --parts thidua")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    import duckdb
    import pandas as pd

    from tasks.config import load_config
    from tasks.validate import gx_context, suite_frames, validate_frame

    children = sorted(p for p in args.data.iterdir() if (p / "config" / "units.yaml").is_file())
    clock = time.perf_counter()
    frames: dict[str, list[tuple[str, dict, pd.DataFrame]]] = {}
    for child in children:
        db = args.work / "thidua" / child.name / "thidua.duckdb"
        with duckdb.connect(str(db), read_only=True, config={"autoload_known_extensions": "false",
                                                             "autoinstall_known_extensions": "false"}) as con:
            frames[child.name] = [(t, s, f.assign(**{CHILD: child.name}))
                                  for t, s, f in suite_frames(con, load_config(child / "config"), args.year)]
    frame_seconds = time.perf_counter() - clock

    project = args.work / "gx-across-children"  # the GX project both ways validate in (replaced each run)
    shutil.rmtree(project, ignore_errors=True)
    context = gx_context(project)

    def run(table: str, suite: dict, frame) -> list[tuple]:
        suite = {**suite, "meta": {**suite["meta"], "index_columns": [CHILD, *suite["meta"]["index_columns"]]}}
        _, failures = validate_frame(context, table=table, suite=suite, frame=frame, run_id="bench",
                                     parameters={"nam": args.year})
        return [(f["row"][CHILD], f["meta"]["check_code"], f["row"]["unit_code"], f["row"].get("row_number"))
                for f in failures]

    first = next(iter(frames.values()))
    for table, suite, frame in first:  # GX's first run in a process loads its expectation classes
        run(table, suite, frame)

    clock = time.perf_counter()
    per_child = Counter(row for parts in frames.values() for table, suite, frame in parts
                        for row in run(table, suite, frame))
    per_child_seconds = time.perf_counter() - clock

    clock = time.perf_counter()
    tables = {table: (suite, pd.concat([f for parts in frames.values() for t, _, f in parts if t == table],
                                       ignore_index=True))
              for table, suite, _ in first}
    concat_seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    across = Counter(row for table, (suite, frame) in tables.items() for row in run(table, suite, frame))
    across_seconds = time.perf_counter() - clock

    report = {
        "children": len(children), "rows": {t: len(f) for t, (_, f) in tables.items()},
        "frames_seconds": round(frame_seconds, 2),
        "per_child": {"gx_runs": len(children) * len(tables), "seconds": round(per_child_seconds, 2),
                      "failed_rows": sum(per_child.values())},
        "across_children": {"gx_runs": len(tables), "seconds": round(across_seconds, 2),
                            "concat_seconds": round(concat_seconds, 2), "failed_rows": sum(across.values())},
        "failed_by_check": dict(sorted(Counter(check for _, check, _, _ in across.elements()).items())),
        "same_failed_rows": per_child == across,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    if per_child != across:
        sys.exit("the two ways found different failed rows")


if __name__ == "__main__":
    main()
