"""Ingest one year's submission files: raw cells exactly as received, then typed staging rows."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from tasks import csv_bulk
from tasks.config import Config
from tasks.db import DatabaseError, load_reference, materialize, open_db
from tasks.formatting import format_number
from tasks.parsing import (
    CellError,
    PercentCell,
    ProblemCell,
    cell_text,
    clean_text,
    doi_tuong_code,
    hinh_thuc_code,
    parse_date,
    parse_number,
    redact_personal,
    uses_decimal_point,
    visible,
)
from tasks.readers import (
    REQUIRED_SHEETS,
    SHEET_COLUMNS,
    ReadError,
    Sheet,
    Workbook,
    column_letter,
    entry_kind,
    file_sha256,
    find_header,
    is_blank,
    read_submission,
    size_bytes,
)
from tasks.safety import NotARegularFile, not_regular_reason
from tasks.runlog import now_vn

log = logging.getLogger(__name__)
_STAGING_TABLES = ("stg_submission", "stg_indicator_value", "stg_award", "stg_narrative")


class SubmissionsError(Exception):
    """The year cannot be ingested at all (no submissions folder, a year path that is not a folder, no room
    to write); the message is one Vietnamese line naming the path and what to do. The CLI exits 2 on it."""


class YearFolderError(SubmissionsError):
    """<submissions>/<year> exists but is not a folder: ingesting it would report every unit missing."""


class StorageError(SubmissionsError):
    """The database cannot be written (disk full, read-only, no permission): nothing of the year went in."""


@dataclass
class FileOutcome:
    unit_code: str
    source_path: str
    status: str  # accepted | rejected | unchanged
    version: int
    reason_vi: str | None = None
    rows: int = 0


@dataclass
class IngestSummary:
    year: int
    run_id: str
    files: list[FileOutcome] = field(default_factory=list)
    by_duckdb: list[str] = field(default_factory=list)  # source paths DuckDB read and SQL staged

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


@dataclass
class _Finding:
    check_code: str
    severity: str
    message_vi: str
    sheet_name: str | None = None
    row_number: int | None = None
    column_number: int | None = None
    column_name: str | None = None
    observed_value: str | None = None
    fix_vi: str | None = None


class _Rejected(Exception):
    def __init__(self, findings: list[_Finding]):
        self.findings = findings


def ingest_year(config: Config, submissions_dir: Path, year: int, db_path: Path, *,
                csv_by_duckdb: bool = True) -> IngestSummary:
    """Ingest every file of <submissions_dir>/<year>; unchanged files are left as they are.

    Two phases. Reading: every changed unit's files are read, checked and typed in Python, with
    nothing written. Writing: the year's new versions go in ONE transaction (supersede, versions,
    cells, staging, findings; one bulk insert per table), so a run killed at any moment leaves all
    of them or none. Only if that write fails is the year written again unit by unit.

    CSV folders are first offered to DuckDB (tasks/csv_bulk.py: one read_csv per sheet name, staging
    by SQL); what it does not stage plainly is read here in Python. `csv_by_duckdb=False` reads
    every file in Python (the comparison in tests/test_csv_bulk.py).
    """
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise SubmissionsError(f"{submissions_dir}: không tìm thấy thư mục bài nộp (submissions folder not found)")
    summary = IngestSummary(year=year, run_id=f"ingest-{year}-{uuid.uuid4().hex[:12]}")
    started = now_vn()
    year_dir = submissions_dir / str(year)
    if year_dir.exists() and not year_dir.is_dir():
        raise YearFolderError(
            f"{year_dir}: là một tệp, không phải thư mục năm {year}; hãy tạo thư mục {year_dir} và đặt các bài "
            "nộp của năm vào đó (không nhập gì để tránh báo cáo mọi đơn vị là chưa nộp)"
        )
    try:
        return _ingest(config, submissions_dir, year, db_path, summary, started, csv_by_duckdb)
    except (OSError, duckdb.Error, DatabaseError) as exc:
        reason = storage_reason(exc)
        if reason is None:
            raise
        raise StorageError(f"{getattr(exc, 'filename', None) or db_path}: {reason}") from None


def storage_reason(exc: BaseException) -> str | None:
    """A Vietnamese line for the OS refusing to store the database, or None for any other error."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or "No space left" in text:
        return ("ổ đĩa đã đầy, không ghi được cơ sở dữ liệu (No space left on device); chưa có gì của năm này "
                "được ghi; hãy giải phóng dung lượng ổ đĩa rồi chạy lại")
    if code == errno.EROFS or "Read-only file system" in text:
        return ("thư mục chứa cơ sở dữ liệu chỉ cho đọc (Read-only file system); hãy chọn thư mục ghi được "
                "bằng --out hoặc --db rồi chạy lại")
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return ("không có quyền đọc hoặc ghi (Permission denied); hãy cấp quyền cho tài khoản chạy thidua, "
                "hoặc chọn thư mục khác bằng --submissions, --out hoặc --db, rồi chạy lại")
    return None


def _ingest(config: Config, submissions_dir: Path, year: int, db_path: Path, summary: IngestSummary,
            started: dt.datetime, csv_by_duckdb: bool) -> IngestSummary:
    with open_db(db_path) as con:
        load_reference(con, config)
        by_unit: dict[str, list[Path]] = {}
        for entry in discover(submissions_dir / str(year)):
            by_unit.setdefault(_unit_code(entry), []).append(entry)
        known = _known_versions(con, year)
        plans = [_plan_unit(config, year, unit_code, entries, submissions_dir, known.get(unit_code, _Known()))
                 for unit_code, entries in by_unit.items()]
        _read_plans(con, config, year, [p for p in plans if p.versions], csv_by_duckdb)
        _write(con, year, summary.run_id, [p for p in plans if p.versions])
        csv_bulk.drop(con)
        summary.by_duckdb = [v.source_path for p in plans for v in p.versions if v.bulk_rows is not None]
        for plan in plans:
            summary.files.extend(plan.outcomes())
        materialize(con, "validation/submission_status")
        con.execute(
            "insert into run_log values (?, 'ingest', ?, ?, current_timestamp, null, ?)",
            [summary.run_id, year, started, json.dumps({
                "submissions_dir": str(submissions_dir),
                "files": [f.__dict__ for f in summary.files],
            }, ensure_ascii=False)],
        )
    return summary


# Files that office software and operating systems leave beside a document; not submissions.
_JUNK = re.compile(r"^(~\$.*|\.~lock\..*#|\._.*|\.DS_Store|Thumbs\.db|desktop\.ini)$", re.IGNORECASE)


def discover(year_dir: Path) -> list[Path]:
    """The submission entries of a year: files and CSV folders, skipping lock files and OS litter.

    Any other name, however odd (".hidden.xlsx", "..\\..\\x.xlsx"), is an entry: it is recorded,
    and rejected if it is not a submission, so nothing a unit sends disappears unexplained.
    """
    if not year_dir.is_dir():
        return []
    return sorted(p for p in year_dir.iterdir() if not _JUNK.match(p.name))


def _unit_code(entry: Path) -> str:
    return (entry.name if _kind(entry) == "dir" else Path(entry.name).stem).strip().upper()


def _kind(entry: Path) -> str:
    try:
        return entry_kind(entry)
    except OSError:
        return "other"  # vanished mid-run: recorded, and reading it says why


# ---------------------------------------------------------------------------------------------
# Phase 1: read. Nothing here writes; each entry becomes a _Version holding its rows for every table.

@dataclass
class _Known:
    """What the database holds for one unit and year before this run."""
    current: list[tuple[str, int, int]] = field(default_factory=list)  # (sha256, version, file_version_id)
    max_version: int = 0


@dataclass
class _Staged:
    """The typed rows of one accepted file, without file_version_id, nam and unit_code."""
    submission: tuple  # ten_don_vi, nguoi_lap, ngay_lap
    indicators: list[tuple]  # indicator_code, gia_tri, gia_tri_text, ghi_chu, sheet_name, row_number
    awards: list[tuple]  # hinh_thuc ... ghi_chu, sheet_name, row_number (stg_award order)
    narrative: list[tuple]  # muc, noi_dung, sheet_name, row_number

    @property
    def rows(self) -> int:
        return len(self.indicators) + len(self.awards) + len(self.narrative)


@dataclass
class _Version:
    """One entry of the year as it will be written: its raw_file_version row, cells, staging, findings."""
    unit_code: str
    source_path: str
    file_format: str
    sha256: str
    size_bytes: int
    version: int
    status: str = "accepted"  # accepted | rejected
    reason_vi: str | None = None
    cells: list[tuple] = field(default_factory=list)  # raw_cell rows without file_version_id
    staged: _Staged | None = None
    findings: list[_Finding] = field(default_factory=list)
    bulk_rows: int | None = None  # staged by SQL (tasks/csv_bulk.py): its rows wait in DuckDB's temp tables

    def reject(self, findings: list[_Finding]) -> None:
        self.status, self.staged, self.findings = "rejected", None, findings
        self.reason_vi = "; ".join(f.message_vi for f in findings)

    def outcome(self) -> FileOutcome:
        return FileOutcome(self.unit_code, self.source_path, self.status, self.version, self.reason_vi,
                           rows=self.staged.rows if self.staged else self.bulk_rows or 0)


@dataclass
class _Plan:
    """One unit of the year: unchanged (outcomes only) or new versions to write over `previous`."""
    unit_code: str
    entries: list[Path]
    versions: list[_Version] = field(default_factory=list)
    previous: list[int] = field(default_factory=list)  # file_version_ids that the new versions supersede
    unchanged: list[FileOutcome] = field(default_factory=list)

    def outcomes(self) -> list[FileOutcome]:
        return self.unchanged or [v.outcome() for v in self.versions]

    def fail(self, exc: Exception) -> None:
        """A fault in our own code (or the database refusing a row): every entry of the unit is refused with it."""
        for entry, version in zip(self.entries, self.versions):
            cells = []
            if _kind(entry) in ("file", "dir"):  # keep the cells as received if they can be read at all
                try:
                    cells = _cells(read_submission(entry))
                except BaseException as exc:  # noqa: BLE001 (see _interrupts)
                    _interrupts(exc)
            version.cells, version.bulk_rows = cells, None
            version.reject([_Finding(
                "loi_khi_nhap", "critical",
                f"không nhập được tệp do lỗi của chương trình ({type(exc).__name__}: {str(exc)[:200]}); "
                "tệp vẫn được lưu, Phòng Nội vụ sẽ kiểm tra",
                fix_vi="Báo cho Phòng Nội vụ; không cần gửi lại tệp.",
            )])


def _known_versions(con, year: int) -> dict[str, _Known]:
    """Every unit's versions of the year, in one query."""
    known: dict[str, _Known] = {}
    for unit_code, file_version_id, sha256, version, status in con.execute(
        "select unit_code, file_version_id, sha256, version, status from raw_file_version where nam = ? "
        "order by unit_code, version",
        [year],
    ).fetchall():
        unit = known.setdefault(unit_code, _Known())
        unit.max_version = max(unit.max_version, version)
        if status != "superseded":
            unit.current.append((sha256, version, file_version_id))
    return known


def _plan_unit(config: Config, year: int, unit_code: str, entries: list[Path], root: Path, known: _Known) -> _Plan:
    """A unit's entries of the year: one is a submission; two (TTT.xlsx and TTT/) are both refused."""
    plan = _Plan(unit_code, entries)
    shas = [_entry_sha(e) for e in entries]
    if known.current and sorted(c[0] for c in known.current) == sorted(shas):
        plan.unchanged = [FileOutcome(unit_code, e.relative_to(root).as_posix(), "unchanged", known.current[-1][1])
                          for e in entries]
        return plan
    plan.previous = [c[2] for c in known.current]
    plan.versions = [
        _Version(unit_code, e.relative_to(root).as_posix(), _entry_format(e), sha, _entry_size(e),
                 known.max_version + n)
        for n, (e, sha) in enumerate(zip(entries, shas), start=1)
    ]
    return plan


def _read_plans(con, config: Config, year: int, plans: list[_Plan], csv_by_duckdb: bool) -> None:
    """Read every new version: plain CSV folders of expected units by DuckDB, the rest in Python."""
    offered = []
    if csv_by_duckdb:
        for plan in plans:
            unit = config.unit(plan.unit_code)
            if (len(plan.entries) == 1 and _kind(plan.entries[0]) == "dir" and unit is not None
                    and unit.expected_in(year)):
                offered.append(csv_bulk.Folder(plan.versions[0].source_path, plan.unit_code, plan.entries[0]))
    staged = {}
    if offered:
        try:
            staged = csv_bulk.read_year(con, config, year, offered)
        except Exception as exc:  # noqa: BLE001: our own fault must not stop the year; Python reads it all
            if storage_reason(exc):
                raise
            log.warning("DuckDB could not read the year's CSV folders (%s: %s); reading them in Python",
                        type(exc).__name__, exc)
            csv_bulk.drop(con)
    for plan in plans:
        if len(plan.versions) == 1 and plan.versions[0].source_path in staged:
            plan.versions[0].bulk_rows = staged[plan.versions[0].source_path]
        else:
            _read_plan(config, year, plan)


def _read_plan(config: Config, year: int, plan: _Plan) -> None:
    entries, unit_code = plan.entries, plan.unit_code
    try:
        if len(entries) == 1:
            _read_version(config, year, entries[0], plan.versions[0])
        else:
            names = ", ".join(v.source_path for v in plan.versions)
            reason = (f"đơn vị {unit_code} nộp {len(entries)} bài cho cùng năm {year} ({names}); không biết bài nào "
                      "là bài chính thức nên các bài này đều bị trả lại")
            for entry, version in zip(entries, plan.versions):
                _read_version(config, year, entry, version, duplicate_reason=reason)
    except BaseException as exc:  # noqa: BLE001 (see _interrupts)
        # A fault in our own code must not stop the rest of the year: keep the file, say why.
        _interrupts(exc)
        plan.fail(exc)


def _interrupts(exc: BaseException) -> None:
    """Re-raise what stops the whole run; anything else (a Rust panic from a reader library is a
    BaseException, pyo3's PanicException) is one unit's fault."""
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise exc


def _entry_sha(entry: Path) -> str:
    kind = _kind(entry)
    if kind == "symlink":
        return hashlib.sha256(b"symlink\0" + str(entry.readlink()).encode("utf-8", "surrogateescape")).hexdigest()
    if kind not in ("file", "dir"):
        # Never opened (a pipe would block, a link may be any file): known by what it is and where.
        st = entry.lstat()
        return hashlib.sha256(f"{kind}\0{st.st_dev}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()
    try:
        return file_sha256(entry)
    except (OSError, NotARegularFile) as exc:
        # Unreadable (permissions, vanished mid-run): still a version to record; reading it will say why.
        return hashlib.sha256(f"unreadable\0{getattr(exc, 'errno', kind)}".encode()).hexdigest()


def _entry_size(entry: Path) -> int:
    try:
        return size_bytes(entry) if _kind(entry) in ("file", "dir") else 0
    except OSError:
        return 0


def _entry_format(entry: Path) -> str:
    if _kind(entry) == "dir":
        return "csv"
    return entry.suffix.lower().lstrip(".") or "khong_ro"


def _read_version(config: Config, year: int, entry: Path, version: _Version,
                  duplicate_reason: str | None = None) -> None:
    """Read, check and type one entry into `version` (accepted, or rejected with its findings)."""
    unit_code, file_format = version.unit_code, version.file_format
    findings: list[_Finding] = []
    try:
        kind = _kind(entry)
        if kind not in ("file", "dir"):
            # Following a link could read any file on the server into the database; a pipe blocks forever.
            raise _Rejected([_Finding(
                "lien_ket_tuong_trung" if kind == "symlink" else "khong_phai_tep_thuong", "critical",
                not_regular_reason(kind),
                fix_vi="Chép chính tệp Excel (không phải lối tắt hay liên kết) vào thư mục bài nộp.",
            )])
        if file_format == "csv" and not entry.is_dir():
            raise _Rejected([_Finding(
                "dinh_dang_khong_ho_tro", "critical",
                "một tệp .csv riêng lẻ không đủ cho một bài nộp; bài nộp CSV là một thư mục mang mã đơn vị, "
                "mỗi sheet một tệp (thong_tin.csv, chi_tieu.csv, khen_thuong.csv)",
                fix_vi=f"Tạo thư mục {unit_code}/ và đặt các tệp <tên sheet>.csv vào đó, hoặc gửi tệp .xlsx.",
            )])
        if file_format not in ("xlsx", "csv"):
            raise _Rejected([_Finding(
                "dinh_dang_khong_ho_tro", "critical",
                f"định dạng “.{file_format}” không được nhận; chỉ nhận tệp Excel .xlsx hoặc thư mục CSV",
                fix_vi="Lưu bảng tính dạng Excel Workbook (.xlsx), đặt tên theo mã đơn vị, rồi gửi lại.",
            )])
        try:
            book = read_submission(entry)
        except ReadError as exc:
            raise _Rejected([_Finding("tep_khong_doc_duoc", "critical", str(exc),
                                      fix_vi="Mở lại tệp bằng Excel, lưu dạng .xlsx và gửi lại.")]) from None
        version.cells = _cells(book)
        if duplicate_reason:
            raise _Rejected([_Finding("nop_hai_bai", "critical", duplicate_reason,
                                      fix_vi="Xoá bài thừa, chỉ giữ một tệp (hoặc một thư mục CSV) cho mỗi năm.")])
        findings.extend(_Finding("tep_bi_bo_qua", "warning",
                                 f"tệp “{name}” trong thư mục không phải sheet .csv nên không được đọc",
                                 fix_vi="Chỉ để các tệp <tên sheet>.csv trong thư mục của đơn vị.")
                        for name in book.ignored)
        sheets = _contract_sheets(book)
        findings.extend(_sheet_warnings(sheets))
        _check_structure(config, year, unit_code, sheets)
        findings.extend(_problem_cells(sheets))
        version.staged = _stage(config, year, unit_code, sheets, findings)
    except _Rejected as rejected:
        version.reject(rejected.findings)
        return
    version.findings = findings


def _sheet_warnings(tables: dict[str, "_Table"]) -> list[_Finding]:
    return [
        _Finding("sheet_bi_an", "warning",
                 f"sheet “{t.sheet.name}” đang bị ẩn; số liệu trong đó vẫn được đọc",
                 sheet_name=t.sheet.name, fix_vi="Bỏ ẩn sheet để người xem thấy đúng số liệu đã nộp.")
        for t in tables.values() if t.sheet.hidden
    ]


def _problem_cells(tables: dict[str, "_Table"]) -> list[_Finding]:
    """Formula or error cells under the header: each is a critical finding naming its cell."""
    findings = []
    for table in tables.values():
        by_index = {i: name for name, i in table.columns.items()}
        for index in range(table.header_row + 1, len(table.sheet.rows)):
            for c, value in enumerate(table.sheet.rows[index]):
                if isinstance(value, ProblemCell) and c in by_index:
                    # A broken note loses nothing the report counts; a broken value or name does.
                    severity = "warning" if by_index[c] == "ghi_chu" else "critical"
                    findings.append(_Finding(
                        "o_cong_thuc_hoac_loi", severity, value.message_vi(), sheet_name=table.sheet.name,
                        row_number=index + 1, column_number=c + 1, column_name=by_index[c],
                        observed_value=value.text,
                        fix_vi="Thay công thức hoặc ô lỗi bằng giá trị (Dán đặc biệt → Giá trị) rồi gửi lại.",
                    ))
    return findings


# Column letters of the first 702 columns (A … ZZ): a cell reference per raw cell is the hot path.
_LETTERS = [column_letter(n) for n in range(1, 703)]


def _cells(book: Workbook) -> list[tuple]:
    """raw_cell rows (without file_version_id) for every non-blank cell, its text exactly as received."""
    records: list[tuple] = []
    append = records.append
    for sheet in book.sheets.values():
        columns = SHEET_COLUMNS.get(sheet.name.strip().lower())
        header_index = find_header(sheet, columns) if columns else None
        names = ([cell_text(v).strip() or None for v in sheet.rows[header_index]]
                 if header_index is not None else [])
        sheet_name = sheet.name
        for r, row in enumerate(sheet.rows):
            row_names = names if header_index is not None and r > header_index else ()
            number = r + 1
            for c, value in enumerate(row):
                if type(value) is str:  # CSV and most xlsx cells: the text is the value
                    if not value.strip():
                        continue
                    text = value
                elif is_blank(value):
                    continue
                else:
                    text = cell_text(value)
                letters = _LETTERS[c] if c < 702 else column_letter(c + 1)
                append((sheet_name, number, c + 1, row_names[c] if c < len(row_names) else None,
                        f"{letters}{number}", text))
    return records


@dataclass
class _Table:
    sheet: Sheet
    header_row: int  # 0-based index of the header
    columns: dict[str, int]  # contract column -> 0-based index

    def records(self):
        """(row_number, {column: value}) for every non-blank row under the header."""
        for index in range(self.header_row + 1, len(self.sheet.rows)):
            row = self.sheet.rows[index]
            values = {name: (row[i] if i < len(row) else None) for name, i in self.columns.items()}
            if all(is_blank(v) for v in values.values()):
                continue
            yield index + 1, values


def _contract_sheets(book: Workbook) -> dict[str, _Table]:
    by_name: dict[str, Sheet] = {}
    findings: list[_Finding] = []
    for name, sheet in book.sheets.items():
        key = name.strip().lower()
        if key in by_name:
            findings.append(_Finding(
                "trung_sheet", "critical",
                f"có hai sheet cùng là “{key}” (“{by_name[key].name}” và “{name}”); không biết sheet nào là số liệu thật",
                sheet_name=name, fix_vi=f"Xoá bớt một sheet, chỉ giữ một sheet tên “{key}”.",
            ))
        by_name.setdefault(key, sheet)
    missing = [s for s in REQUIRED_SHEETS if s not in by_name]
    findings += [
        _Finding("thieu_sheet", "critical", f"thiếu sheet “{s}”", sheet_name=s,
                 fix_vi=f"Thêm sheet tên “{s}” theo đúng mẫu (tải mẫu trống bằng lệnh thidua templates).")
        for s in missing
    ]
    tables: dict[str, _Table] = {}
    for name, columns in SHEET_COLUMNS.items():
        sheet = by_name.get(name)
        if sheet is None:
            continue
        header_index = find_header(sheet, columns)
        header = sheet.rows[header_index] if header_index is not None else (sheet.rows[0] if sheet.rows else [])
        positions: dict[str, int] = {}
        for i, v in enumerate(header):
            label = cell_text(v).strip().lower()
            if is_blank(v):
                continue
            if label in columns and label in positions:
                row_number = (header_index or 0) + 1
                findings.append(_Finding(
                    "trung_cot", "critical",
                    f"cột “{label}” xuất hiện hai lần ở dòng tiêu đề (ô {column_letter(positions[label] + 1)}{row_number} "
                    f"và {column_letter(i + 1)}{row_number})",
                    sheet_name=sheet.name, row_number=row_number, column_number=i + 1, column_name=label,
                    fix_vi="Xoá hoặc đổi tên cột thừa để mỗi cột của mẫu chỉ có một lần.",
                ))
                continue
            positions.setdefault(label, i)
        absent = [c for c in columns if c not in positions]
        # ghi_chu columns are optional notes; every other contract column must be there.
        absent = [c for c in absent if c != "ghi_chu"]
        for column in absent:
            findings.append(_Finding(
                "thieu_cot", "critical",
                f"sheet “{sheet.name}” thiếu cột “{column}” ở dòng tiêu đề (dòng {(header_index or 0) + 1})",
                sheet_name=sheet.name, row_number=(header_index or 0) + 1, column_name=column,
                fix_vi=f"Thêm cột “{column}” vào dòng tiêu đề, đúng tên như mẫu.",
            ))
        if not absent:
            tables[name] = _Table(sheet, header_index, {c: positions[c] for c in columns if c in positions})
    if findings:
        raise _Rejected(findings)
    return tables


def _info_fields(info: _Table) -> dict[str, list[tuple[int, object]]]:
    """thong_tin's rows by field name (invisible characters ignored): {name: [(row_number, value), ...]}."""
    fields: dict[str, list[tuple[int, object]]] = {}
    for row_number, values in info.records():
        key = clean_text(cell_text(values["truong"]))[0].strip().lower()
        fields.setdefault(key, []).append((row_number, values["gia_tri"]))
    return fields


# A second row for these would silently decide whose submission it is, or for which year.
_IDENTITY_FIELDS = ("ma_don_vi", "nam")


def _check_structure(config: Config, year: int, unit_code: str, tables: dict[str, _Table]) -> None:
    info = tables["thong_tin"]
    fields = {key: rows[0] for key, rows in _info_fields(info).items()}
    findings = []

    def place(key: str) -> dict:
        row_number = fields[key][0] if key in fields else None
        return dict(sheet_name=info.sheet.name, row_number=row_number, column_name="gia_tri",
                    column_number=info.columns["gia_tri"] + 1)

    for key, rows in _info_fields(info).items():
        if key in _IDENTITY_FIELDS and len(rows) > 1:
            shown = "; ".join(f"dòng {r}: “{visible(cell_text(v))}”" for r, v in rows)
            findings.append(_Finding(
                "trung_truong", "critical",
                f"sheet thong_tin có {len(rows)} dòng “{key}” ({shown}); không biết dòng nào đúng",
                sheet_name=info.sheet.name, row_number=rows[1][0], column_name="truong",
                column_number=info.columns["truong"] + 1, observed_value=key,
                fix_vi=f"Xoá dòng “{key}” thừa, chỉ giữ một dòng.",
            ))
    declared_unit = clean_text(cell_text(fields.get("ma_don_vi", (None, None))[1]))[0].strip().upper()
    if not declared_unit:
        findings.append(_Finding("thieu_ma_don_vi", "critical", "sheet thong_tin không có dòng “ma_don_vi”",
                                 **place("ma_don_vi"), fix_vi="Thêm dòng ma_don_vi với mã đơn vị của mình."))
    elif declared_unit != unit_code:
        findings.append(_Finding(
            "ma_don_vi_khong_khop", "critical",
            f"mã đơn vị ghi trong tệp là “{visible(declared_unit)}” nhưng tên tệp là “{visible(unit_code)}”",
            **place("ma_don_vi"), observed_value=declared_unit,
            fix_vi="Sửa mã đơn vị hoặc đặt lại tên tệp cho trùng với mã đơn vị của mình.",
        ))
    declared_year = fields.get("nam", (None, None))[1]
    try:
        year_ok = parse_number(declared_year) == year
    except CellError:
        year_ok = False
    if not year_ok:
        findings.append(_Finding(
            "nam_khong_khop", "critical",
            f"năm ghi trong tệp là “{visible(cell_text(declared_year))}” nhưng tệp nằm trong thư mục năm {year}",
            **place("nam"), observed_value=cell_text(declared_year),
            fix_vi=f"Ghi đúng năm báo cáo {year} ở dòng “nam”, hoặc nộp tệp vào đúng năm.",
        ))
    unit = config.unit(unit_code)
    if unit is None or not unit.expected_in(year):
        findings.append(_Finding(
            "don_vi_khong_co_trong_danh_muc", "critical",
            f"mã đơn vị “{visible(unit_code)}” không có trong danh mục đơn vị báo cáo năm {year}",
            observed_value=unit_code,
            fix_vi="Kiểm tra tên tệp: phải là mã đơn vị được giao (ví dụ TTT.xlsx); liên hệ Phòng Nội vụ nếu đơn vị mới.",
        ))
    if findings:
        raise _Rejected(findings)


# The largest magnitude a value of each type can plausibly have (above it: a typing or export error,
# and sums that overflow to inf). Percent and flag ranges are validation's (0–100, 1/0). An indicator
# may set its own `min`/`max` in indicators.yaml.
PLAUSIBLE = {"count": (None, 1e9), "amount": (None, 1e12), "index": (None, 1e6), "growth": (-100.0, 1e4)}


def plausible_range(indicator) -> tuple[float | None, float | None]:
    low, high = PLAUSIBLE.get(indicator.value_type, (None, None))
    own_low, own_high = getattr(indicator, "min_value", None), getattr(indicator, "max_value", None)
    return (own_low if own_low is not None else low), (own_high if own_high is not None else high)


def _stage(config: Config, year: int, unit_code: str, tables: dict[str, _Table], findings: list[_Finding]) -> _Staged:
    """The typed rows of one file; unreadable values become findings (appended to `findings`).

    Text is staged without control, bidi-override and zero-width characters, and narrative and notes
    without ID or phone numbers; each removal is a warning naming the cell (raw_cell keeps the original).
    """
    def bad(check: str, severity: str, table: _Table, row_number: int, column: str, value, error: CellError, fix: str):
        if isinstance(value, ProblemCell):
            return  # already a finding of its own (_problem_cells)
        findings.append(_Finding(
            check, severity, f"{error}", sheet_name=table.sheet.name, row_number=row_number,
            column_number=table.columns[column] + 1, column_name=column, observed_value=cell_text(value), fix_vi=fix,
        ))

    def text(table: _Table, row_number: int, column: str, value, *, personal: bool = False) -> str | None:
        raw = cell_text(value).strip()
        cleaned, removed = clean_text(raw)
        if not (removed or personal):
            return cleaned or None  # the hot path: 100,000 award rows are 500,000 calls
        where = dict(sheet_name=table.sheet.name, row_number=row_number, column_name=column,
                     column_number=table.columns[column] + 1)
        if removed:
            shown = redact_personal(raw)[0] if personal else raw  # a finding never quotes an ID number
            findings.append(_Finding(
                "ky_tu_an", "warning",
                f"ô có ký tự ẩn {', '.join(removed)} (thường do dán từ Word hoặc trang web); ký tự này đã được "
                "bỏ khỏi số liệu", observed_value=visible(shown)[:200], **where,
                fix_vi="Gõ lại nội dung ô, hoặc dán dạng chữ thuần (Dán đặc biệt → Chỉ giữ chữ).",
            ))
        if personal:
            cleaned, kinds = redact_personal(cleaned)
            if kinds:
                findings.append(_Finding(
                    "thong_tin_ca_nhan", "warning",
                    f"ô có {' và '.join(kinds)} của cá nhân; số này đã được xoá khỏi số liệu đưa vào báo cáo",
                    observed_value=cleaned[:200], **where,
                    fix_vi="Không ghi số CCCD/CMND hay số điện thoại vào báo cáo; hãy xoá trong tệp gốc.",
                ))
        return cleaned.strip() or None

    info = tables["thong_tin"]
    fields = {key: rows[0] for key, rows in _info_fields(info).items()}
    ngay_lap = None
    if "ngay_lap" in fields and not is_blank(fields["ngay_lap"][1]):
        try:
            ngay_lap = parse_date(fields["ngay_lap"][1])
        except CellError as exc:
            bad("ngay_khong_hop_le", "warning", info, fields["ngay_lap"][0], "gia_tri", fields["ngay_lap"][1], exc,
                "Ghi ngày lập dạng 15/12/2020.")

    def field(key: str) -> str | None:
        return text(info, fields[key][0], "gia_tri", fields[key][1]) if key in fields else None

    submission = (field("ten_don_vi"), field("nguoi_lap"), ngay_lap)

    indicators = []
    table = tables["chi_tieu"]
    records = list(table.records())
    # DESIGN "Numbers": once one text number of the sheet uses "." as the decimal mark, a value that
    # reads either way is an error; the first such cell is named in that message.
    decimal_point = next((f"ô {column_letter(table.columns['gia_tri'] + 1)}{r} “{v.strip()}”"
                          for r, values in records if uses_decimal_point(v := values["gia_tri"])), None)
    for row_number, values in records:
        code = (text(table, row_number, "ma_chi_tieu", values["ma_chi_tieu"]) or "").lower() or None
        raw_value = values["gia_tri"]
        if code and is_blank(raw_value):
            continue  # a code left without a value is not reported; validation warns of what is missing
        number, shown = None, cell_text(raw_value)
        try:
            number, shown = _indicator_value(raw_value, config.indicator(code) if code else None, code, decimal_point)
        except CellError as exc:
            bad(getattr(exc, "check", "gia_tri_khong_phai_so"), "critical", table, row_number, "gia_tri", raw_value,
                exc, getattr(exc, "fix", "Nhập số theo kiểu Việt Nam: 2.780 (hàng nghìn) hoặc 4,97 (thập phân)."))
        indicators.append((code, number, visible(shown),
                           text(table, row_number, "ghi_chu", values.get("ghi_chu"), personal=True)
                           if "ghi_chu" in table.columns else None, table.sheet.name, row_number))

    awards = []
    table = tables["khen_thuong"]
    for row_number, values in table.records():
        hinh_thuc_text = text(table, row_number, "hinh_thuc", values["hinh_thuc"]) or ""
        doi_tuong_text = text(table, row_number, "doi_tuong", values["doi_tuong"]) or ""
        decided_on = None
        if not is_blank(values["ngay_quyet_dinh"]):
            try:
                decided_on = parse_date(values["ngay_quyet_dinh"])
            except CellError as exc:
                bad("ngay_khong_hop_le", "critical", table, row_number, "ngay_quyet_dinh",
                    values["ngay_quyet_dinh"], exc, "Ghi ngày quyết định dạng 15/12/2020.")
        awards.append((hinh_thuc_code(hinh_thuc_text), doi_tuong_code(doi_tuong_text), hinh_thuc_text,
                       doi_tuong_text, text(table, row_number, "ten", values["ten"]),
                       text(table, row_number, "so_quyet_dinh", values["so_quyet_dinh"]), decided_on,
                       text(table, row_number, "ghi_chu", values.get("ghi_chu"), personal=True)
                       if "ghi_chu" in table.columns else None, table.sheet.name, row_number))

    narrative = []
    table = tables.get("noi_dung")
    if table is not None:
        for row_number, values in table.records():
            narrative.append((text(table, row_number, "muc", values["muc"]),
                              text(table, row_number, "noi_dung", values["noi_dung"], personal=True),
                              table.sheet.name, row_number))

    return _Staged(submission, indicators, awards, narrative)


class _PercentOfAnotherKind(CellError):
    check, fix = "dinh_dang_phan_tram", "Bỏ định dạng phần trăm của ô (Format Cells → Number) và nhập đúng số."


class _Implausible(CellError):
    check, fix = "gia_tri_bat_thuong", "Kiểm tra lại số (thừa chữ số, nhầm đơn vị) rồi gửi lại."


def _indicator_value(value: object, indicator, code: str | None, decimal_point: str | None) -> tuple[float, str]:
    """(number, its text for gia_tri_text) of a chi_tieu value, or a CellError saying what is wrong."""
    number, shown = parse_number(value, decimal_point=decimal_point), cell_text(value)
    if isinstance(value, PercentCell):
        # A percent-formatted cell means what Excel shows (0.12 → 12), for a percent or growth indicator.
        number = value.shown
        if indicator is None or indicator.value_type not in ("percent", "growth"):
            raise _PercentOfAnotherKind(
                f"ô được định dạng phần trăm (Excel hiển thị {_short(number)}%), nhưng chỉ tiêu “{code}” không "
                f"phải tỷ lệ phần trăm nên không biết giá trị là {_short(float(value))} hay {_short(number)}")
        shown = f"{cell_text(number)}%"
    low, high = plausible_range(indicator) if indicator is not None else (None, None)
    if (high is not None and number > high) or (low is not None and number < low):
        limits = " và ".join(f"{word} {_short(b)}" for word, b in (("ít nhất", low), ("nhiều nhất", high))
                             if b is not None)
        raise _Implausible(
            f"giá trị {_short(number)} của chỉ tiêu “{indicator.code}” không thể là số liệu thật (hợp lý là {limits}); "
            "có thể gõ thừa chữ số hoặc nhầm đơn vị")
    return number, shown


def _short(number: float) -> str:
    """A number for a clerk's message: Vietnamese marks (1.000.000.000; 0,05), huge ones as 1e+308."""
    if abs(number) >= 1e15:
        return f"{number:.3g}"
    text = format_number(number, 6)
    return text.rstrip("0").rstrip(",") if "," in text else text


# ---------------------------------------------------------------------------------------------
# Phase 2: write. One transaction for all the year's new versions; unit by unit only if that fails.

def _write(con, year: int, run_id: str, plans: list[_Plan]) -> None:
    if not plans:
        return
    try:
        _write_transaction(con, year, run_id, plans)
        return
    except Exception as exc:
        if storage_reason(exc):
            raise  # no unit is to blame for a full or read-only disk
        # rolled back, nothing of it is in: write each unit on its own so one bad unit cannot stop the year
    for plan in plans:
        try:
            _write_transaction(con, year, run_id, [plan])
            continue
        except Exception as exc:
            if storage_reason(exc):
                raise
            plan.fail(exc)  # the database refused something of this unit: record it as our fault, cells kept
        try:
            _write_transaction(con, year, run_id, [plan])
        except Exception:
            for version in plan.versions:  # even its cells are refused: keep the version and the finding
                version.cells = []
            _write_transaction(con, year, run_id, [plan])


def _write_transaction(con, year: int, run_id: str, plans: list[_Plan]) -> None:
    versions = [v for plan in plans for v in plan.versions]
    previous = [i for plan in plans for i in plan.previous]
    con.execute("begin transaction")
    try:
        if previous:
            # Staging of the versions being superseded goes; their raw rows and cells stay.
            for table in _STAGING_TABLES:
                con.execute(f"delete from {table} where file_version_id in (select unnest(?::bigint[]))", [previous])
            con.execute("update raw_file_version set status = 'superseded' "
                        "where file_version_id in (select unnest(?::bigint[]))", [previous])
        ids = sorted(r[0] for r in con.execute(
            "select nextval('seq_file_version_id') from range(?)", [len(versions)]).fetchall())
        _insert_columns(con, "raw_file_version", {
            "file_version_id": ids,
            "nam": [year] * len(versions),
            "unit_code": [v.unit_code for v in versions],
            "source_path": [v.source_path for v in versions],
            "file_format": [v.file_format for v in versions],
            "sha256": [v.sha256 for v in versions],
            "size_bytes": [v.size_bytes for v in versions],
            "version": [v.version for v in versions],
            "status": [v.status for v in versions],
            "reason_vi": [v.reason_vi for v in versions],
            "ingest_run_id": [run_id] * len(versions),
        })
        _insert_rows(con, "raw_cell", ("sheet_name", "row_number", "column_number", "column_name", "cell_ref",
                                       "value_text"), ids, versions, lambda v: v.cells)
        csv_bulk.insert_staged(con, {v.source_path: (i, year, v.unit_code)
                                     for i, v in zip(ids, versions) if v.bulk_rows is not None})
        staged = [(i, v) for i, v in zip(ids, versions) if v.staged is not None]
        staged_ids, staged_versions = [i for i, _ in staged], [v for _, v in staged]
        _insert_rows(con, "stg_submission", ("ten_don_vi", "nguoi_lap", "ngay_lap"), staged_ids, staged_versions,
                     lambda v: [v.staged.submission], year)
        _insert_rows(con, "stg_indicator_value", ("indicator_code", "gia_tri", "gia_tri_text", "ghi_chu",
                                                  "sheet_name", "row_number"),
                     staged_ids, staged_versions, lambda v: v.staged.indicators, year)
        _insert_rows(con, "stg_award", ("hinh_thuc", "doi_tuong", "hinh_thuc_text", "doi_tuong_text", "ten",
                                         "so_quyet_dinh", "ngay_quyet_dinh", "ghi_chu", "sheet_name", "row_number"),
                     staged_ids, staged_versions, lambda v: v.staged.awards, year)
        _insert_rows(con, "stg_narrative", ("muc", "noi_dung", "sheet_name", "row_number"),
                     staged_ids, staged_versions, lambda v: v.staged.narrative, year)
        _store_findings(con, run_id, year, ids, versions)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _insert_rows(con, table: str, columns: tuple[str, ...], ids: list[int], versions: list[_Version], rows_of,
                 year: int | None = None) -> None:
    """One bulk insert of every version's rows of `table`, led by file_version_id (and nam, unit_code if year)."""
    rows: list[tuple] = []
    id_column: list[int] = []
    unit_column: list[str] = []
    for file_version_id, version in zip(ids, versions):
        own = rows_of(version)
        rows.extend(own)
        id_column.extend([file_version_id] * len(own))
        if year is not None:
            unit_column.extend([version.unit_code] * len(own))
    if not rows:
        return
    data: dict[str, list] = {"file_version_id": id_column}
    if year is not None:
        data["nam"] = [year] * len(rows)
        data["unit_code"] = unit_column
    data.update(zip(columns, (list(c) for c in zip(*rows))))
    _insert_columns(con, table, data)


def _insert_columns(con, table: str, data: dict[str, list]) -> None:
    """Insert named columns of equal length through one registered frame.

    Built column by column as object arrays: no per-row pandas work, and None stays SQL null.
    (executemany takes ~0.5 ms a row; a frame per file and `where(notna)` were most of ingest's time.)
    """
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in data.items()}, copy=False)
    names = ", ".join(data)
    con.register("_rows", frame)
    # No `finally`: after a failed insert the transaction is aborted and unregister would raise over
    # the real error. A frame left registered is replaced by the next register or the rollback's retry.
    con.execute(f"insert into {table} ({names}) select {names} from _rows")
    con.unregister("_rows")


def _store_findings(con, run_id: str, year: int, ids: list[int], versions: list[_Version]) -> None:
    rows = [(file_version_id, v, f) for file_version_id, v in zip(ids, versions) for f in v.findings]
    if not rows:
        return
    _insert_columns(con, "finding", {
        "run_id": [run_id] * len(rows),
        "stage": ["ingest"] * len(rows),
        "check_code": [f.check_code for _, _, f in rows],
        "severity": [f.severity for _, _, f in rows],
        "nam": [year] * len(rows),
        "unit_code": [v.unit_code for _, v, _ in rows],
        "file_version_id": [i for i, _, _ in rows],
        "source_path": [v.source_path for _, v, _ in rows],
        "sheet_name": [f.sheet_name and visible(f.sheet_name) for _, _, f in rows],
        "row_number": [f.row_number for _, _, f in rows],
        "column_name": [f.column_name for _, _, f in rows],
        "cell_ref": [f"{column_letter(f.column_number)}{f.row_number}" if f.column_number and f.row_number else None
                     for _, _, f in rows],
        # Never a control character: findings are written into the units' feedback workbooks.
        "observed_value": [f.observed_value and visible(f.observed_value) for _, _, f in rows],
        "message_vi": [visible(_with_place(v.source_path, f)) for _, v, f in rows],
        "fix_vi": [f.fix_vi for _, _, f in rows],
    })


def _with_place(source_path: str, f: _Finding) -> str:
    """The message with its place in words a clerk understands: file, sheet, row, column."""
    parts = [f"Tệp {source_path}"]
    if f.sheet_name:
        parts.append(f"sheet {f.sheet_name}")
    if f.row_number:
        parts.append(f"dòng {f.row_number}")
    if f.column_name:
        cell = f" (ô {column_letter(f.column_number)}{f.row_number})" if f.column_number and f.row_number else ""
        parts.append(f"cột {f.column_name}{cell}")
    return ", ".join(parts) + ": " + f.message_vi

