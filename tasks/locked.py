"""Files sent for a signed (locked) year: received and kept, not applied to the year's figures.

While a year is locked its checks go to a DuckDB file of their own, `<out>/<year>/sau_ky_duyet/
thidua.duckdb`: every file is ingested there (raw, versioned, with its findings) and validated,
with its validation page under `sau_ky_duyet/<year>/validation/`. The district's file keeps the
staged data the reviewer signed, so no figure of the year moves, whatever other run aggregates.
After `thidua reopen`, the next run ingests the folder into the district's file as usual.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tasks.db import open_db

LATE_FOLDER = "sau_ky_duyet"
LATE_LABEL = "gửi sau khi đã ký duyệt"
CHANGES_FILE = "thay_doi.md"


def late_paths(out_dir: Path | str, year: int) -> tuple[Path, Path]:
    """(db_path, out_dir) of the checks of a locked year."""
    folder = Path(out_dir) / str(year) / LATE_FOLDER
    return folder / "thidua.duckdb", folder


def late_files(*, db_path: Path | str, late_db: Path | str, year: int) -> list[dict]:
    """The current files of the locked year's checks that the signed data does not hold (by sha256)."""
    with open_db(db_path) as con:
        signed = {r[0] for r in con.execute(
            "select sha256 from raw_file_version where nam = ? and status <> 'superseded'", [year]).fetchall()}
    con = duckdb.connect(str(late_db), read_only=True)
    try:
        rows = con.execute(
            "select unit_code, source_path, version, status, received_at, sha256 from raw_file_version "
            "where nam = ? and status <> 'superseded' order by unit_code, source_path", [year]).fetchall()
    finally:
        con.close()
    return [dict(unit_code=u, source_path=p, version=v, status=s, received_at=t)
            for u, p, v, s, t, sha in rows if sha not in signed]


def late_markdown(year: int, lock_line: str, files: list[dict]) -> str:
    lines = [f"# Tệp {LATE_LABEL}, năm {year}", "", lock_line, ""]
    lines += [f"- {f['unit_code']}: tệp `{f['source_path']}`, nhận lúc {f['received_at']:%H:%M %d/%m/%Y}, "
              f"{'đã đọc được' if f['status'] == 'accepted' else 'bị trả lại'} — {LATE_LABEL}, chưa đưa vào số liệu"
              for f in files] or ["- Không có tệp nào gửi sau khi đã ký duyệt."]
    return "\n".join(lines) + "\n"


def write_late_changes(out_dir: Path | str, year: int, text: str) -> Path:
    path = late_paths(out_dir, year)[1] / CHANGES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
