"""Aggregate stage: build the marts from accepted submissions and write the statisticians' files."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import uuid
from pathlib import Path

from tasks.config import Config
from tasks.db import load_reference, materialize, open_db
from tasks.safety import neutralise
from tasks.tong_hop import write_tong_hop
from tasks.runlog import now_vn

# Dependency order: each file reads only reference, staging, status and the files before it.
MART_FILES = (
    "intermediate/int_award",
    "marts/mart_unit_indicators",
    "intermediate/int_indicator_reporters",
    "marts/mart_district_indicators",
    "marts/mart_group_indicators",
    "marts/mart_award_table",
    "marts/mart_narrative",
    "intermediate/int_merged_unit_values",
    "marts/mart_merged_unit_indicators",
    "marts/mart_unit_merger",
)
PERIOD_MART = "marts/mart_period_indicators"

DISTRICT_COLUMNS = (
    ("ma_chi_tieu", "indicator_code"),
    ("gia_tri", "gia_tri"),
    ("ten_chi_tieu", "ten_chi_tieu"),
    ("don_vi_tinh", "don_vi_tinh"),
    ("so_chu_so_thap_phan", "decimals"),
    ("cach_tong_hop", "aggregation"),
    ("tu_so", "tu_so"),
    ("mau_so", "mau_so"),
    ("so_don_vi_bao_cao", "so_don_vi_bao_cao"),
    ("so_don_vi_du_kien", "so_don_vi_du_kien"),
    ("don_vi_chua_nop", "don_vi_chua_nop"),
    ("don_vi_bi_tam_giu", "don_vi_bi_tam_giu"),
    ("don_vi_khong_bao_cao", "don_vi_khong_bao_cao"),
    ("ghi_chu", "ghi_chu"),
)
PERIOD_COLUMNS = (
    ("ma_chi_tieu", "indicator_code"),
    ("gia_tri", "gia_tri"),
    ("nam_dau", "nam_dau"),
    ("nam_cuoi", "nam_cuoi"),
    ("ten_chi_tieu", "ten_chi_tieu"),
    ("don_vi_tinh", "don_vi_tinh"),
    ("so_chu_so_thap_phan", "decimals"),
    ("cach_tong_hop", "aggregation"),
    ("quy_tac_ky", "quy_tac_ky"),
    ("tu_so", "tu_so"),
    ("mau_so", "mau_so"),
    ("so_don_vi_du_kien", "so_don_vi_du_kien"),
    ("so_nam_co_so_lieu", "so_nam_co_so_lieu"),
    ("ghi_chu", "ghi_chu"),
)
AWARD_COLUMNS = ("hinh_thuc", "doi_tuong", "nam", "so_luong")



def aggregate(config: Config, year: int, period_years: int, db_path: Path) -> None:
    """Rebuild every mart from the accepted submissions; the period view ends with `year`."""
    if period_years < 1:
        raise ValueError(f"period_years must be at least 1, got {period_years}")
    started = now_vn()
    with open_db(db_path) as con:
        load_reference(con, config)
        # Status is rebuilt here too so a run without validation still counts only readable files.
        materialize(con, "validation/submission_status")
        for name in MART_FILES:
            materialize(con, name)
        materialize(con, PERIOD_MART, {"nam_cuoi": year, "so_nam": period_years})
        counts = {
            Path(name).name: con.execute(f"select count(*) from {Path(name).name}").fetchone()[0]
            for name in (*MART_FILES, PERIOD_MART)
        }
        con.execute(
            "insert into run_log values (?, 'aggregate', ?, ?, current_timestamp, null, ?)",
            [f"aggregate-{year}-{uuid.uuid4().hex[:12]}", year, started,
             json.dumps({"period_years": period_years, "rows": counts})],
        )


def write_outputs(config: Config, year: int, period_years: int, db_path: Path, out_dir: Path) -> list[Path]:
    """Write district_indicators.csv, award_table.csv (and period_indicators.csv) and one xlsx."""
    first_year = year - period_years + 1
    target = Path(out_dir) / str(year)
    target.mkdir(parents=True, exist_ok=True)
    with open_db(db_path) as con:
        district = _rows(con, "select * from mart_district_indicators where nam = ? order by sort_order", [year])
        awards = _rows(
            con,
            "select * from mart_award_table where nam between ? and ? order by sort_order, hinh_thuc, doi_tuong, nam",
            [first_year, year],
        )
        period = _rows(
            con, "select * from mart_period_indicators where nam_dau = ? and nam_cuoi = ? order by sort_order",
            [first_year, year],
        ) if period_years > 1 else []

    written = [
        _write_csv(target / "district_indicators.csv", DISTRICT_COLUMNS, district),
        _write_csv(target / "award_table.csv", tuple((c, c) for c in AWARD_COLUMNS),
                   _every_period_year(awards, range(first_year, year + 1))),
    ]
    if period:
        written.append(_write_csv(target / "period_indicators.csv", PERIOD_COLUMNS, period))
    written.append(write_tong_hop(target / f"tong_hop_{year}.xlsx", config=config, year=year, first_year=first_year,
                                  district=district, awards=awards, period=period))
    with open_db(db_path) as con:
        con.execute(
            "insert into run_log values (?, 'aggregate', ?, current_timestamp, current_timestamp, null, ?)",
            [f"outputs-{year}-{uuid.uuid4().hex[:12]}", year, json.dumps({
                "outputs": [{"path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in written],
            })],
        )
    return written


def _every_period_year(awards: list[dict], years: range) -> list[dict]:
    """One row per year of the period: a year nobody submitted for has an empty count, not 0."""
    combos = {(r["sort_order"], r["hinh_thuc"], r["doi_tuong"]): None for r in awards}
    have = {(r["hinh_thuc"], r["doi_tuong"], r["nam"]): r for r in awards}
    return [
        have.get((h, d, nam), {"hinh_thuc": h, "doi_tuong": d, "nam": nam, "so_luong": None})
        for _, h, d in sorted(combos)
        for nam in years
    ]


def _rows(con, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def csv_number(value) -> str:
    """Full precision with a `.` decimal point; whole numbers without a trailing `.0`; null as empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _write_csv(path: Path, columns: tuple[tuple[str, str], ...], rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([header for header, _ in columns])
        for row in rows:
            writer.writerow([
                csv_number(row[key]) if not isinstance(row[key], str) else neutralise(row[key])
                for _, key in columns
            ])
    return path
