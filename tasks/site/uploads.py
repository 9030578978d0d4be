"""A unit's file sent through the site: checked by content, kept as received, then ingested and validated."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tasks.config import Config
from tasks.safety import MAX_FILE_BYTES, NotAZip, UnsafeWorkbook, scan_xlsx
from tasks.site.data import DB_LOCK

ARCHIVE = "_luu_tru"  # <submissions>/_luu_tru/<year>/<UNIT>/: every file received through the site
_CSV_MEMBER = re.compile(r"^(?:[^/]+/)?([a-z_]{1,40})\.csv$", re.IGNORECASE)
_unit_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class UploadRefused(Exception):
    """The upload is not taken; the message is Vietnamese, for the clerk."""


@dataclass
class Stored:
    kind: str  # xlsx | csv
    path: Path  # what ingest reads: <submissions>/<year>/<UNIT>.xlsx or <UNIT>/
    archived: Path  # the bytes exactly as received
    sha256: str


def unit_lock(unit_code: str) -> threading.Lock:
    with _locks_guard:
        return _unit_locks.setdefault(unit_code, threading.Lock())


def sniff(data: bytes) -> str:
    """xlsx or csv (a zip of a CSV folder), judged from the bytes, never from the file's name."""
    if len(data) > MAX_FILE_BYTES:
        raise UploadRefused(f"tệp quá lớn ({len(data) / 1024 / 1024:.1f} MB; tối đa "
                            f"{MAX_FILE_BYTES // 1024 // 1024} MB)")
    if not data.startswith(b"PK\x03\x04"):
        raise UploadRefused("tệp không phải bảng tính Excel (.xlsx) hay tệp nén .zip của thư mục CSV; "
                            "hãy lưu bảng tính dạng Excel Workbook (.xlsx) rồi gửi lại")
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        raise UploadRefused("tệp nén bị hỏng, không mở được; hãy lưu lại rồi gửi lại") from None
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return "xlsx"
    csvs = [n for n in names if not n.endswith("/")]
    if csvs and all(_CSV_MEMBER.match(n) for n in csvs):
        return "csv"
    raise UploadRefused("tệp nén không phải bảng tính Excel và không chỉ gồm các tệp <tên sheet>.csv "
                        "(thong_tin.csv, chi_tieu.csv, khen_thuong.csv)")


def store(data: bytes, *, submissions_dir: Path, year: int, unit_code: str) -> Stored:
    """Keep the bytes in the archive, then put them where ingest looks; earlier files move to the archive."""
    kind = sniff(data)
    year_dir = Path(submissions_dir) / str(year)
    archive = Path(submissions_dir) / ARCHIVE / str(year) / unit_code
    archive.mkdir(parents=True, exist_ok=True)
    year_dir.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(data).hexdigest()
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    received = archive / f"{stamp}_{sha[:12]}.{'xlsx' if kind == 'xlsx' else 'zip'}"
    received.write_bytes(data)
    try:
        scan_xlsx(received)  # the zip-bomb budget, for a zip of CSV files too
    except UnsafeWorkbook as exc:
        raise UploadRefused(str(exc)) from None
    except NotAZip:
        raise UploadRefused("tệp nén bị hỏng, không mở được; hãy lưu lại rồi gửi lại") from None

    xlsx, folder = year_dir / f"{unit_code}.xlsx", year_dir / unit_code
    staged = archive / f".dang_ghi_{stamp}"
    if kind == "xlsx":
        shutil.copyfile(received, staged)
    else:
        staged.mkdir()
        with zipfile.ZipFile(received) as zf:
            for name in zf.namelist():
                match = _CSV_MEMBER.match(name)
                if match:
                    (staged / f"{match.group(1).lower()}.csv").write_bytes(zf.read(name))
    # Two entries for one unit (TTT.xlsx and TTT/) would both be refused: the older form moves aside.
    for earlier in (xlsx, folder):
        if earlier.exists() or earlier.is_symlink():
            os.replace(earlier, archive / f"{stamp}_truoc_{earlier.name}")
    target = xlsx if kind == "xlsx" else folder
    os.replace(staged, target)
    return Stored(kind, target, received, sha)


def check_now(config: Config, *, submissions_dir: Path, year: int, db_path: Path, out_dir: Path):
    """Ingest the year (only changed files are read), validate it and republish its pages."""
    from tasks.ingest import ingest_year
    from tasks.publish import publish_validation
    from tasks.validate import validate_year

    with DB_LOCK:
        ingest_year(config, Path(submissions_dir), year, Path(db_path))
        summary = validate_year(config, year, Path(db_path))
        publish_validation(config, year, Path(db_path), Path(out_dir))
    return summary


def spooled(upload) -> bytes:
    """Read an uploaded part, refusing it as soon as it passes the size limit."""
    buffer = bytearray()
    while chunk := upload.file.read(1024 * 1024):
        buffer += chunk
        if len(buffer) > MAX_FILE_BYTES:
            raise UploadRefused(f"tệp quá lớn (trên {MAX_FILE_BYTES // 1024 // 1024} MB)")
    return bytes(buffer)

