"""Ingest one year's submission files: raw cells exactly as received, then typed staging rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tasks.config import Config
from tasks.db import load_reference, materialize, open_db
from tasks.parsing import CellError, ProblemCell, cell_text, doi_tuong_code, hinh_thuc_code, parse_date, parse_number
from tasks.readers import (
    REQUIRED_SHEETS,
    SHEET_COLUMNS,
    ReadError,
    Sheet,
    Workbook,
    column_letter,
    file_sha256,
    find_header,
    is_blank,
    read_submission,
    size_bytes,
)

_STAGING_TABLES = ("stg_submission", "stg_indicator_value", "stg_award", "stg_narrative")


class SubmissionsError(Exception):
    """The submissions folder itself is missing."""


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


def ingest_year(config: Config, submissions_dir: Path, year: int, db_path: Path) -> IngestSummary:
    """Ingest every file of <submissions_dir>/<year>; unchanged files are left as they are."""
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise SubmissionsError(f"{submissions_dir}: không tìm thấy thư mục bài nộp (submissions folder not found)")
    summary = IngestSummary(year=year, run_id=f"ingest-{year}-{uuid.uuid4().hex[:12]}")
    started = dt.datetime.now()
    with open_db(db_path) as con:
        load_reference(con, config)
        by_unit: dict[str, list[Path]] = {}
        for entry in discover(submissions_dir / str(year)):
            by_unit.setdefault(_unit_code(entry), []).append(entry)
        for unit_code, entries in by_unit.items():
            summary.files.extend(_ingest_unit(con, config, year, unit_code, entries, submissions_dir, summary.run_id))
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
    return (entry.name if entry.is_dir() and not entry.is_symlink() else Path(entry.name).stem).strip().upper()


def _ingest_unit(con, config: Config, year: int, unit_code: str, entries: list[Path], root: Path,
                 run_id: str) -> list[FileOutcome]:
    """A unit's entries of the year: one is a submission; two (TTT.xlsx and TTT/) are both refused."""
    shas = sorted(_entry_sha(e) for e in entries)
    current = con.execute(
        "select sha256, version from raw_file_version where nam = ? and unit_code = ? "
        "and status <> 'superseded' order by version",
        [year, unit_code],
    ).fetchall()
    if current and sorted(r[0] for r in current) == shas:
        return [FileOutcome(unit_code, e.relative_to(root).as_posix(), "unchanged", current[-1][1]) for e in entries]

    con.execute("begin transaction")
    try:
        _supersede(con, year, unit_code)
        if len(entries) == 1:
            outcomes = [_new_version(con, config, year, entries[0], unit_code, root, run_id)]
        else:
            names = ", ".join(e.relative_to(root).as_posix() for e in entries)
            reason = (f"đơn vị {unit_code} nộp {len(entries)} bài cho cùng năm {year} ({names}); không biết bài nào "
                      "là bài chính thức nên các bài này đều bị trả lại")
            outcomes = [_new_version(con, config, year, e, unit_code, root, run_id, duplicate_reason=reason)
                        for e in entries]
        con.execute("commit")
    except Exception as exc:
        # A fault in our own code must not stop the rest of the year: keep the file, say why.
        con.execute("rollback")
        outcomes = _record_failure(con, year, unit_code, entries, root, run_id, exc)
    except BaseException:
        con.execute("rollback")
        raise
    return outcomes


def _entry_sha(entry: Path) -> str:
    if entry.is_symlink():
        return hashlib.sha256(b"symlink\0" + str(entry.readlink()).encode("utf-8", "surrogateescape")).hexdigest()
    try:
        return file_sha256(entry)
    except OSError as exc:
        # Unreadable (permissions, vanished mid-run): still a version to record; reading it will say why.
        return hashlib.sha256(f"unreadable\0{exc.errno}".encode()).hexdigest()


def _entry_size(entry: Path) -> int:
    try:
        return 0 if entry.is_symlink() else size_bytes(entry)
    except OSError:
        return 0


def _entry_format(entry: Path) -> str:
    if entry.is_dir() and not entry.is_symlink():
        return "csv"
    return entry.suffix.lower().lstrip(".") or "khong_ro"


def _supersede(con, year: int, unit_code: str) -> None:
    previous = [r[0] for r in con.execute(
        "select file_version_id from raw_file_version where nam = ? and unit_code = ? and status <> 'superseded'",
        [year, unit_code],
    ).fetchall()]
    for table in _STAGING_TABLES:
        con.execute(f"delete from {table} where file_version_id in (select unnest(?::bigint[]))", [previous])
    con.execute(
        "update raw_file_version set status = 'superseded' where file_version_id in (select unnest(?::bigint[]))",
        [previous],
    )


def _insert_version(con, year: int, unit_code: str, entry: Path, root: Path, run_id: str) -> tuple[int, int, str]:
    version = con.execute(
        "select coalesce(max(version), 0) + 1 from raw_file_version where nam = ? and unit_code = ?",
        [year, unit_code],
    ).fetchone()[0]
    source_path = entry.relative_to(root).as_posix()
    file_version_id = con.execute(
        "insert into raw_file_version (nam, unit_code, source_path, file_format, sha256, size_bytes, "
        "version, status, ingest_run_id) values (?, ?, ?, ?, ?, ?, ?, 'accepted', ?) returning file_version_id",
        [year, unit_code, source_path, _entry_format(entry), _entry_sha(entry), _entry_size(entry), version, run_id],
    ).fetchone()[0]
    return file_version_id, version, source_path


def _record_failure(con, year, unit_code, entries, root, run_id, exc: Exception) -> list[FileOutcome]:
    outcomes = []
    con.execute("begin transaction")
    try:
        _supersede(con, year, unit_code)
        for entry in entries:
            file_version_id, version, source_path = _insert_version(con, year, unit_code, entry, root, run_id)
            try:  # keep the cells as received if the fault was further on
                _store_cells(con, file_version_id, read_submission(entry))
            except Exception:
                pass
            finding = _Finding(
                "loi_khi_nhap", "critical",
                f"không nhập được tệp do lỗi của chương trình ({type(exc).__name__}: {str(exc)[:200]}); "
                "tệp vẫn được lưu, Phòng Nội vụ sẽ kiểm tra",
                fix_vi="Báo cho Phòng Nội vụ; không cần gửi lại tệp.",
            )
            _reject(con, run_id, year, unit_code, file_version_id, source_path, [finding])
            outcomes.append(FileOutcome(unit_code, source_path, "rejected", version, finding.message_vi))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return outcomes


def _new_version(con, config: Config, year: int, entry: Path, unit_code: str, root: Path, run_id: str,
                 duplicate_reason: str | None = None) -> FileOutcome:
    file_version_id, version, source_path = _insert_version(con, year, unit_code, entry, root, run_id)
    file_format = _entry_format(entry)
    findings: list[_Finding] = []
    rows = 0
    try:
        if entry.is_symlink():
            # Following a link could read any file on the server into the database.
            raise _Rejected([_Finding(
                "lien_ket_tuong_trung", "critical",
                "là một liên kết tượng trưng (symlink), không phải tệp thật; tệp không được đọc",
                fix_vi="Chép chính tệp Excel (không phải lối tắt) vào thư mục bài nộp.",
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
        _store_cells(con, file_version_id, book)
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
        rows = _stage(con, file_version_id, year, unit_code, sheets, findings)
    except _Rejected as rejected:
        reason = _reject(con, run_id, year, unit_code, file_version_id, source_path, rejected.findings)
        return FileOutcome(unit_code, source_path, "rejected", version, reason)
    _store_findings(con, run_id, year, unit_code, file_version_id, source_path, findings)
    return FileOutcome(unit_code, source_path, "accepted", version, rows=rows)


def _reject(con, run_id, year, unit_code, file_version_id, source_path, findings: list[_Finding]) -> str:
    reason = "; ".join(f.message_vi for f in findings)
    con.execute(
        "update raw_file_version set status = 'rejected', reason_vi = ? where file_version_id = ?",
        [reason, file_version_id],
    )
    _store_findings(con, run_id, year, unit_code, file_version_id, source_path, findings)
    return reason


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


def _store_cells(con, file_version_id: int, book: Workbook) -> None:
    records = []
    for sheet in book.sheets.values():
        columns = SHEET_COLUMNS.get(sheet.name.strip().lower())
        header_index = find_header(sheet, columns) if columns else None
        header = sheet.rows[header_index] if header_index is not None else []
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if is_blank(value):
                    continue
                name = None
                if header_index is not None and r > header_index and c < len(header):
                    name = cell_text(header[c]).strip() or None
                records.append((file_version_id, sheet.name, r + 1, c + 1, name,
                                f"{column_letter(c + 1)}{r + 1}", cell_text(value)))
    if records:
        frame = pd.DataFrame.from_records(records, columns=[
            "file_version_id", "sheet_name", "row_number", "column_number", "column_name", "cell_ref", "value_text",
        ])
        con.register("_cells", frame)
        con.execute("insert into raw_cell select * from _cells")
        con.unregister("_cells")


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


def _check_structure(config: Config, year: int, unit_code: str, tables: dict[str, _Table]) -> None:
    info = tables["thong_tin"]
    fields = {}
    for row_number, values in info.records():
        key = cell_text(values["truong"]).strip().lower()
        fields.setdefault(key, (row_number, values["gia_tri"]))
    findings = []

    def place(key: str) -> dict:
        row_number = fields[key][0] if key in fields else None
        return dict(sheet_name=info.sheet.name, row_number=row_number, column_name="gia_tri",
                    column_number=info.columns["gia_tri"] + 1)

    declared_unit = cell_text(fields.get("ma_don_vi", (None, None))[1]).strip().upper()
    if not declared_unit:
        findings.append(_Finding("thieu_ma_don_vi", "critical", "sheet thong_tin không có dòng “ma_don_vi”",
                                 **place("ma_don_vi"), fix_vi="Thêm dòng ma_don_vi với mã đơn vị của mình."))
    elif declared_unit != unit_code:
        findings.append(_Finding(
            "ma_don_vi_khong_khop", "critical",
            f"mã đơn vị ghi trong tệp là “{declared_unit}” nhưng tên tệp là “{unit_code}”",
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
            f"năm ghi trong tệp là “{cell_text(declared_year)}” nhưng tệp nằm trong thư mục năm {year}",
            **place("nam"), observed_value=cell_text(declared_year),
            fix_vi=f"Ghi đúng năm báo cáo {year} ở dòng “nam”, hoặc nộp tệp vào đúng năm.",
        ))
    unit = config.unit(unit_code)
    if unit is None or not unit.expected_in(year):
        findings.append(_Finding(
            "don_vi_khong_co_trong_danh_muc", "critical",
            f"mã đơn vị “{unit_code}” không có trong danh mục đơn vị báo cáo năm {year}",
            observed_value=unit_code,
            fix_vi="Kiểm tra tên tệp: phải là mã đơn vị được giao (ví dụ TTT.xlsx); liên hệ Phòng Nội vụ nếu đơn vị mới.",
        ))
    if findings:
        raise _Rejected(findings)


def _stage(con, file_version_id: int, year: int, unit_code: str, tables: dict[str, _Table],
           findings: list[_Finding]) -> int:
    def bad(check: str, severity: str, table: _Table, row_number: int, column: str, value, error: CellError, fix: str):
        if isinstance(value, ProblemCell):
            return  # already a finding of its own (_problem_cells)
        findings.append(_Finding(
            check, severity, f"{error}", sheet_name=table.sheet.name, row_number=row_number,
            column_number=table.columns[column] + 1, column_name=column, observed_value=cell_text(value), fix_vi=fix,
        ))

    info = tables["thong_tin"]
    fields = {}
    for row_number, values in info.records():
        fields.setdefault(cell_text(values["truong"]).strip().lower(), (row_number, values["gia_tri"]))
    ngay_lap = None
    if "ngay_lap" in fields and not is_blank(fields["ngay_lap"][1]):
        try:
            ngay_lap = parse_date(fields["ngay_lap"][1])
        except CellError as exc:
            bad("ngay_khong_hop_le", "warning", info, fields["ngay_lap"][0], "gia_tri", fields["ngay_lap"][1], exc,
                "Ghi ngày lập dạng 15/12/2020.")

    def text(key: str) -> str | None:
        return (cell_text(fields[key][1]).strip() or None) if key in fields else None

    con.execute(
        "insert into stg_submission values (?, ?, ?, ?, ?, ?)",
        [file_version_id, year, unit_code, text("ten_don_vi"), text("nguoi_lap"), ngay_lap],
    )

    indicators = []
    table = tables["chi_tieu"]
    for row_number, values in table.records():
        code = cell_text(values["ma_chi_tieu"]).strip().lower() or None
        raw_value = values["gia_tri"]
        if code and is_blank(raw_value):
            continue  # a code left without a value is not reported; validation warns of what is missing
        number = None
        try:
            number = parse_number(raw_value)
        except CellError as exc:
            bad("gia_tri_khong_phai_so", "critical", table, row_number, "gia_tri", raw_value, exc,
                "Nhập số theo kiểu Việt Nam: 2.780 (hàng nghìn) hoặc 4,97 (thập phân).")
        indicators.append((file_version_id, year, unit_code, code, number, cell_text(raw_value),
                           cell_text(values.get("ghi_chu")).strip() or None, table.sheet.name, row_number))

    awards = []
    table = tables["khen_thuong"]
    for row_number, values in table.records():
        hinh_thuc_text = cell_text(values["hinh_thuc"]).strip()
        doi_tuong_text = cell_text(values["doi_tuong"]).strip()
        decided_on = None
        if not is_blank(values["ngay_quyet_dinh"]):
            try:
                decided_on = parse_date(values["ngay_quyet_dinh"])
            except CellError as exc:
                bad("ngay_khong_hop_le", "critical", table, row_number, "ngay_quyet_dinh",
                    values["ngay_quyet_dinh"], exc, "Ghi ngày quyết định dạng 15/12/2020.")
        awards.append((file_version_id, year, unit_code, hinh_thuc_code(hinh_thuc_text),
                       doi_tuong_code(doi_tuong_text), hinh_thuc_text, doi_tuong_text,
                       cell_text(values["ten"]).strip() or None, cell_text(values["so_quyet_dinh"]).strip() or None,
                       decided_on, cell_text(values.get("ghi_chu")).strip() or None, table.sheet.name, row_number))

    narrative = []
    table = tables.get("noi_dung")
    if table is not None:
        for row_number, values in table.records():
            narrative.append((file_version_id, year, unit_code, cell_text(values["muc"]).strip() or None,
                              cell_text(values["noi_dung"]).strip() or None, table.sheet.name, row_number))

    for name, rows in (("stg_indicator_value", indicators), ("stg_award", awards), ("stg_narrative", narrative)):
        _insert_rows(con, name, rows)
    return len(indicators) + len(awards) + len(narrative)


def _insert_rows(con, table: str, rows: list[tuple]) -> None:
    """Bulk insert through a DataFrame: executemany takes minutes for 100,000 award rows."""
    if not rows:
        return
    columns = [r[0] for r in con.execute(f"describe {table}").fetchall()]
    frame = pd.DataFrame.from_records(rows, columns=columns).astype(object)
    frame = frame.where(frame.notna(), None)
    con.register("_rows", frame)
    try:
        con.execute(f"insert into {table} select * from _rows")
    finally:
        con.unregister("_rows")


def _store_findings(con, run_id: str, year: int, unit_code: str, file_version_id: int, source_path: str,
                    findings: list[_Finding]) -> None:
    if not findings:
        return
    con.executemany(
        "insert into finding (run_id, stage, check_code, severity, nam, unit_code, file_version_id, source_path, "
        "sheet_name, row_number, column_name, cell_ref, observed_value, message_vi, fix_vi) "
        "values (?, 'ingest', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (run_id, f.check_code, f.severity, year, unit_code, file_version_id, source_path, f.sheet_name,
             f.row_number, f.column_name,
             f"{column_letter(f.column_number)}{f.row_number}" if f.column_number and f.row_number else None,
             f.observed_value, _with_place(source_path, f), f.fix_vi)
            for f in findings
        ],
    )


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

