"""One district's backup in one file, and its restore into an empty folder.

The archive (a `.tar.gz`) holds:

- `thidua.duckdb`: a checkpointed copy of the district's DuckDB file, taken while this process
  holds the file open for writing. DuckDB lets one process at a time write a file, so while the
  copy is made no run can change it (a run that starts then stops with "the database is locked",
  as it does against any other run: tasks/db.py); a run already going makes the backup stop with
  the same message instead of copying a half-written year;
- `out/<year>/…`: every year folder of the output folder as it is — the signed `final/` folders,
  the drafts, the validation pages and tables;
- `submissions/<year>/…`: the units' files as received;
- `manifest.json`: what was backed up from where, with the sha256 of every member, checked again
  on restore.

Restore writes the database to `<out>/thidua.duckdb`, the year folders to `<out>/<year>/` and the
submissions to the given folder (default `<out>/submissions`); it refuses a target that already
holds any of them, and loses nothing already there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tasks.db import connect

FORMAT = "thidua-backup/1"
DB_NAME = "thidua.duckdb"


class BackupError(Exception):
    """The backup cannot be written, or an archive cannot be restored; the message says why, in Vietnamese."""


@dataclass
class Restored:
    db_path: Path
    year_dirs: list[Path]
    submissions_dir: Path | None
    files: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _year_dirs(out_dir: Path) -> list[Path]:
    return sorted(p for p in out_dir.iterdir() if p.is_dir() and p.name.isdigit()) if out_dir.is_dir() else []


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def backup(*, out_dir: Path | str, to: Path | str, submissions_dir: Path | str | None = None,
           db_path: Path | str | None = None) -> dict:
    """Write the archive `to`; return its manifest. Raises BackupError or tasks.db.DatabaseError."""
    out_dir, to = Path(out_dir), Path(to)
    db_path = Path(db_path) if db_path else out_dir / DB_NAME
    if not db_path.is_file():
        raise BackupError(f"{db_path}: không tìm thấy tệp dữ liệu DuckDB để sao lưu (database not found)")
    if submissions_dir is not None and not Path(submissions_dir).is_dir():
        raise BackupError(f"{submissions_dir}: không tìm thấy thư mục bài nộp (submissions folder not found)")
    to.parent.mkdir(parents=True, exist_ok=True)
    members: dict[str, Path] = {}
    for year_dir in _year_dirs(out_dir):
        for path in _files(year_dir):
            members[f"out/{path.relative_to(out_dir).as_posix()}"] = path
    if submissions_dir is not None:
        for path in _files(Path(submissions_dir)):
            members[f"submissions/{path.relative_to(submissions_dir).as_posix()}"] = path

    with tempfile.TemporaryDirectory(dir=to.parent, prefix=".thidua-backup-") as tmp:
        db_copy = Path(tmp) / DB_NAME
        # Held open for writing from the checkpoint to the end of the archive: no run writes the
        # database, and none is between two steps of a year while the year folders are read.
        con = connect(db_path)
        try:
            con.execute("checkpoint")
            shutil.copyfile(db_path, db_copy)
            manifest = {
                "format": FORMAT,
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "source": {"out": str(out_dir.resolve()), "db": str(db_path.resolve()),
                           "submissions": str(Path(submissions_dir).resolve()) if submissions_dir else None},
                "files": {DB_NAME: _sha256(db_copy), **{name: _sha256(p) for name, p in members.items()}},
            }
            partial = Path(tmp) / "archive.tar.gz"
            with tarfile.open(partial, "w:gz") as tar:
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
                info = tarfile.TarInfo("manifest.json")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                tar.add(db_copy, arcname=DB_NAME)
                for name, path in members.items():
                    tar.add(path, arcname=name)
        finally:
            con.close()
        # Written aside, then renamed: `to` is either the old archive or the whole new one.
        partial.replace(to)
    return manifest


def restore(*, archive: Path | str, out_dir: Path | str, submissions_dir: Path | str | None = None) -> Restored:
    """Unpack `archive` into out_dir (and submissions_dir, default <out>/submissions)."""
    archive, out_dir = Path(archive), Path(out_dir)
    submissions_dir = Path(submissions_dir) if submissions_dir else out_dir / "submissions"
    try:
        tar = tarfile.open(archive, "r:gz")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive}: không đọc được tệp sao lưu ({exc})") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    # Unpacked and checked beside the target first, then moved into place by renames.
    with tar, tempfile.TemporaryDirectory(dir=out_dir, prefix=".thidua-restore-") as tmp:
        try:
            manifest = json.load(tar.extractfile("manifest.json"))
        except (KeyError, ValueError, OSError, EOFError, tarfile.TarError):
            raise BackupError(f"{archive}: không phải tệp sao lưu của thidua (manifest.json missing)") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{archive}: định dạng sao lưu không hỗ trợ: {manifest.get('format')!r}")
        try:
            # filter="data": no absolute paths, no "..", no links out of the folder, no devices.
            tar.extractall(tmp, filter="data")
        except (OSError, EOFError, tarfile.TarError) as exc:
            raise BackupError(f"{archive}: tệp sao lưu bị hỏng ({exc})") from None
        staged = Path(tmp)
        listed = manifest["files"]
        found = {p.relative_to(staged).as_posix() for p in _files(staged)} - {"manifest.json"}
        if found != set(listed):
            extra = sorted(found ^ set(listed))[:5]
            raise BackupError(f"{archive}: nội dung không khớp manifest.json: {', '.join(extra)}")
        for name, digest in listed.items():
            if _sha256(staged / name) != digest:
                raise BackupError(f"{archive}: tệp {name} bị thay đổi (sha256 không khớp manifest.json)")

        moves = [(staged / DB_NAME, out_dir / DB_NAME)]
        moves += [(p, out_dir / p.name) for p in _year_dirs(staged / "out")]
        if (staged / "submissions").is_dir():
            moves.append((staged / "submissions", submissions_dir))
        taken = [str(dest) for _, dest in moves if dest.exists()]
        if taken:
            raise BackupError(f"không khôi phục đè lên dữ liệu đang có: {', '.join(taken)} "
                              "(restore into an empty folder)")
        submissions_dir.parent.mkdir(parents=True, exist_ok=True)
        for source, dest in moves:
            shutil.move(source, dest)
    has_submissions = moves[-1][1] == submissions_dir
    return Restored(out_dir / DB_NAME, [dest for _, dest in moves[1:len(moves) - has_submissions]],
                    submissions_dir if has_submissions else None, len(listed))
