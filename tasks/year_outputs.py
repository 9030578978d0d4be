"""A year's tables and report change together or not at all.

A run writes them aside, into `<out>/<year>/.dang_ghi-<run>/<year>/` (the stage functions take that
folder as their `out_dir`), then swaps them in: it writes the list of files to move (the commit
point, one atomic rename), moves each file over the old one (a rename within the folder) and
writes `lan_chay.json` last, naming the run that produced the files on disk. A run killed before
the commit point leaves the old files untouched and its folder is removed by the next run; a run
killed during the moves is finished by the next run from the list.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tasks.runlog import log_stage, now_vn, sha256_of

ASIDE_PREFIX = ".dang_ghi-"
SWAP_LIST = "chuyen.json"
MARKER = "lan_chay.json"


def aside(out_dir: Path | str, year: int, run_id: str) -> Path:
    """The folder to pass as `out_dir` to write_outputs/render_report; finishes or clears older ones first."""
    recover(out_dir, year)
    root = Path(out_dir) / str(year) / f"{ASIDE_PREFIX}{run_id}"
    (root / str(year)).mkdir(parents=True)
    return root


def swap(*, root: Path, year: int, run_id: str, db_path: Path | str, flow_run_id: str | None = None) -> list[Path]:
    """Move everything written under `root/<year>/` into `<out>/<year>/`; returns the files' new paths."""
    staged = root / str(year)
    year_dir = root.parent
    names = sorted(p.name for p in staged.iterdir())
    marker = {
        "run_id": run_id, "flow_run_id": flow_run_id, "written_at": now_vn().isoformat(timespec="seconds"),
        "files": [{"path": n, "sha256": sha256_of(staged / n)} for n in names if (staged / n).is_file()],
    }
    (staged / MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=2), encoding="utf-8")
    _write_atomic(root / SWAP_LIST, json.dumps([*names, MARKER], ensure_ascii=False))
    _roll_forward(root)
    log_stage(db_path=db_path, run_id=run_id, stage="outputs", year=year, started_at=now_vn(),
              flow_run_id=flow_run_id, detail=marker)
    return [year_dir / n for n in names]


def recover(out_dir: Path | str, year: int) -> None:
    """Finish a swap a killed run had committed; drop what a killed run had only written aside."""
    year_dir = Path(out_dir) / str(year)
    if not year_dir.is_dir():
        return
    for root in sorted(year_dir.glob(f"{ASIDE_PREFIX}*")):
        if (root / SWAP_LIST).is_file():
            _roll_forward(root)
        else:
            shutil.rmtree(root, ignore_errors=True)


def produced_by(out_dir: Path | str, year: int) -> dict | None:
    """The run that produced the year's files on disk (`lan_chay.json`), or None."""
    path = Path(out_dir) / str(year) / MARKER
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _roll_forward(root: Path) -> None:
    staged, year_dir = root / root.parent.name, root.parent
    for name in json.loads((root / SWAP_LIST).read_text(encoding="utf-8")):
        source, target = staged / name, year_dir / name
        if not source.exists():
            continue  # moved before the kill
        if source.is_dir() and target.exists():
            shutil.rmtree(target)
        os.replace(source, target)
    shutil.rmtree(root)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def render(*, config, year: int, period_years: int, db_path: Path | str, out_dir: Path | str,
           sign_off: dict | None = None, report_date=None, signed_before: dict | None = None) -> list[Path]:
    """render_report, imported late so a stage that never renders never imports python-docx/matplotlib."""
    from tasks.render import render_report

    return render_report(config=config, year=year, period_years=period_years, db_path=db_path, out_dir=out_dir,
                         sign_off=sign_off, report_date=report_date, signed_before=signed_before)
