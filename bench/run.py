"""Time thidua against the DuckDB floor and a pandas peer, on the same generated files.

    uv run python bench/generate.py --scale province --format csv --out /tmp/thidua-bench/province-csv
    uv run python bench/run.py --data /tmp/thidua-bench/province-csv

Every measurement runs in a fresh Python process, so each peak memory (max RSS of the largest
process, and "tree": the sampled sum over the process and its children, e.g. pool workers) is that
of the thing measured, and import time is reported apart from work time. Prints one table and writes it
as JSON (--json). Parts:

- thidua: ingest, validate and aggregate of every child folder as plain function calls, one
  stage after the other (one process per stage, looping over the children);
- fan-out: `flows.scale.province_run` end to end with --workers processes (Prefect included);
- floor: DuckDB reading the same CSVs with one read_csv glob per sheet and one aggregate query,
  no validation, no lineage (CSV data only);
- peer: what an analyst would write — read_csv/read_excel per file, concat, groupby, and one
  Great Expectations validation per file (ephemeral context);
- prefect: one child's cycle as the `district-run` flow against the same stages as plain calls.

--root points at another copy of the project (a prototype of a fix) to time it instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUIET_ENV = {"GX_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
             "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
HINH_THUC = ["giay_khen", "lao_dong_tien_tien", "chien_si_tien_tien", "chien_si_thi_dua_co_so"]
DOI_TUONG = ["tap_the", "ca_nhan"]


def _peak_mib() -> float:
    """Largest RSS of this process or any child it waited for (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def _folders(data: Path) -> list[Path]:
    return sorted(p for p in data.iterdir() if (p / "config" / "units.yaml").is_file())


def _submission_files(data: Path, year: int) -> list[Path]:
    return sorted(e for f in _folders(data) for e in (f / "submissions" / str(year)).iterdir())


# --- measured parts: each runs in its own process (see _measure) --------------------------------


def part_stage(args) -> dict:
    """One thidua stage over every child folder, as plain function calls."""
    sys.path.insert(0, str(args.root))
    clock = time.perf_counter()
    from tasks.aggregate import aggregate
    from tasks.config import load_config
    from tasks.ingest import ingest_year
    from tasks.validate import validate_year

    if args.stage == "validate":
        import great_expectations  # noqa: F401  (import time is reported apart)
    imported = time.perf_counter() - clock
    clock = time.perf_counter()
    rows = 0
    for folder in _folders(args.data):
        config = load_config(folder / "config")
        db = args.work / "thidua" / folder.name / "thidua.duckdb"
        if args.stage == "ingest":
            rows += ingest_year(config, folder / "submissions", args.year, db).rows
        elif args.stage == "validate":
            summary = validate_year(config, args.year, db)
            rows += summary.count("accepted")
        else:
            aggregate(config, args.year, 1, db)
    return {"seconds": time.perf_counter() - clock, "import_seconds": imported, "rows": rows}


def part_fanout(args) -> dict:
    """flows.scale.province_run end to end (ephemeral Prefect server included)."""
    clock = time.perf_counter()
    sys.path.insert(0, str(args.root))
    from flows.scale import run_province

    imported = time.perf_counter() - clock
    clock = time.perf_counter()
    out = args.work / f"fanout-{args.workers}"
    result = run_province(args.data, args.year, out, workers=args.workers)
    return {"seconds": time.perf_counter() - clock, "import_seconds": imported, "rows": result["accepted"],
            "failed": result["failed"]}


def part_floor(args) -> dict:
    """DuckDB alone: one read_csv glob per sheet and one aggregate query over all of them."""
    clock = time.perf_counter()
    import duckdb

    imported = time.perf_counter() - clock
    clock = time.perf_counter()
    base = str(args.data / "*" / "submissions" / str(args.year) / "*")
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    # The dialect is given, not sniffed: sniffing each of 8,000 small files was 8x slower, and
    # without union_by_name the first file's sniffed dialect misread quoted "6,54" decimals.
    dialect = "all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"'"
    rows = con.execute(
        f"""
        with
        indicators as (
            select ma_chi_tieu, try_cast(replace(gia_tri, ',', '.') as double) as gia_tri
            from read_csv($ind, {dialect})
        ),
        awards as (
            select hinh_thuc, doi_tuong from read_csv($awd, {dialect})
        ),
        final as (
            select 'chi_tieu' as bang, ma_chi_tieu as khoa, null as khoa_2, sum(gia_tri) as gia_tri, count(*) as so_dong
            from indicators group by ma_chi_tieu
            union all
            select 'khen_thuong', hinh_thuc, doi_tuong, null, count(*) from awards group by hinh_thuc, doi_tuong
        )
        select * from final
        """,
        {"ind": base + "/chi_tieu.csv", "awd": base + "/khen_thuong.csv"},
    ).fetchall()
    return {"seconds": time.perf_counter() - clock, "import_seconds": imported,
            "rows": sum(r[4] for r in rows)}


def part_peer(args) -> dict:
    """The pandas peer: per-file reads, concat, groupby, one GX validation per file."""
    clock = time.perf_counter()
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    imported = time.perf_counter() - clock
    files = _submission_files(args.data, args.year)
    measured = files[: args.peer_files] if args.peer_files else files
    clock = time.perf_counter()
    indicators, awards = [], []
    ok = 0
    for entry in measured:
        if entry.is_dir():
            sheets = {name: pd.read_csv(entry / f"{name}.csv", dtype=str, keep_default_na=False)
                      for name in ("chi_tieu", "khen_thuong")}
        else:
            sheets = pd.read_excel(entry, sheet_name=["chi_tieu", "khen_thuong"], dtype=str, engine="openpyxl")
        chi_tieu = sheets["chi_tieu"].assign(
            unit=entry.stem, gia_tri=lambda f: pd.to_numeric(f["gia_tri"].str.replace(",", "."), errors="coerce"))
        khen_thuong = sheets["khen_thuong"].assign(unit=entry.stem)
        context = gx.get_context(mode="ephemeral")
        source = context.data_sources.add_pandas("tep")
        for name, frame, expectations in (
            ("chi_tieu", chi_tieu, [gxe.ExpectColumnValuesToNotBeNull(column="ma_chi_tieu"),
                                    gxe.ExpectColumnValuesToNotBeNull(column="gia_tri"),
                                    gxe.ExpectColumnValuesToBeBetween(column="gia_tri", min_value=0)]),
            ("khen_thuong", khen_thuong, [gxe.ExpectColumnValuesToBeInSet(column="hinh_thuc", value_set=HINH_THUC),
                                          gxe.ExpectColumnValuesToBeInSet(column="doi_tuong", value_set=DOI_TUONG),
                                          gxe.ExpectColumnValuesToNotBeNull(column="ten")]),
        ):
            batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all").get_batch(
                batch_parameters={"dataframe": frame})
            suite = gx.ExpectationSuite(name=name, expectations=expectations)
            ok += bool(batch.validate(suite).success)
        indicators.append(chi_tieu)
        awards.append(khen_thuong)
    by_indicator = pd.concat(indicators).groupby("ma_chi_tieu")["gia_tri"].sum()
    by_award = pd.concat(awards).groupby(["hinh_thuc", "doi_tuong"]).size()
    seconds = time.perf_counter() - clock
    return {"seconds": seconds * len(files) / len(measured), "measured_seconds": seconds,
            "measured_files": len(measured), "files": len(files), "import_seconds": imported,
            "rows": int(by_award.sum()) + len(by_indicator), "validations_passed": ok,
            "extrapolated": len(measured) < len(files)}


PREFECT_WARM_ROUNDS = 3


def part_prefect(args) -> dict:
    """The first child's cycle through the district-run flow and as plain calls: cold, then warm rounds (medians).

    The flow is called as thidua calls it in-process (`run_district`). "share" is the flow's time
    outside the stage functions: what Prefect costs, without the stages' own noise.
    """
    import functools
    import statistics

    sys.path.insert(0, str(args.root))
    clock = time.perf_counter()
    from flows import scale
    from tasks.rollup import district_cycle

    imported = time.perf_counter() - clock
    inside = [0.0]

    def timed(fn):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                inside[0] += time.perf_counter() - start
        return wrapper

    for stage in (scale.ingest, scale.validate, scale.aggregate, scale.write_tables):
        stage.fn = timed(stage.fn)
    # A --root copy from before run_district existed runs the flow itself (heartbeat included).
    run_flow = getattr(scale, "run_district", None) or (
        lambda folder, year, out: scale.district_run(folder=folder, year=year, out_dir=out))
    folder = _folders(args.data)[0]
    timings: dict[str, list[float]] = {"plain": [], "prefect": [], "share": []}
    cold = {}
    for attempt in ["cold", *(f"warm{n}" for n in range(1, PREFECT_WARM_ROUNDS + 1))]:
        for how in ("plain", "prefect"):
            out = args.work / "prefect" / f"{how}-{attempt}"
            inside[0] = 0.0
            clock = time.perf_counter()
            if how == "plain":
                run = district_cycle(folder=folder, year=args.year, out_dir=out)
                assert run.trang_thai == "ok", run.loi
            else:
                run_flow(folder, args.year, out)
            seconds = time.perf_counter() - clock
            if attempt == "cold":
                cold[how] = seconds
            else:
                timings[how].append(seconds)
                if how == "prefect":
                    timings["share"].append(seconds - inside[0])
    warm = {f"{k}_warm": statistics.median(v) for k, v in timings.items()}
    return {"seconds": warm["prefect_warm"], "import_seconds": imported, "plain_cold": cold["plain"],
            "prefect_cold": cold["prefect"], **warm, "rounds": {k: [round(x, 2) for x in v] for k, v in timings.items()}}


PARTS = {"stage": part_stage, "fanout": part_fanout, "floor": part_floor, "peer": part_peer, "prefect": part_prefect}


def _measure(part: str, args, **extra) -> dict:
    """Run one part in a fresh interpreter; its result and its peak memory."""
    command = [sys.executable, __file__, "--_part", part, "--data", str(args.data), "--year", str(args.year),
               "--work", str(args.work), "--root", str(args.root)]
    for key, value in extra.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    # What the part writes is removed first: a rerun must not find its files already ingested.
    stale = {"stage": ["thidua"] if extra.get("stage") == "ingest" else [],
             "prefect": ["prefect"],
             "fanout": [f"fanout-{extra.get('workers')}"]}.get(part, [])
    for name in stale:
        shutil.rmtree(args.work / name, ignore_errors=True)
    clock = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True, env={**os.environ, **QUIET_ENV})
        tree_peak = 0
        while process.poll() is None:
            # Pool workers and Prefect's server are separate processes: their sum is what the machine needs.
            tree_peak = max(tree_peak, _tree_rss_kib(process.pid))
            time.sleep(0.25)
        wall = time.perf_counter() - clock
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"{part} {extra} failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["wall_seconds"] = wall
    result["tree_peak_mib"] = round(tree_peak / 1024, 1)
    return result


def _tree_rss_kib(root: int) -> int:
    """RSS of a process and all its descendants now, from /proc (Linux)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0").strip())
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier += children
    return sum(rss.get(p, 0) for p in tree)


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = next((int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                if l.startswith("MemTotal")), 0)
    return {"nproc": os.cpu_count(), "memory_gib": round(mem / 1024 / 1024, 1), "cpu": cpu,
            "load_1_5_15": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder written by bench/generate.py")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--root", type=Path, default=ROOT, help="project copy whose stages are timed")
    parser.add_argument("--parts", default="thidua,floor,peer,prefect,fanout",
                        help="comma-separated: thidua, floor, peer, prefect, fanout")
    parser.add_argument("--peer-files", type=int, default=0, help="time the peer on the first N files and scale up")
    parser.add_argument("--fanout-workers", default="1,2", help="worker counts for the fan-out")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--_part", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--stage", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.data = args.data.resolve()

    if args._part:
        result = PARTS[args._part](args)
        result["peak_mib"] = _peak_mib()
        print(json.dumps(result, default=str))
        return

    own_work = args.work is None
    args.work = Path(args.work or tempfile.mkdtemp(prefix="thidua-bench-")).resolve()
    parts = set(args.parts.split(","))
    fmt = "csv" if any(e.is_dir() for e in _submission_files(args.data, args.year)[:1]) else "xlsx"
    results: dict[str, dict] = {}
    try:
        if "thidua" in parts:
            for stage in ("ingest", "validate", "aggregate"):
                results[stage] = _measure("stage", args, stage=stage)
                print(f"  {stage}: {results[stage]['seconds']:.1f} s", file=sys.stderr)
        if "floor" in parts and fmt == "csv":
            results["floor"] = _measure("floor", args)
        if "peer" in parts:
            results["peer"] = _measure("peer", args, peer_files=args.peer_files)
        if "prefect" in parts:
            results["prefect"] = _measure("prefect", args)
        if "fanout" in parts:
            for workers in args.fanout_workers.split(","):
                results[f"fanout_{workers}"] = _measure("fanout", args, workers=workers)
                print(f"  fan-out x{workers}: {results[f'fanout_{workers}']['seconds']:.1f} s", file=sys.stderr)
    finally:
        if own_work:
            shutil.rmtree(args.work, ignore_errors=True)

    report = {"data": str(args.data), "format": fmt, "submissions": len(_submission_files(args.data, args.year)),
              "children": len(_folders(args.data)), "root": str(args.root), "machine": machine(),
              "results": results, "ratios": ratios(results)}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(table(report))


def ratios(results: dict) -> dict:
    out = {}
    stages = [results[s]["seconds"] for s in ("ingest", "validate", "aggregate") if s in results]
    thidua = sum(stages) if len(stages) == 3 else None
    if thidua:
        out["thidua_seconds"] = thidua
        if "floor" in results:
            out["thidua_over_floor"] = thidua / results["floor"]["seconds"]
        if "peer" in results:
            out["peer_over_thidua"] = results["peer"]["seconds"] / thidua
    fanout = {k: v["seconds"] for k, v in results.items() if k.startswith("fanout_")}
    if "fanout_2" in fanout:
        if "floor" in results:
            out["fanout2_over_floor"] = fanout["fanout_2"] / results["floor"]["seconds"]
        if "peer" in results:
            out["peer_over_fanout2"] = results["peer"]["seconds"] / fanout["fanout_2"]
        if "fanout_1" in fanout:
            out["fanout_speedup_2_vs_1"] = fanout["fanout_1"] / fanout["fanout_2"]
    if "prefect" in results:
        p = results["prefect"]
        out["prefect_over_plain_warm"] = p["prefect_warm"] / p["plain_warm"]
        out["prefect_over_plain_cold"] = p["prefect_cold"] / p["plain_cold"]
    return {k: round(v, 2) for k, v in out.items()}


def table(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"data {report['data']} ({report['format']}, {report['submissions']} submissions in {report['children']} folder(s))",
        f"machine: {m['nproc']} CPU, {m['memory_gib']} GiB, {m['cpu']}; load {m['load_1_5_15']}",
        "",
        f"{'part':<22}{'seconds':>10}{'import s':>10}{'peak MiB':>10}{'tree MiB':>10}  note",
    ]
    notes = {
        "ingest": "thidua, plain calls", "validate": "thidua, plain calls (GX)", "aggregate": "thidua, plain calls",
        "floor": "DuckDB read_csv glob + aggregate", "peer": "pandas + GX per file",
        "prefect": "district-run flow, warm (median)",
    }
    for name, r in report["results"].items():
        note = notes.get(name) or f"province_run, {name.removeprefix('fanout_')} process(es)"
        if name == "peer" and r.get("extrapolated"):
            note += f" (timed on {r['measured_files']} of {r['files']} files, scaled)"
        if name == "prefect":
            note += (f"; plain warm {r['plain_warm']:.1f} s, Prefect's share {r['share_warm']:.2f} s, "
                     f"flow cold {r['prefect_cold']:.1f} s, plain cold {r['plain_cold']:.1f} s")
        lines.append(f"{name:<22}{r['seconds']:>10.1f}{r.get('import_seconds', 0):>10.1f}{r['peak_mib']:>10.0f}"
                     f"{r.get('tree_peak_mib', 0):>10.0f}  {note}")
    lines.append("")
    lines += [f"{k}: {v}" for k, v in report["ratios"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
