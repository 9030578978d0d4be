"""The cycle's run log, versioned report drafts with a `latest` copy, and "changes since the last draft"."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from tasks.config import Config
from tasks.db import open_db
from tasks.formatting import format_number

DRAFTS_FOLDER = "drafts"
LATEST = "latest"
CHANGES_FILE = "thay_doi.md"
RUN_LOG_FILE = "run_log.csv"
_STATUS_VI = {"accepted": "đã nhận", "rejected": "bị trả lại", "superseded": "đã thay thế"}
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def now_vn() -> dt.datetime:
    """Wall time in Asia/Ho_Chi_Minh, without tzinfo: what every time stored or written by the cycle is."""
    return dt.datetime.now(TIMEZONE).replace(tzinfo=None)


@dataclass
class FileChange:
    nam: int
    unit_code: str
    unit_name: str
    source_path: str
    version: int
    status: str


@dataclass
class FigureChange:
    nam: int
    indicator_code: str
    ten_chi_tieu: str
    don_vi_tinh: str
    before: str
    after: str


@dataclass
class Draft:
    run_id: str
    year: int
    version: int
    folder: Path
    latest: Path
    outputs: list[dict]
    previous_version: int | None = None
    files: list[FileChange] = field(default_factory=list)
    figures: list[FigureChange] = field(default_factory=list)
    changes_md: str = ""

    @property
    def changed_units(self) -> list[str]:
        return sorted({f.unit_code for f in self.files})


def new_run_id(year: int) -> str:
    return f"cycle-{year}-{now_vn():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hashed(paths: list[Path]) -> list[dict]:
    return [{"path": str(p), "sha256": sha256_of(p)} for p in paths if Path(p).is_file()]


def log_stage(*, db_path: Path | str, run_id: str, stage: str, year: int, started_at: dt.datetime,
              flow_run_id: str | None = None, detail: dict | None = None) -> None:
    """Append one row to run_log; `detail` carries parameters, counts and output hashes."""
    with open_db(db_path) as con:
        con.execute(
            "insert into run_log values (?, ?, ?, ?, ?, ?, ?)",
            [run_id, stage, year, started_at, now_vn(), flow_run_id,
             json.dumps(detail or {}, ensure_ascii=False, default=str)],
        )


def save_draft(*, config: Config, year: int, period_years: int, db_path: Path | str, out_dir: Path | str,
               run_id: str, paths: list[Path], flow_run_id: str | None = None) -> Draft:
    """Copy this run's outputs into <out>/<year>/drafts/<NNN>/ and latest/, with the changes since the last draft."""
    first_year = year - period_years + 1
    year_dir = Path(out_dir) / str(year)
    with open_db(db_path) as con:
        previous = con.execute(
            "select run_id, version, max_file_version_id from draft where nam = ? order by version desc limit 1",
            [year],
        ).fetchone()
        version = previous[1] + 1 if previous else 1
        max_file_version_id = con.execute("select max(file_version_id) from raw_file_version").fetchone()[0]
        validation_run_id = con.execute(
            "select run_id from validation_run where nam = ? order by finished_at desc limit 1", [year]
        ).fetchone()
        con.execute(
            "insert into draft_indicator select ?, nam, indicator_code, gia_tri from mart_district_indicators "
            "where nam between ? and ?",
            [run_id, first_year, year],
        )
        files = _file_changes(con, config, first_year, year, previous[2] if previous else None) if previous else []
        figures = _figure_changes(con, config, previous[0], run_id) if previous else []
        log_rows = _run_log_rows(con, first_year, year)

        folder = year_dir / DRAFTS_FOLDER / f"{version:03d}"
        if folder.exists():  # left by a run that failed before its draft row was written
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for path in paths:
            if Path(path).is_file():
                shutil.copy2(path, folder / Path(path).name)
        draft = Draft(run_id=run_id, year=year, version=version, folder=folder,
                      latest=year_dir / DRAFTS_FOLDER / LATEST, outputs=[],
                      previous_version=previous[1] if previous else None, files=files, figures=figures)
        draft.changes_md = changes_markdown(draft)
        (folder / CHANGES_FILE).write_text(draft.changes_md, encoding="utf-8")
        _write_run_log(folder / RUN_LOG_FILE, log_rows)
        draft.outputs = hashed(sorted(folder.iterdir()))
        con.execute(
            "insert into draft values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, year, version, period_years, now_vn(), flow_run_id,
             validation_run_id[0] if validation_run_id else None, max_file_version_id, str(folder),
             json.dumps(draft.outputs, ensure_ascii=False)],
        )
    # A full copy rather than a symlink: officials open `latest` from Windows shares too.
    if draft.latest.exists():
        shutil.rmtree(draft.latest)
    shutil.copytree(folder, draft.latest)
    return draft


def _file_changes(con, config: Config, first_year: int, year: int, after_id: int | None) -> list[FileChange]:
    rows = con.execute(
        "select nam, unit_code, source_path, version, status from raw_file_version "
        "where nam between ? and ? and file_version_id > coalesce(?, 0) order by nam, unit_code, version",
        [first_year, year, after_id],
    ).fetchall()
    return [
        FileChange(nam, code, (config.unit(code).name if config.unit(code) else code), path, version, status)
        for nam, code, path, version, status in rows
    ]


def _figure_changes(con, config: Config, previous_run_id: str, run_id: str) -> list[FigureChange]:
    rows = con.execute(
        "select coalesce(b.nam, a.nam), coalesce(b.indicator_code, a.indicator_code), a.gia_tri, b.gia_tri "
        "from (select * from draft_indicator where run_id = ?) as a "
        "full join (select * from draft_indicator where run_id = ?) as b "
        "on a.nam = b.nam and a.indicator_code = b.indicator_code "
        "where a.gia_tri is distinct from b.gia_tri order by 1, 2",
        [previous_run_id, run_id],
    ).fetchall()
    order = {ind.code: n for n, ind in enumerate(config.indicators)}
    changes = []
    for nam, code, before, after in sorted(rows, key=lambda r: (r[0], order.get(r[1], len(order)), r[1])):
        ind = config.indicator(code)
        decimals = ind.decimals if ind else 2
        changes.append(FigureChange(
            nam=nam, indicator_code=code, ten_chi_tieu=ind.name if ind else code,
            don_vi_tinh=ind.unit if ind else "",
            before=format_number(before, decimals) if before is not None else "không có",
            after=format_number(after, decimals) if after is not None else "không có",
        ))
    return changes


def changes_markdown(draft: Draft) -> str:
    """The short Vietnamese list a reviewer reads first: which units resent files, which figures moved."""
    lines = [f"# Thay đổi của bản dự thảo lần {draft.version}, năm {draft.year}", ""]
    if draft.previous_version is None:
        lines.append("Đây là bản dự thảo đầu tiên của năm này: chưa có bản trước để so sánh.")
        return "\n".join(lines) + "\n"
    lines.append(f"So với bản dự thảo lần {draft.previous_version}.")
    lines += ["", "## Tệp đơn vị gửi mới hoặc gửi lại", ""]
    if draft.files:
        lines += [
            f"- Năm {f.nam}, {f.unit_name} ({f.unit_code}): tệp `{f.source_path}` lần {f.version}, "
            f"{_STATUS_VI.get(f.status, f.status)}"
            for f in draft.files
        ]
    else:
        lines.append("- Không có tệp mới.")
    lines += ["", "## Số liệu của huyện thay đổi", ""]
    if draft.figures:
        lines += [
            f"- Năm {f.nam}, {f.ten_chi_tieu} ({f.don_vi_tinh}): {f.before} → {f.after}"
            for f in draft.figures
        ]
    else:
        lines.append("- Không có số liệu nào thay đổi.")
    return "\n".join(lines) + "\n"


def _run_log_rows(con, first_year: int, year: int) -> list[tuple]:
    return con.execute(
        "select run_id, stage, nam, started_at, finished_at, flow_run_id, detail from run_log "
        "where nam between ? and ? order by started_at, run_id",
        [first_year, year],
    ).fetchall()


def _write_run_log(path: Path, rows: list[tuple]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["run_id", "stage", "nam", "started_at", "finished_at", "flow_run_id", "detail"])
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def draft_of_flow_run(db_path: Path | str, flow_run_id: str) -> Draft | None:
    """The draft a flow run already wrote: a suspended run that was resumed starts again from the top."""
    with open_db(db_path) as con:
        row = con.execute("select run_id, nam, version, folder, outputs from draft where flow_run_id = ? "
                          "order by version desc limit 1", [str(flow_run_id)]).fetchone()
    if row is None:
        return None
    run_id, year, version, folder, outputs = row
    folder = Path(folder)
    changes = folder / CHANGES_FILE
    return Draft(run_id=run_id, year=year, version=version, folder=folder, latest=folder.parent / LATEST,
                 outputs=json.loads(outputs), changes_md=changes.read_text(encoding="utf-8") if changes.is_file() else "")


def newest_draft_version(db_path: Path | str, year: int) -> int | None:
    with open_db(db_path) as con:
        return con.execute("select max(version) from draft where nam = ?", [year]).fetchone()[0]


def figures_moved_since(db_path: Path | str, run_id: str, year: int, period_years: int) -> list[str]:
    """Indicator codes whose district figure differs now from what the draft of `run_id` showed."""
    with open_db(db_path) as con:
        rows = con.execute(
            "select coalesce(d.indicator_code, m.indicator_code) from "
            "(select * from draft_indicator where run_id = ?) as d full join "
            "(select nam, indicator_code, gia_tri from mart_district_indicators where nam between ? and ?) as m "
            "on d.nam = m.nam and d.indicator_code = m.indicator_code "
            "where d.gia_tri is distinct from m.gia_tri order by 1",
            [run_id, year - period_years + 1, year]).fetchall()
    return [r[0] for r in rows]


def artifact_key(kind: str, year: int, scope: str) -> str:
    """A Prefect artifact key of one output folder: two districts or folders never share one."""
    return f"thidua-{kind}-{year}-{scope}"


def year_counts_line(summary) -> str:
    """The INFO line of a year's check: how many units were accepted, rejected and missing, and which."""
    def codes(status: str) -> str:
        found = [s["ma_don_vi"] for s in summary.statuses if s["trang_thai"] == status]
        return f" ({', '.join(found)})" if found else ""

    return (f"Năm {summary.year}: {summary.count('accepted')} đơn vị được chấp nhận, "
            f"{summary.count('rejected')} bị trả lại{codes('rejected')}, {summary.count('missing')} chưa nộp{codes('missing')}")
