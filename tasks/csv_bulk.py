"""The year's CSV folders read by DuckDB itself: one read_csv per sheet name, staging by SQL.

A CSV folder is staged here when everything in it is plain: the sheet files and nothing else,
UTF-8 without hidden characters, quoting that DuckDB and Python's csv module read alike, and
every value in one of the plain forms of sql/macros/vn_text.sql. Such a folder has no ingest
finding, and its raw_cell and stg_* rows are exactly those of the Python path (tests/test_csv_bulk.py
compares both on the sample, the bad-input corpus and a province). Any other folder is handed
back to the Python path of tasks/ingest.py, which reads it and says what is wrong in the clerk's
words: the SQL path never refuses anything itself.

Nothing is written to the database here: the rows wait in temporary tables until
tasks/ingest.py writes the year in one transaction (`insert_staged`).
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from tasks.db import sql_text
from tasks.parsing import doi_tuong_code, hinh_thuc_code
from tasks.readers import REQUIRED_SHEETS, SHEET_COLUMNS
from tasks.safety import NotARegularFile, UnsafeWorkbook, file_kind, open_regular_file, MAX_FILE_BYTES

# Columns read of each sheet file: the contract's and four more. A row with more makes DuckDB fail,
# and that file goes to the Python path (each column costs DuckDB per file: 32 took 4x as long as 8).
def _columns(sheet: str) -> dict[str, str]:
    return {f"c{n:03d}": "varchar" for n in range(1, max(8, len(SHEET_COLUMNS[sheet]) + 4) + 1)}


# Strict, one thread (row numbers are the order of reading), every error raised (no rejects table):
# what DuckDB cannot read exactly as the csv module does is the Python path's.
_READ = (
    "select row_number() over () as ord, * from read_csv($paths, columns = $columns, header = false, "
    "delim = ',', quote = '\"', escape = '\"', null_padding = true, strict_mode = true, filename = true, "
    "auto_detect = false, parallel = false)"
)
# A CSV text whose quoting DuckDB and the csv module read alike: every quote opens a field and
# closes it before a comma or a line end, with doubled quotes inside.
_FIELD = r'(?:"(?:[^"]|"")*"|[^",\r\n]*)'
_WELL_QUOTED = re.compile(rf'(?:{_FIELD}(?:,{_FIELD})*(?:\r\n|\n|\Z))*')
_BLANK_LINE = re.compile(r"(?:^|\n)[ \t]*\n")
_TEMP_TABLES = ("new_cell", "new_header", "new_raw_cell", "new_part", "new_unit", "contract_column", "indicator_bound",
                "award_label", "new_file_check", "new_stg_submission", "new_stg_indicator_value", "new_stg_award",
                "new_stg_narrative")
STAGING = ("stg_submission", "stg_indicator_value", "stg_award", "stg_narrative")


@dataclass
class Folder:
    """A unit's CSV folder offered to the SQL path: `key` is its source path, the year-relative name."""
    key: str
    unit_code: str
    path: Path


def plain_text(data: bytes) -> str | None:
    """The file's text when the SQL path reads it exactly as the Python path would, else None."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    first_line = text.split("\n", 1)[0]
    if ";" in first_line and "," not in first_line:
        return None  # the Python path names the separator
    if not text.replace("\r\n", "").replace("\n", "").replace("\t", "").isprintable():
        return None  # hidden characters (and a lone CR): cleaned and named by the Python path
    body = text.replace("\r\n", "\n").rstrip(" \t\n")
    if _BLANK_LINE.search(body):
        return None  # DuckDB skips a blank line the csv module counts as a row
    if '"' in text:
        if not _WELL_QUOTED.fullmatch(text):
            return None
        if len(text) > csv.field_size_limit():
            return None  # a quoted field may pass the csv module's field limit: it says so
    elif re.search(f"[^,\n]{{{csv.field_size_limit() + 1}}}", text):
        return None
    return text


def _sheet_files(folder: Folder) -> dict[str, Path] | None:
    """The folder's sheet files by sheet name, or None when it holds anything else."""
    try:
        entries = list(os.scandir(folder.path))
    except OSError:
        return None
    files = {}
    for entry in entries:
        sheet = entry.name[:-4] if entry.name.endswith(".csv") else None
        if sheet not in SHEET_COLUMNS or not entry.is_file(follow_symlinks=False):
            return None  # a stray file, a link, a sub-folder, "Chi_Tieu.CSV": the Python path says why
        files[sheet] = Path(entry.path)
    if any(s not in files for s in REQUIRED_SHEETS):
        return None
    return files


def _stamp(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def read_year(con: duckdb.DuckDBPyConnection, config, year: int, folders: list[Folder]) -> dict[str, int]:
    """Read and stage `folders` into temporary tables; return {key: staged rows} of those staged.

    The keys not returned are for the Python path. Call `insert_staged` inside the year's write
    transaction, then `drop`.
    """
    drop(con)
    macros(con)
    parts: list[tuple[str, str, str, str, tuple]] = []  # path, key, unit, sheet, stamp
    for folder in folders:
        files = _sheet_files(folder)
        if files is None:
            continue
        own = []
        for sheet, path in sorted(files.items()):
            try:
                with open_regular_file(path) as fh:
                    st = os.fstat(fh.fileno())
                    data = fh.read(MAX_FILE_BYTES + 1)
            except (OSError, NotARegularFile, UnsafeWorkbook):
                own = None
                break
            if len(data) > MAX_FILE_BYTES or plain_text(data) is None:
                own = None
                break
            own.append((str(path), folder.key, folder.unit_code, sheet, _stamp(st)))
        if own:
            parts.extend(own)
    if not parts:
        return {}
    part_frame = pd.DataFrame([p[:4] for p in parts], columns=["path", "file_key", "unit_code", "sheet_name"])
    con.register("_parts", part_frame)
    con.execute("create temp table new_part as select file_key, sheet_name from _parts")
    con.execute("create temp table new_unit as select distinct file_key, unit_code from _parts")
    con.execute("create temp table new_cell (file_key varchar, sheet_name varchar, row_number integer, "
                "column_number integer, value_text varchar)")
    refused: set[str] = set()
    for sheet in SHEET_COLUMNS:
        paths = [p[0] for p in parts if p[3] == sheet]
        if paths:
            refused |= _read_sheet(con, paths, _columns(sheet))
    # The DuckDB read went by name: a file swapped since its check (a link, another file) is not staged.
    for path, key, _, _, stamp in parts:
        try:
            st = os.lstat(path)
        except OSError:
            refused.add(path)
            continue
        if file_kind(st) != "file" or _stamp(st) != stamp:
            refused.add(path)
    con.unregister("_parts")
    _reference_frames(con, config)
    con.execute(f"create temp table new_header as {sql_text('raw/models/new_header')}")
    con.execute(f"create temp table new_raw_cell as {sql_text('raw/models/new_raw_cell')}")
    labels = con.execute(
        "select distinct lower(column_name), vn_text(value_text) from new_raw_cell where sheet_name = 'khen_thuong' "
        "and lower(column_name) in ('hinh_thuc', 'doi_tuong')").fetchall()
    award_labels = pd.DataFrame(
        [(kind, text or "", (hinh_thuc_code if kind == "hinh_thuc" else doi_tuong_code)(text or ""))
         for kind, text in labels] or [("hinh_thuc", "", None)],
        columns=["kind", "label", "code"])
    con.register("_award_labels", award_labels)
    con.execute("create temp table award_label as select * from _award_labels")
    con.unregister("_award_labels")
    con.execute(f"create temp table new_file_check as {sql_text('staging/models/new_file_check')}", {"nam": year})
    for table in STAGING:
        con.execute(f"create temp table new_{table} as {sql_text(f'staging/models/new_{table}')}")
    path_keys = {p[0]: p[1] for p in parts}
    python = {path_keys[p] for p in refused if p in path_keys}
    python |= {r[0] for r in con.execute(
        "select file_key from new_file_check union select file_key from new_stg_indicator_value "
        "where python_reason is not null union select file_key from new_stg_award where python_reason is not null "
        "union select file_key from new_stg_narrative where python_reason is not null").fetchall()}
    counts = dict(con.execute(
        "select file_key, count(*) from (select file_key from new_stg_indicator_value union all "
        "select file_key from new_stg_award union all select file_key from new_stg_narrative) group by all"
    ).fetchall())
    return {key: counts.get(key, 0) for key in {p[1] for p in parts} if key not in python}


def _read_sheet(con, paths: list[str], columns: dict[str, str]) -> set[str]:
    """Append every file's non-blank cells to new_cell in one statement; return the paths DuckDB
    could not read as plain CSV. A statement that fails is split in halves until the file is found."""
    try:
        con.execute(
            "insert into new_cell select file_key, sheet_name, row_number, cast(substr(col, 2) as integer), value_text "
            "from (unpivot (select p.file_key, p.sheet_name, "
            "cast(r.ord - min(r.ord) over (partition by r.filename) + 1 as integer) as row_number, "
            f"{', '.join('r.' + c for c in columns)} from ({_READ}) r join _parts p on p.path = r.filename) "
            f"on {', '.join(columns)} into name col value value_text) where vn_trim(value_text) <> ''",
            {"paths": paths, "columns": columns},
        )
    except duckdb.Error:
        if len(paths) == 1:
            return set(paths)
        half = len(paths) // 2
        return _read_sheet(con, paths[:half], columns) | _read_sheet(con, paths[half:], columns)
    return set()


def _reference_frames(con, config) -> None:
    from tasks.ingest import plausible_range

    frames = {
        "contract_column": pd.DataFrame(
            [(sheet, column, n, column != "ghi_chu")
             for sheet, columns in SHEET_COLUMNS.items() for n, column in enumerate(columns, start=1)],
            columns=["sheet_name", "column_name", "position", "required"]),
        "indicator_bound": pd.DataFrame(
            [(i.code, *plausible_range(i)) for i in config.indicators],
            columns=["indicator_code", "low", "high"]).astype({"low": "float64", "high": "float64"}),
    }
    for name, frame in frames.items():
        con.register(f"_{name}", frame)
        con.execute(f"create temp table {name} as select * from _{name}")
        con.unregister(f"_{name}")


def insert_staged(con, ids: dict[str, tuple[int, int, str]]) -> None:
    """Insert the staged folders' raw_cell and stg_* rows; `ids` maps key -> (file_version_id, nam, unit_code)."""
    if not ids:
        return
    frame = pd.DataFrame([(k, *v) for k, v in ids.items()], columns=["file_key", "file_version_id", "nam", "unit_code"])
    con.register("_bulk_ids", frame)
    con.execute("insert into raw_cell select i.file_version_id, c.sheet_name, c.row_number, c.column_number, "
                "c.column_name, c.cell_ref, c.value_text from new_raw_cell c join _bulk_ids i using (file_key)")
    for table in STAGING:
        columns = [d[0] for d in con.execute(f"select * from new_{table} limit 0").description]
        names = [c for c in columns if c not in ("file_key", "python_reason")]
        con.execute(f"insert into {table} (file_version_id, nam, unit_code, {', '.join(names)}) "
                    f"select i.file_version_id, i.nam, i.unit_code, {', '.join('s.' + n for n in names)} "
                    f"from new_{table} s join _bulk_ids i using (file_key)")
    con.unregister("_bulk_ids")


def drop(con) -> None:
    for table in _TEMP_TABLES:
        con.execute(f"drop table if exists {table}")


def macros(con) -> None:
    con.execute(sql_text("macros/vn_text"))
