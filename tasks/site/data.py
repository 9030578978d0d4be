"""What the site's pages show, read from the district's DuckDB file without ever writing to it."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from tasks.config import Config
from tasks.db import query

STATUS_VI = {"accepted": "Chấp nhận", "rejected": "Bị trả lại", "missing": "Chưa nộp"}
SEVERITY_VI = {"critical": "Nghiêm trọng", "warning": "Cảnh báo"}
SHEET_VI = {"thong_tin": "Thông tin", "chi_tieu": "Chỉ tiêu", "khen_thuong": "Khen thưởng", "noi_dung": "Nội dung"}
COLUMN_VI = {
    "truong": "Thông tin", "gia_tri": "Giá trị", "ma_chi_tieu": "Mã chỉ tiêu", "ghi_chu": "Ghi chú",
    "hinh_thuc": "Hình thức", "doi_tuong": "Đối tượng", "ten": "Tên tập thể / cá nhân",
    "so_quyet_dinh": "Số quyết định", "ngay_quyet_dinh": "Ngày quyết định", "muc": "Mục", "noi_dung": "Nội dung",
    "ma_don_vi": "Mã đơn vị", "nam": "Năm",
}
CAP_CHECKS = {"vuot_ty_le_toi_da"}  # the share-cap check of expectations/stg_submission.json
# The place ("Tệp 2020/TTT.xlsx, sheet chi_tieu, dòng 9, cột gia_tri (ô B9): ") that the page shows in columns.
_PLACE_PREFIX = re.compile(r"^Tệp [^:]*?: ")

# One writer per DuckDB file: the site's own uploads write while holding this; reads wait for them.
DB_LOCK = threading.RLock()


class DataUnavailable(Exception):
    """The database is being written by a cycle run; the page asks to try again in a moment."""


@contextmanager
def read_db(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection for one request (None before the first run), closed at once."""
    with DB_LOCK:
        if not Path(db_path).is_file():
            yield None
            return
        try:
            con = duckdb.connect(str(db_path), read_only=True, config={
                "autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            raise DataUnavailable(str(exc)) from None
        try:
            yield con
        finally:
            con.close()


def statuses(con, year: int) -> list[dict]:
    rows = query(con, "validation/int_submission_status_year", {"nam": year}) if con else []
    for r in rows:
        r["trang_thai_vi"] = STATUS_VI.get(r["trang_thai"], r["trang_thai"])
    return rows


def problems_first(rows: list[dict]) -> list[dict]:
    """Rejected, then missing, then accepted with warnings, then the rest; registry order within each."""
    rank = {"rejected": 0, "missing": 1}
    return sorted(rows, key=lambda r: (rank.get(r["trang_thai"], 3 if not r.get("so_canh_bao") else 2)))


def findings(con, year: int, config: Config, unit_code: str | None = None) -> list[dict]:
    rows = query(con, "site/site_finding", {"nam": year, "unit_code": unit_code}) if con else []
    names = _names_for_codes(config)
    return [clerk_words(r, names) for r in rows]


def clerk_words(f: dict, names) -> dict:
    """A finding as a clerk reads it: indicator names instead of codes, sheet and column labels."""
    message = names(_PLACE_PREFIX.sub("", f["message_vi"] or ""))
    return {
        **f,
        "muc_do": SEVERITY_VI.get(f["severity"], f["severity"]),
        "trang_tinh": SHEET_VI.get(f["sheet_name"], f["sheet_name"] or ""),
        "cot": COLUMN_VI.get(f["column_name"], f["column_name"] or ""),
        "chi_tieu": f.get("ten_chi_tieu") or "",
        "loi": message[:1].upper() + message[1:],
        "cach_sua": names(f["fix_vi"] or ""),
        "gia_tri_da_ghi": names(f["observed_value"] or ""),
    }


def _names_for_codes(config: Config):
    """A function putting names in place of the codes in a text (indicators, sheets, long column codes)."""
    # Only codes with an underscore: short column codes (ten, muc, nam) are also Vietnamese words.
    names = {**{i.code: i.name for i in config.indicators}, **SHEET_VI,
             **{k: v for k, v in COLUMN_VI.items() if "_" in k}}
    pattern = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")(?![\w])")

    def replace(text: str) -> str:
        return re.sub(r"\bsheet\b", "trang tính", pattern.sub(lambda m: f"“{names[m.group(1)]}”", text))

    return replace


def unit_years(con, unit_code: str) -> list[dict]:
    rows = query(con, "site/site_unit_years", {"unit_code": unit_code}) if con else []
    for r in rows:
        r["trang_thai_vi"] = STATUS_VI.get(r["trang_thai"], r["trang_thai"])
    return rows


def sign_offs(con, year: int) -> list[dict]:
    return query(con, "site/site_sign_off", {"nam": year}) if con else []


def drafts(con, year: int) -> list[dict]:
    return query(con, "site/site_draft", {"nam": year}) if con else []


def validation_run(con, year: int) -> dict | None:
    rows = query(con, "site/site_validation_run", {"nam": year}) if con else []
    return rows[0] if rows else None


def lock_reason(decisions: list[dict]) -> str | None:
    """Why a year takes no more uploads: its latest decision is an approval (a reopen comes after it)."""
    if decisions and decisions[0]["decision"] == "approve":
        d = decisions[0]
        return (f"Năm này đã được {d['reviewer_name']} ký duyệt ngày {d['decided_at']:%d/%m/%Y}; "
                "số liệu đã khóa. Muốn sửa, đề nghị Phòng Nội vụ mở lại năm báo cáo.")
    return None


def verdict(units: list[dict], found: list[dict], *, warnings_acknowledged: bool) -> dict:
    """Whether the year may go to signature, and every reason it may not, in the reviewer's words."""
    def names(rows):
        return ", ".join(f"{r.get('ten_don_vi') or r['ma_don_vi']} ({r['ma_don_vi']})" for r in rows)

    reasons = []
    rejected = [u for u in units if u["trang_thai"] == "rejected"]
    missing = [u for u in units if u["trang_thai"] == "missing"]
    if rejected:
        reasons.append(f"{len(rejected)} đơn vị bị trả lại: {names(rejected)}")
    if missing:
        reasons.append(f"{len(missing)} đơn vị chưa nộp: {names(missing)}")
    warnings = [f for f in found if f["severity"] == "warning"]
    if warnings and not warnings_acknowledged:
        reasons.append(f"{len(warnings)} cảnh báo chưa được Hội đồng xác nhận đã xem")
    over_cap = sorted({(f["unit_code"], f.get("ten_don_vi")) for f in found if f["check_code"] in CAP_CHECKS})
    if over_cap:
        reasons.append(f"{len(over_cap)} đơn vị vượt tỷ lệ Chiến sĩ thi đua cơ sở: "
                       + names([{"ma_don_vi": c, "ten_don_vi": n} for c, n in over_cap]))
    if not units:
        reasons.append("năm này chưa được kiểm tra số liệu")
    return _verdict(reasons)


def with_period(verdict_of_year: dict, earlier: list[dict]) -> dict:
    """A period report is ready only when every year it rests on is: each earlier year's failure is a reason."""
    reasons = verdict_of_year["reasons"] + [f"năm {y['year']} chưa đủ ({'; '.join(y['verdict']['reasons'])})"
                                            for y in earlier if not y["verdict"]["ok"]]
    return _verdict(reasons)


def _verdict(reasons: list[str]) -> dict:
    return {"ok": not reasons, "reasons": reasons,
            "title": "Đủ điều kiện trình ký" if not reasons else "Chưa đủ: " + "; ".join(reasons)}
