"""Per-district cost of each stage in one warm process: what a pool worker pays child after child.

    uv run python bench/generate.py --scale nation --format csv --folders 3 --out /tmp/perrun-n3
    uv run python bench/per_district.py --data /tmp/perrun-n3 --rounds 3

Runs ingest, validate, publish, aggregate (with its CSV/xlsx outputs) and render of every child
folder as plain calls, round after round in this one process (round 1 creates the files; later
rounds are warm reruns, as in a worker that sees the same district again). Prints each stage's
median over the warm rounds' calls (and the first round's: new files, new GX projects, as in a nation run) and
the RSS after each child. --root times another copy of the project (e.g.
`git archive main | tar -x -C /tmp/base`); --profile FILE writes a cProfile of every call but the
very first child's (imports, first GX load).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import sys
import time
from pathlib import Path

for name, value in {"GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}.items():
    os.environ.setdefault(name, value)

STAGES = ("ingest", "validate", "publish", "aggregate", "render")


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("/tmp/per_district-out"))
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--profile", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.root.resolve()))
    clock = time.perf_counter()
    from tasks.aggregate import aggregate, write_outputs
    from tasks.config import load_config
    from tasks.ingest import ingest_year
    from tasks.publish import publish_validation
    from tasks.validate import validate_year
    from tasks.year_outputs import render

    imported = time.perf_counter() - clock
    folders = sorted(p for p in args.data.iterdir() if (p / "config" / "units.yaml").is_file())
    wanted = args.stages.split(",")
    y = args.year

    def run_child(folder: Path, seconds: dict) -> None:
        config = load_config(folder / "config")
        out = args.out / folder.name
        db = out / "thidua.duckdb"
        calls = {
            "ingest": lambda: ingest_year(config, folder / "submissions", y, db),
            "validate": lambda: validate_year(config, y, db),
            "publish": lambda: publish_validation(config, y, db, out),
            "aggregate": lambda: (aggregate(config, y, 1, db), write_outputs(config, y, 1, db, out)),
            "render": lambda: render(config=config, year=y, period_years=1, db_path=db, out_dir=out),
        }
        for stage in STAGES:
            if stage in wanted:
                t = time.perf_counter()
                calls[stage]()
                seconds.setdefault(stage, []).append(time.perf_counter() - t)

    first: dict[str, list[float]] = {}
    warm: dict[str, list[float]] = {}
    rss = []
    profiler = cProfile.Profile() if args.profile else None
    for n in range(args.rounds):
        for i, folder in enumerate(folders):
            if profiler and (n or i):
                profiler.enable()
            run_child(folder, first if n == 0 else warm)
            if profiler and (n or i):
                profiler.disable()
            rss.append(round(_rss_mib()))
    if profiler:
        profiler.dump_stats(str(args.profile))
    medians = {s: statistics.median(v) for s, v in warm.items()}
    report = {"root": str(args.root), "children": len(folders), "rounds": args.rounds, "import_s": imported,
              "first_round_s": {s: sum(v) for s, v in first.items()},
              # the first child pays the imports and GX's first load: the others show a new district's cost
              "first_round_median_s": {s: statistics.median(v[1:] or v) for s, v in first.items()},
              "warm_median_s": medians,
              "warm_total_median_s": sum(medians.values()), "rss_mib": rss,
              "load": open("/proc/loadavg").read().split()[:3]}
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
