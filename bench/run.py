"""Time thidua against the DuckDB floor and two pandas peers, on the same generated files.

    uv run python bench/generate.py --scale province --format csv --out /tmp/thidua-bench/province-csv
    uv run python bench/run.py --data /tmp/thidua-bench/province-csv --parts thidua,floor,fair --json FILE

Every measurement runs in a fresh Python process, so each peak memory (max RSS of the largest
process, and "tree": the sampled sum over the process and its children, e.g. pool workers) is that
of the thing measured, and import time is reported apart from work time. Prints one table and writes it
as JSON (--json). Parts:

- thidua: every stage (ingest, validate, publish, aggregate, outputs, render) of every child folder
  as plain function calls, stage after stage, in one process; seconds, rows and peak memory per stage,
  and the cells and rows stored (for bench/scale_table.py);
- fan-out: `flows.scale.province_run` end to end with --workers processes (Prefect included);
- floor: DuckDB reading the same CSVs with one read_csv glob per sheet and one aggregate query,
  no validation, no lineage (CSV data only);
- peer: what an analyst would write — read_csv/read_excel per file, concat, groupby, and one
  Great Expectations validation per file (a new ephemeral context each: GX's set-up dominates);
- fair: the same reads and expectations, GX run once per table over the combined frames of each
  district (fair_district) and of the whole run (fair_run), in one context;
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


STAGES = ("ingest", "validate", "publish", "aggregate", "outputs", "render")
CORE_STAGES = ("ingest", "validate", "aggregate")  # what "thidua" meant before issue 17


def part_thidua(args) -> dict:
    """Every stage of every child folder as plain function calls in this one process, stage after stage.

    Imports (GX, python-docx, matplotlib included) are timed apart. Per stage: seconds, "peak_mib" (the
    process's largest RSS so far) and "count" (rows ingested, units accepted, or files written). Finally
    the cells and rows stored, for bench/scale_table.py (untimed).
    """
    sys.path.insert(0, str(args.root))
    clock = time.perf_counter()
    import duckdb
    import great_expectations  # noqa: F401
    import tasks.render  # noqa: F401  (python-docx, matplotlib)
    from tasks.aggregate import aggregate, write_outputs
    from tasks.config import load_config
    from tasks.ingest import ingest_year
    from tasks.publish import publish_validation
    from tasks.validate import validate_year
    from tasks.year_outputs import render

    imported = time.perf_counter() - clock
    children = []
    for folder in _folders(args.data):
        db = args.work / "thidua" / folder.name / "thidua.duckdb"
        children.append((folder, load_config(folder / "config"), db, db.parent / "out"))
    calls = {
        "ingest": lambda f, c, db, out: ingest_year(c, f / "submissions", args.year, db).rows,
        "validate": lambda f, c, db, out: validate_year(c, args.year, db).count("accepted"),
        "publish": lambda f, c, db, out: len(publish_validation(c, args.year, db, out)),
        "aggregate": lambda f, c, db, out: aggregate(c, args.year, 1, db),
        "outputs": lambda f, c, db, out: len(write_outputs(c, args.year, 1, db, out)),
        "render": lambda f, c, db, out: len(render(config=c, year=args.year, period_years=1, db_path=db,
                                                   out_dir=out)),
    }
    stages = {}
    for stage in STAGES:
        clock = time.perf_counter()
        counts = [calls[stage](*child) for child in children]
        stages[stage] = {"seconds": time.perf_counter() - clock, "peak_mib": _peak_mib(),
                         "count": sum(n or 0 for n in counts)}
    stored = {"cells": "select count(*) from raw_cell",
              "rows": "select (select count(*) from stg_indicator_value) + (select count(*) from stg_award)"}
    sizes = dict.fromkeys(stored, 0)
    for _, _, db, _ in children:
        with duckdb.connect(str(db), read_only=True) as con:
            for key, sql in stored.items():
                sizes[key] += con.execute(sql).fetchone()[0]
    return {"seconds": sum(s["seconds"] for s in stages.values()), "import_seconds": imported,
            "stages": stages, **sizes}


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


def _peer_expectations(gxe) -> dict[str, list]:
    """The peer's suites: the same in both peers."""
    return {
        "chi_tieu": [gxe.ExpectColumnValuesToNotBeNull(column="ma_chi_tieu"),
                     gxe.ExpectColumnValuesToNotBeNull(column="gia_tri"),
                     gxe.ExpectColumnValuesToBeBetween(column="gia_tri", min_value=0)],
        "khen_thuong": [gxe.ExpectColumnValuesToBeInSet(column="hinh_thuc", value_set=HINH_THUC),
                        gxe.ExpectColumnValuesToBeInSet(column="doi_tuong", value_set=DOI_TUONG),
                        gxe.ExpectColumnValuesToNotBeNull(column="ten")],
    }


def _peer_read(pd, entry: Path) -> dict:
    """One submission as an analyst reads it: read_csv per sheet of a CSV folder, or read_excel."""
    if entry.is_dir():
        sheets = {name: pd.read_csv(entry / f"{name}.csv", dtype=str, keep_default_na=False)
                  for name in ("chi_tieu", "khen_thuong")}
    else:
        sheets = pd.read_excel(entry, sheet_name=["chi_tieu", "khen_thuong"], dtype=str, engine="openpyxl")
    return {"chi_tieu": sheets["chi_tieu"].assign(
                unit=entry.stem, gia_tri=lambda f: pd.to_numeric(f["gia_tri"].str.replace(",", "."), errors="coerce")),
            "khen_thuong": sheets["khen_thuong"].assign(unit=entry.stem)}


def _peer_validator(gx, gxe):
    """validate(frames, fresh) -> suites passed; fresh builds a new ephemeral context (the per-file peer), else one is reused."""
    suites = {name: gx.ExpectationSuite(name=name, expectations=e) for name, e in _peer_expectations(gxe).items()}
    batches = {}

    def validate(frames: dict, fresh: bool) -> int:
        if fresh or not batches:
            source = gx.get_context(mode="ephemeral").data_sources.add_pandas("tep")
            batches.update({name: source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
                            for name in suites})
        return sum(bool(batches[name].get_batch(batch_parameters={"dataframe": frame}).validate(suites[name]).success)
                   for name, frame in frames.items())
    return validate


def part_peer(args) -> dict:
    """The pandas peer: reads per file, concat, groupby, Great Expectations per file (--scope file, a context
    each) or once per table over the combined frames of each district (--scope district) or of the run (run)."""
    clock = time.perf_counter()
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    imported = time.perf_counter() - clock
    per_file = args.scope == "file"
    folders = [(f, sorted((f / "submissions" / str(args.year)).iterdir())) for f in _folders(args.data)]
    files = [e for _, entries in folders for e in entries]
    limit = args.peer_files if per_file and args.peer_files else len(files)
    clock = time.perf_counter()
    validate = _peer_validator(gx, gxe)
    frames = {"chi_tieu": [], "khen_thuong": []}
    ok = read = 0
    for _, entries in folders:
        district = {"chi_tieu": [], "khen_thuong": []}
        for entry in entries[: max(0, limit - read)]:
            sheets = _peer_read(pd, entry)
            read += 1
            if per_file:
                ok += validate(sheets, fresh=True)
            for name, frame in sheets.items():
                district[name].append(frame)
        if not district["chi_tieu"]:
            break
        combined = {name: pd.concat(parts, ignore_index=True) for name, parts in district.items()}
        if args.scope == "district":
            ok += validate(combined, fresh=False)
        for name, frame in combined.items():
            frames[name].append(frame)
    combined = {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}
    if args.scope == "run":
        ok += validate(combined, fresh=False)
    by_indicator = combined["chi_tieu"].groupby("ma_chi_tieu")["gia_tri"].sum()
    by_award = combined["khen_thuong"].groupby(["hinh_thuc", "doi_tuong"]).size()
    seconds = time.perf_counter() - clock
    return {"seconds": seconds * len(files) / read, "measured_seconds": seconds, "measured_files": read,
            "files": len(files), "import_seconds": imported,
            "rows": len(combined["chi_tieu"]) + len(combined["khen_thuong"]), "groups": len(by_indicator) + len(by_award),
            "validations_passed": ok, "extrapolated": read < len(files)}


PREFECT_WARM_ROUNDS = 3


def flow_stages(scale) -> dict:
    """The Prefect tasks the district-run flow calls its stages through, by name.

    `flows.scale.STAGES`; a --root copy from before it existed has them as module attributes.
    """
    return getattr(scale, "STAGES", None) or {n: getattr(scale, n) for n in
                                              ("ingest", "validate", "aggregate", "write_tables")}


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

    for stage in flow_stages(scale).values():
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


PARTS = {"thidua": part_thidua, "fanout": part_fanout, "floor": part_floor, "peer": part_peer, "prefect": part_prefect}


def _measure(part: str, args, **extra) -> dict:
    """Run one part in a fresh interpreter; its result and its peak memory."""
    command = [sys.executable, __file__, "--_part", part, "--data", str(args.data), "--year", str(args.year),
               "--work", str(args.work), "--root", str(args.root)]
    for key, value in extra.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    # What the part writes is removed first: a rerun must not find its files already ingested.
    stale = {"thidua": ["thidua"],
             "prefect": ["prefect"],
             "fanout": [f"fanout-{extra.get('workers')}"]}.get(part, [])
    for name in stale:
        shutil.rmtree(args.work / name, ignore_errors=True)
    load_before = os.getloadavg()[0]
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
    result["load_1"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # before, after
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
    parser.add_argument("--parts", default="thidua,floor,peer,fair,prefect,fanout",
                        help="comma-separated: thidua, floor, peer (GX per file), fair (GX per table), prefect, fanout")
    parser.add_argument("--peer-files", type=int, default=0,
                        help="time the per-file peer on the first N files and scale up")
    parser.add_argument("--fanout-workers", default="1,2", help="worker counts for the fan-out")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--_part", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--scope", default=None, help=argparse.SUPPRESS)
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
            results["thidua"] = _measure("thidua", args)
            print(f"  thidua: {results['thidua']['seconds']:.1f} s", file=sys.stderr)
        if "floor" in parts and fmt == "csv":
            results["floor"] = _measure("floor", args)
        if "peer" in parts:
            results["peer"] = _measure("peer", args, scope="file", peer_files=args.peer_files)
        if "fair" in parts:
            for scope in ("district", "run"):
                results[f"fair_{scope}"] = _measure("peer", args, scope=scope)
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
    """thidua (every stage) and thidua_core (ingest, validate, aggregate) against the floor and the peers."""
    out = {}
    if "thidua" in results:
        stages = results["thidua"]["stages"]
        spent = {"thidua": sum(s["seconds"] for s in stages.values()),
                 "thidua_core": sum(stages[s]["seconds"] for s in CORE_STAGES)}
        for name, seconds in spent.items():
            out[f"{name}_seconds"] = seconds
            if "floor" in results:
                out[f"{name}_over_floor"] = seconds / results["floor"]["seconds"]
            for peer in ("peer", "fair_district", "fair_run"):
                if peer in results:
                    out[f"{peer}_over_{name}"] = results[peer]["seconds"] / seconds
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
        "thidua": "every stage, plain calls, one process", "floor": "DuckDB read_csv glob + aggregate",
        "peer": "pandas + GX per file (a context each)", "fair_district": "pandas + GX once per table per district",
        "fair_run": "pandas + GX once per table over the run", "prefect": "district-run flow, warm (median)",
    }
    for name, r in report["results"].items():
        note = notes.get(name) or f"province_run, {name.removeprefix('fanout_')} process(es)"
        if name == "peer" and r.get("extrapolated"):
            note += f" (timed on {r['measured_files']} of {r['files']} files, scaled)"
        if name == "prefect":
            note += (f"; plain warm {r['plain_warm']:.1f} s, Prefect's share {r['share_warm']:.2f} s, "
                     f"flow cold {r['prefect_cold']:.1f} s, plain cold {r['plain_cold']:.1f} s")
        note += f"; load {r['load_1'][0]}→{r['load_1'][1]}"
        lines.append(f"{name:<22}{r['seconds']:>10.1f}{r.get('import_seconds', 0):>10.1f}{r['peak_mib']:>10.0f}"
                     f"{r.get('tree_peak_mib', 0):>10.0f}  {note}")
        for stage, st in r.get("stages", {}).items():
            lines.append(f"  {stage:<20}{st['seconds']:>10.2f}{'':>10}{st['peak_mib']:>10.0f}")
    lines.append("")
    lines += [f"{k}: {v}" for k, v in report["ratios"].items()]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
