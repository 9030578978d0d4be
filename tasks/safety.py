"""Defences shared by every stage: spreadsheet formula injection, output paths, oversized workbooks."""

from __future__ import annotations

import errno
import functools
import io
import os
import posixpath
import re
import stat
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

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


class NotARegularFile(Exception):
    """A submission entry that is not a plain file of its own; the message is Vietnamese."""


def open_regular_file(path: Path):
    """A binary file object for a plain file, opened without following a link or blocking on a pipe.

    A named pipe would block the run forever, a device never ends, and a symlink or a second hard
    link may be any file of the server: each raises NotARegularFile (checked on the opened file,
    so a swap after a check cannot slip through).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise NotARegularFile(_NOT_REGULAR["symlink"]) from None
        if exc.errno == errno.ENXIO:  # a socket
            raise NotARegularFile(_NOT_REGULAR["other"]) from None
        raise
    try:
        kind = file_kind(os.fstat(fd))
        if kind != "file":
            raise NotARegularFile(not_regular_reason(kind))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_regular_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a plain file (see open_regular_file), refused when larger than `limit`."""
    with open_regular_file(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise UnsafeWorkbook(too_big(size, limit))
        data = fh.read(limit + 1)
    if len(data) > limit:  # grew while being read
        raise UnsafeWorkbook(too_big(len(data), limit))
    return data


def file_kind(st: os.stat_result) -> str:
    """file | dir | symlink | hardlink | fifo | device | other, from an lstat/fstat result."""
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "hardlink" if st.st_nlink > 1 else "file"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "other"


_NOT_REGULAR = {
    "symlink": "là một liên kết tượng trưng (symlink), không phải tệp thật; tệp không được đọc",
    "hardlink": ("là một liên kết cứng (hard link) tới một tệp khác trên máy, không phải một bản chép riêng; "
                 "tệp không được đọc"),
    "fifo": "là một đường ống (named pipe/FIFO), không phải tệp; không được đọc",
    "device": "là một thiết bị của hệ điều hành, không phải tệp; không được đọc",
    "other": "không phải một tệp thông thường (socket hoặc loại đặc biệt); không được đọc",
}


def not_regular_reason(kind: str) -> str:
    return _NOT_REGULAR.get(kind, _NOT_REGULAR["other"])


def too_big(size: int, limit: int = MAX_FILE_BYTES) -> str:
    return (f"tệp quá lớn ({size / 1024 / 1024:.1f} MB; tối đa {limit // 1024 // 1024} MB); "
            "hãy xoá hình ảnh, sheet thừa rồi lưu lại")


@dataclass
class SheetScan:
    """What the sheet's own XML holds: the extent of its cells with a value, formulas, percent cells."""

    name: str
    member: str
    max_row: int = 0  # 1-based row of the lowest cell holding a value
    max_column: int = 0
    far_cell: str = ""  # reference of a cell at the far edge, for the message
    has_formulas: bool = False  # <f> or an error value (t="e"): python-calamine reads both as ''
    percent_cells: set[tuple[int, int]] = field(default_factory=set)  # 0-based (row, column)

    @property
    def area(self) -> int:
        return self.max_row * self.max_column


@dataclass
class ZipScan:
    """What a guarded look inside an xlsx found, sheet by sheet (located through the relationships)."""

    uncompressed_bytes: int = 0
    sheets: dict[str, SheetScan] = field(default_factory=dict)
    other_parts: list[SheetScan] = field(default_factory=list)  # every other XML part, measured the same way

    @property
    def largest(self) -> SheetScan | None:
        """The part whose cells span the largest area from A1."""
        return max([*self.sheets.values(), *self.other_parts], key=lambda s: s.area, default=None)

    @property
    def sheets_with_formulas(self) -> set[str]:
        return {name for name, sheet in self.sheets.items() if sheet.has_formulas}


def scan_xlsx(data: bytes) -> ZipScan:
    """Refuse zip bombs and oversized workbooks by decompressing with a budget; then scan every sheet.

    The declared sizes in a zip can lie, so every member is actually inflated (in chunks, never held
    in memory) and counted against the budget before python-calamine is allowed to load the file.
    Sheets are found the way Excel finds them, through xl/_rels/workbook.xml.rels, wherever their
    XML lives; each is streamed once to learn where its cells really are (python-calamine allocates
    every cell from A1 to the farthest one) and which hold a percent format.
    """
    if len(data) > MAX_FILE_BYTES:
        raise UnsafeWorkbook(too_big(len(data)))
    scan = ZipScan()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if info.file_size > MAX_UNCOMPRESSED_BYTES:
                    raise _bomb(info.filename, info.file_size)
                seen = 0
                with zf.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        seen += len(chunk)
                        scan.uncompressed_bytes += len(chunk)
                        if scan.uncompressed_bytes > MAX_UNCOMPRESSED_BYTES:
                            raise _bomb(info.filename, scan.uncompressed_bytes)
                        if seen > _RATIO_FLOOR and seen > MAX_MEMBER_RATIO * max(info.compress_size, 1):
                            raise _bomb(info.filename, seen)
            # Inflating is now known to stay within the budget.
            package = _Package(zf)
            percent_styles = package.percent_styles()
            for name, member in package.sheets():
                scan.sheets[name] = _scan_sheet(zf, name, member, percent_styles)
            # Any other XML part is measured too: a reader that resolves a sheet differently from
            # the relationships (python-calamine assumes xl/workbook.xml) must still not find a bomb.
            scanned = {sheet.member for sheet in scan.sheets.values()}
            scan.other_parts = [_scan_sheet(zf, member, member, frozenset()) for member in zf.namelist()
                                if member.lower().endswith(".xml") and member not in scanned]
    except UnsafeWorkbook:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            ValueError, KeyError, ET.ParseError, expat.ExpatError) as exc:
        # Left to the reader, which words these for the clerk; only the budget is this guard's job.
        raise NotAZip(str(exc)) from None
    return scan


class _Package:
    """An xlsx zip read the way Excel reads it: each part found through the relationships of the one before."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.names = {n.lower(): n for n in reversed(zf.namelist())} | {n: n for n in zf.namelist()}
        workbook = next((path for kind, path in self.relationships("").values() if kind.endswith("/officeDocument")),
                        "xl/workbook.xml")
        self.workbook = self.member(workbook)
        self.workbook_rels = self.relationships(self.workbook) if self.workbook else {}

    def member(self, path: str) -> str | None:
        return self.names.get(path) or self.names.get(path.lower())

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """{rId: (type, member path)} of a part's .rels, targets resolved against the part's folder."""
        folder, _, name = part.rpartition("/")
        rels = self.member(f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels")
        if rels is None:
            return {}
        found = {}
        for rel in ET.fromstring(self.zf.read(rels)).iterfind("{*}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[rel.get("Id", "")] = (rel.get("Type", ""), path)
        return found

    def sheets(self) -> list[tuple[str, str]]:
        """(sheet name, zip member) of every worksheet, in workbook order."""
        if self.workbook is None:
            return []
        parts = []
        for sheet in ET.fromstring(self.zf.read(self.workbook)).iterfind("{*}sheets/{*}sheet"):
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            kind, path = self.workbook_rels.get(rid, ("", ""))
            member = self.member(path) if path else None
            if member and kind.endswith("/worksheet"):
                parts.append((sheet.get("name", ""), member))
        return parts

    def percent_styles(self) -> frozenset[int]:
        """Indexes of the cell styles (cellXfs) whose number format shows a percent."""
        styles = next((p for kind, p in self.workbook_rels.values() if kind.endswith("/styles")), None)
        member = self.member(styles) if styles else None
        if member is None:
            return frozenset()
        root = ET.fromstring(self.zf.read(member))
        custom = {f.get("numFmtId"): f.get("formatCode", "") for f in root.iterfind("{*}numFmts/{*}numFmt")}
        percent_ids = {"9", "10"} | {i for i, code in custom.items() if "%" in _QUOTED.sub("", code)}
        return frozenset(i for i, xf in enumerate(root.iterfind("{*}cellXfs/{*}xf"))
                         if xf.get("numFmtId", "0") in percent_ids)


# Text in quotes and backslash-escaped characters of a number format are shown as they are.
_QUOTED = re.compile(r'"[^"]*"|\\.')
_REF = re.compile(r"([A-Za-z]+)(\d+)$")  # any length: a reader would allocate up to whatever it says


def _scan_sheet(zf: zipfile.ZipFile, name: str, member: str, percent_styles: frozenset[int]) -> SheetScan:
    """One streaming pass over a sheet's XML (expat, start tags only)."""
    sheet = SheetScan(name, member)
    row = col = 0
    cell: tuple[int, int] | None = None  # the <c> being read
    cell_is_percent = False

    def start(tag, attrs):
        # Called for every element of the sheet (1.6 million for 100,000 award rows): kept lean.
        nonlocal row, col, cell, cell_is_percent
        if ":" in tag:
            tag = tag.rpartition(":")[2]
        if tag == "v" or tag == "f" or tag == "is":
            if cell is None:
                return
            if tag == "f":
                sheet.has_formulas = True
            r, c = cell
            if r > sheet.max_row or c > sheet.max_column:
                # Only a cell holding something counts: an empty styled cell takes no room in the reader.
                sheet.max_row, sheet.max_column = max(r, sheet.max_row), max(c, sheet.max_column)
                sheet.far_cell = f"{column_letter(c)}{r}"
            if cell_is_percent and tag == "v":
                sheet.percent_cells.add((r - 1, c - 1))
        elif tag == "c":
            ref = attrs.get("r")
            match = _REF.match(ref) if ref else None
            if match:
                col, row = _column_index(match[1]), int(match[2])
            else:
                col += 1
            kind = attrs.get("t")
            if kind == "e":
                sheet.has_formulas = True
            cell = (row, col)
            if percent_styles:
                style = attrs.get("s")
                cell_is_percent = (kind in (None, "n") and style is not None and style.isdigit()
                                   and int(style) in percent_styles)
        elif tag == "row":
            r = attrs.get("r")
            row = int(r) if r and r.isdigit() else row + 1
            col = 0

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    with zf.open(member) as stream:
        parser.ParseFile(stream)
    return sheet


@functools.cache
def _column_index(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while number > 0:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _bomb(member: str, size: int) -> UnsafeWorkbook:
    return UnsafeWorkbook(
        f"tệp Excel bị từ chối vì phần “{member}” khi giải nén lớn bất thường (trên {size / 1024 / 1024:.0f} MB, "
        f"vượt giới hạn an toàn {MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB hoặc tỉ lệ nén {MAX_MEMBER_RATIO}:1); "
        "tệp có thể bị hỏng hoặc là “bom zip”; hãy dùng mẫu trống của Phòng Nội vụ, điền lại và gửi lại"
    )
