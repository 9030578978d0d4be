"""Defences shared by every stage: spreadsheet formula injection, output paths, oversized workbooks."""

from __future__ import annotations

import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

# OWASP "CSV injection": a spreadsheet runs text starting with these as a formula when the file is
# opened or the cell is edited (tab and carriage return hide a leading "=" from a quick look).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# A real submission is a few tens of kilobytes; these limits are far above that and far below what
# would exhaust the machine that runs the cycle.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_MEMBER_RATIO = 100  # uncompressed / compressed, checked for members above 1 MB
_RATIO_FLOOR = 1024 * 1024
_CHUNK = 1 << 20
# A formula (<f>) or an error value (t="e") in a sheet's XML: python-calamine reads both as ''.
_FORMULA_OR_ERROR = re.compile(rb'<f[ >/]|\st="e"')


def neutralise(value: object) -> object:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def safe_name(name: str, *, fallback: str = "khong_ten") -> str:
    """A single path component made from untrusted text (a unit code, a file stem).

    Diacritics are dropped, anything but letters, digits, '_' and '-' becomes '_', so '../x',
    'a/b', 'C:\\x' and NUL can never leave the folder they are joined to.
    """
    ascii_text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE_NAME.sub("_", ascii_text).strip("_-")[:64]
    return cleaned or fallback


def inside(base: Path, *parts: str) -> Path:
    """base/parts, refusing any result that resolves outside base (symlinks included)."""
    base = Path(base).resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"{target}: nằm ngoài thư mục {base} (path outside the output folder)")
    return target


# Pages built by tools that do not escape submitted text (GX Data Docs print unexpected values as
# raw HTML) are made script-free instead: the browser then runs no script and no onerror handler.
NO_SCRIPT_POLICY = "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
_HEAD = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)


def forbid_scripts(folder: Path) -> list[Path]:
    """Give every .html page under folder a Content-Security-Policy that forbids all scripts."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{NO_SCRIPT_POLICY}">'
    changed = []
    for path in sorted(Path(folder).rglob("*.html")):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if NO_SCRIPT_POLICY in text:
            continue
        match = _HEAD.search(text)
        text = text[: match.end()] + meta + text[match.end():] if match else meta + text
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        changed.append(path)
    return changed


class NotAZip(Exception):
    """The file is not a readable zip archive (so not an xlsx)."""


class UnsafeWorkbook(Exception):
    """A workbook refused before any parser opens it; the message is Vietnamese, for the clerk."""


@dataclass
class ZipScan:
    """What a guarded look inside an xlsx found: sheet XML members holding formulas or errors."""

    uncompressed_bytes: int = 0
    members_with_formulas: list[str] = field(default_factory=list)


def scan_xlsx(path: Path) -> ZipScan:
    """Refuse zip bombs and oversized workbooks by decompressing with a budget; note formula sheets.

    The declared sizes in a zip can lie, so every member is actually inflated (in chunks, never held
    in memory) and counted against the budget before python-calamine is allowed to load the file.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnsafeWorkbook(
            f"tệp quá lớn ({size / 1024 / 1024:.1f} MB; tối đa {MAX_FILE_BYTES // 1024 // 1024} MB); "
            "hãy xoá hình ảnh, sheet thừa rồi lưu lại"
        )
    scan = ZipScan()
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.file_size > MAX_UNCOMPRESSED_BYTES:
                    raise _bomb(info.filename, info.file_size)
                is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
                seen, tail, flagged = 0, b"", False
                with zf.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        seen += len(chunk)
                        scan.uncompressed_bytes += len(chunk)
                        if scan.uncompressed_bytes > MAX_UNCOMPRESSED_BYTES:
                            raise _bomb(info.filename, scan.uncompressed_bytes)
                        if seen > _RATIO_FLOOR and seen > MAX_MEMBER_RATIO * max(info.compress_size, 1):
                            raise _bomb(info.filename, seen)
                        if is_sheet and not flagged and _FORMULA_OR_ERROR.search(tail + chunk):
                            flagged = True
                        tail = chunk[-16:]
                if flagged:
                    scan.members_with_formulas.append(info.filename)
    except UnsafeWorkbook:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            ValueError) as exc:
        # Left to the reader, which words these for the clerk; only the budget is this guard's job.
        raise NotAZip(str(exc)) from None
    return scan


def _bomb(member: str, size: int) -> UnsafeWorkbook:
    return UnsafeWorkbook(
        f"tệp Excel bị từ chối vì phần “{member}” khi giải nén lớn bất thường (trên {size / 1024 / 1024:.0f} MB, "
        f"vượt giới hạn an toàn {MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB hoặc tỉ lệ nén {MAX_MEMBER_RATIO}:1); "
        "tệp có thể bị hỏng hoặc là “bom zip”; hãy dùng mẫu trống của Phòng Nội vụ, điền lại và gửi lại"
    )
