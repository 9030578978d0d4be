"""Synthetic submissions in the contract format, at district, province or nation scale.

    uv run python bench/generate.py --scale province --format csv --out /tmp/thidua-bench/province-csv

Writes one folder per district-like run under --out, each a complete cycle input:

    <out>/<CODE>/config/{units,indicators,settings,sections}.yaml
    <out>/<CODE>/submissions/<year>/<UNIT>.xlsx            (--format xlsx)
    <out>/<CODE>/submissions/<year>/<UNIT>/<sheet>.csv     (--format csv)

| scale    | folders | units per folder                  | submissions |
|----------|---------|-----------------------------------|-------------|
| district | 1       | 10 communes + 20 departments      | 30          |
| province | 1       | 100 communes + 20 departments     | 120         |
| nation   | 34      | 98 communes + 20 departments      | 4,012       |

Each commune reports 50 indicators (DESIGN's 16 commune codes plus 34 generated ones added to the
folder's catalogue; the fixed codes are kept) and every unit 150 award rows. Values are valid by
construction (numerators below denominators, flags 0/1, chiến sĩ thi đua cơ sở only to people
holding lao động tiên tiến, within the 15 % cap), so the benchmark measures the accepted path.
Deterministic: each file's random stream is seeded from (--seed, folder, unit), and workbooks carry
fixed timestamps, so a rerun writes byte-identical files. Files are written in parallel.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing as mp
import os
import random
import shutil
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from any folder

FIXED_AT = dt.datetime(2025, 12, 31, 8, 0, 0)
DEFAULT_YEAR = 2025
DEFAULT_SEED = 2025

# scale -> (folders, communes per folder)
SCALES = {"district": (1, 10), "province": (1, 100), "nation": (34, 98)}

SHEETS = {
    "thong_tin": ("truong", "gia_tri"),
    "chi_tieu": ("ma_chi_tieu", "gia_tri", "ghi_chu"),
    "khen_thuong": ("hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh", "ghi_chu"),
}

# DESIGN's departments (their codes carry the single-unit indicators) and six more, 20 in all.
DEPARTMENTS = (
    ("NV", "Phòng Nội vụ", "phong_ban"),
    ("TCKH", "Phòng Tài chính - Kế hoạch", "phong_ban"),
    ("GDDT", "Phòng Giáo dục và Đào tạo", "phong_ban"),
    ("YT", "Phòng Y tế", "phong_ban"),
    ("VHTT", "Phòng Văn hóa và Thông tin", "phong_ban"),
    ("LDTBXH", "Phòng Lao động - Thương binh và Xã hội", "phong_ban"),
    ("TP", "Phòng Tư pháp", "phong_ban"),
    ("TNMT", "Phòng Tài nguyên và Môi trường", "phong_ban"),
    ("KTHT", "Phòng Kinh tế - Hạ tầng", "phong_ban"),
    ("NNPTNT", "Phòng Nông nghiệp và Phát triển nông thôn", "phong_ban"),
    ("TTR", "Thanh tra", "phong_ban"),
    ("VP", "Văn phòng Hội đồng nhân dân và Ủy ban nhân dân", "phong_ban"),
    ("CA", "Công an", "luc_luong_vu_trang"),
    ("QS", "Ban Chỉ huy Quân sự", "luc_luong_vu_trang"),
    ("MTTQ", "Ủy ban MTTQ Việt Nam", "doan_the"),
    ("HD", "Đoàn Thanh niên", "doan_the"),
    ("PN", "Hội Liên hiệp Phụ nữ", "doan_the"),
    ("ND", "Hội Nông dân", "doan_the"),
    ("CCB", "Hội Cựu chiến binh", "doan_the"),
    ("LDLD", "Liên đoàn Lao động", "doan_the"),
)
EXTRA_INDICATORS = 34  # 16 commune codes of DESIGN + 34 = 50 per commune
EXTRA_NAMES = (
    "Số lớp tập huấn nghiệp vụ", "Số hộ được vay vốn ưu đãi", "Số người tham gia bảo hiểm y tế",
    "Số người tham gia bảo hiểm xã hội tự nguyện", "Số km đường giao thông nông thôn được cứng hóa",
    "Số hộ sử dụng nước sạch", "Số mô hình dân vận khéo", "Số tổ hòa giải ở cơ sở",
    "Số vụ hòa giải thành", "Số buổi tuyên truyền pháp luật", "Số đảng viên mới kết nạp",
    "Số đoàn viên mới kết nạp", "Số hội viên phụ nữ mới", "Số hội viên nông dân mới",
    "Số hộ sản xuất kinh doanh giỏi", "Số câu lạc bộ văn hóa văn nghệ", "Số thư viện, tủ sách cơ sở",
    "Số người được khám sức khỏe định kỳ", "Số trẻ em được tiêm chủng đầy đủ", "Số người cao tuổi được chúc thọ",
    "Số gia đình chính sách được thăm hỏi", "Số suất quà tặng hộ nghèo", "Số lao động được đào tạo nghề",
    "Số doanh nghiệp thành lập mới", "Số hợp tác xã hoạt động hiệu quả", "Số ha lúa áp dụng cơ giới hóa",
    "Số công trình thủy lợi được nạo vét", "Số cây xanh trồng mới", "Số tuyến đường hoa",
    "Số camera an ninh được lắp đặt", "Số tổ nhân dân tự quản", "Số vụ vi phạm hành chính được xử lý",
    "Số hồ sơ thủ tục hành chính trực tuyến", "Số ý kiến, kiến nghị được giải quyết",
)
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô",
            "Hồ", "Dương", "Đinh", "Lâm", "Châu", "Lý", "Mai", "Tô")
MIDDLE = ("Văn", "Hữu", "Minh", "Quốc", "Thanh", "Thị", "Ngọc", "Kim", "Thu", "Mỹ")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khang", "Lộc", "Long", "Nam", "Phong", "Phúc",
         "Sơn", "Tài", "Thắng", "Anh", "Cúc", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga",
         "Thảo", "Trang", "Yến")
# Award rows per unit: 150 in all; cstdcs 10 of 70 lao động tiên tiến stays under the 15 % cap.
AWARD_PLAN = (
    ("giay_khen", "tap_the", 20),
    ("giay_khen", "ca_nhan", 40),
    ("lao_dong_tien_tien", "tap_the", 10),
    ("lao_dong_tien_tien", "ca_nhan", 70),
    ("chien_si_thi_dua_co_so", "ca_nhan", 10),
)


def folder_codes(scale: str) -> list[str]:
    folders, _ = SCALES[scale]
    return ["HUYEN01"] if scale == "district" else [f"TINH{n:02d}" for n in range(1, folders + 1)]


def extra_code(n: int) -> str:
    return f"chi_tieu_bo_sung_{n:02d}"


def write_config(folder: Path, code: str, communes: int) -> list[dict]:
    """The folder's units.yaml (communes + departments) and the extended catalogue; returns the units."""
    config = folder / "config"
    config.mkdir(parents=True, exist_ok=True)
    number = code[-2:]
    units = [{"code": f"X{n:03d}", "name": f"{'Thị trấn' if n == 1 else 'Xã'} Thử Nghiệm {number}-{n:03d}",
              "kind": "thi_tran" if n == 1 else "xa"} for n in range(1, communes + 1)]
    units += [{"code": c, "name": f"{name} ({code})", "kind": kind} for c, name, kind in DEPARTMENTS]
    district = {
        "code": code, "name": f"đơn vị thử nghiệm {code}", "issuing_body": f"Ủy ban nhân dân {code}",
        "province": f"Tỉnh thử nghiệm {number}", "place_name": f"Thử Nghiệm {number}",
        "signer_title": "CHỦ TỊCH", "signer_name": "Nguyễn Văn Thử",
    }
    (config / "units.yaml").write_text(
        yaml.safe_dump({"district": district, "units": units}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    catalogue = yaml.safe_load((ROOT / "config" / "indicators.yaml").read_text(encoding="utf-8"))
    catalogue["indicators"] += [
        {"code": extra_code(n), "name": EXTRA_NAMES[n - 1], "unit": "đơn vị", "decimals": 0, "value_type": "count",
         "reported_by": "communes", "aggregation": "sum", "period": "sum"}
        for n in range(1, EXTRA_INDICATORS + 1)
    ]
    (config / "indicators.yaml").write_text(
        yaml.safe_dump(catalogue, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name in ("settings.yaml", "sections.yaml"):
        shutil.copyfile(ROOT / "config" / name, config / name)
    return units


def commune_values(rng: random.Random, is_town: bool) -> list[tuple[str, float]]:
    so_ho = rng.randint(1500, 6000)
    dan_so = int(so_ho * rng.uniform(3.5, 4.0))
    so_ap = rng.randint(3, 8)
    so_khom = rng.randint(2, 5) if is_town else 0
    values = [
        ("so_ho", so_ho), ("so_ho_ngheo", int(so_ho * rng.uniform(0.01, 0.08))),
        ("lao_dong_viec_lam", rng.randint(100, 400)), ("so_ho_van_hoa", int(so_ho * rng.uniform(0.85, 0.95))),
        ("so_ap", so_ap), ("so_ap_van_hoa", rng.randint(so_ap - 2, so_ap)), ("so_khom", so_khom),
        ("so_khom_van_minh", rng.randint(0, so_khom)), ("dat_chuan_y_te", rng.choice((0, 1, 1, 1))),
        ("dat_pho_cap_mam_non", rng.choice((0, 1, 1))), ("dan_so", dan_so),
        ("so_nguoi_tap_tdtt", int(dan_so * rng.uniform(0.25, 0.4))), ("so_ho_tap_tdtt", int(so_ho * rng.uniform(0.2, 0.3))),
        ("so_san_tdtt", rng.randint(10, 30)), ("so_nha_dai_doan_ket", rng.randint(5, 25)),
        ("kinh_phi_nha_dai_doan_ket", rng.randint(150, 900)),
    ]
    values += [(extra_code(n), rng.randint(0, 5000)) for n in range(1, EXTRA_INDICATORS + 1)]
    return values


DEPARTMENT_VALUES = {
    "TCKH": lambda r: [("tang_truong_kinh_te", round(r.uniform(4, 8), 2)), ("thu_ngan_sach", r.randint(80000, 900000)),
                       ("thu_nhap_binh_quan", round(r.uniform(35, 80), 1))],
    "GDDT": lambda r: [("so_truong", 48), ("so_truong_dat_chuan", r.randint(20, 40))],
    "YT": lambda r: [("ty_le_tre_suy_dinh_duong", round(r.uniform(5, 15), 2))],
    "VHTT": lambda r: [("so_co_quan", 23), ("so_co_quan_van_hoa", r.randint(18, 23))],
    "CA": lambda r: [("so_vu_an_hinh_su", 40), ("so_vu_an_kham_pha", r.randint(30, 40))],
    "NV": lambda r: [("chi_so_cchc", round(r.uniform(80, 95), 2))],
    "QS": lambda r: [("quan_nhan_du_bi", r.randint(500, 2000))],
}


def submission(seed: int, folder_code: str, unit: dict, year: int, fmt: str) -> dict[str, list[list[object]]]:
    """The three sheets of one unit's submission, header first."""
    rng = random.Random(f"{seed}-{folder_code}-{unit['code']}-{year}")
    if unit["kind"] in ("xa", "thi_tran"):
        values = commune_values(rng, unit["kind"] == "thi_tran")
    else:
        values = DEPARTMENT_VALUES.get(unit["code"], lambda r: [])(rng)

    def number(v):
        # A CSV carries text: decimals take the Vietnamese comma, as a clerk's file would.
        if fmt == "csv" and isinstance(v, float):
            return f"{v}".replace(".", ",")
        return v

    people = rng.sample([f"{s} {m} {g}" for s in SURNAMES for m in MIDDLE for g in GIVEN], 120)
    awards = []
    ldtt_people = people[40:110]
    for hinh_thuc, doi_tuong, n in AWARD_PLAN:
        if doi_tuong == "tap_the":
            names = [f"Tổ công tác số {i + 1} ({hinh_thuc})" for i in range(n)]
        elif hinh_thuc == "giay_khen":
            names = people[:n]
        elif hinh_thuc == "lao_dong_tien_tien":
            names = ldtt_people
        else:
            names = ldtt_people[:n]
        for name in names:
            day = dt.date(year, 12, rng.randint(1, 28))
            awards.append([hinh_thuc, doi_tuong, name, f"{rng.randint(1, 999)}/QĐ-UBND",
                           day if fmt == "xlsx" else day.strftime("%d/%m/%Y"), ""])
    return {
        "thong_tin": [["truong", "gia_tri"], ["ma_don_vi", unit["code"]], ["ten_don_vi", unit["name"]],
                      ["nam", year], ["nguoi_lap", people[-1]],
                      ["ngay_lap", dt.date(year, 12, 31) if fmt == "xlsx" else f"31/12/{year}"]],
        "chi_tieu": [list(SHEETS["chi_tieu"])] + [[code, number(v), ""] for code, v in values],
        "khen_thuong": [list(SHEETS["khen_thuong"])] + awards,
    }


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    from openpyxl import Workbook

    from tasks.workbook_templates import save_reproducible

    # write_only streams rows instead of building a cell object per value: several times faster.
    wb = Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    save_reproducible(wb, path, FIXED_AT)


def write_csv_folder(folder: Path, sheets: dict[str, list[list[object]]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)


def _write_one(job: tuple) -> int:
    seed, folder_code, unit, year, fmt, year_dir = job
    sheets = submission(seed, folder_code, unit, year, fmt)
    if fmt == "xlsx":
        write_xlsx(Path(year_dir) / f"{unit['code']}.xlsx", sheets)
    else:
        write_csv_folder(Path(year_dir) / unit["code"], sheets)
    return sum(len(rows) - 1 for name, rows in sheets.items() if name != "thong_tin")


def generate(*, scale: str, fmt: str, out: Path, year: int = DEFAULT_YEAR, seed: int = DEFAULT_SEED,
             folders: int | None = None, communes: int | None = None, processes: int | None = None) -> dict:
    """Write the folders of one scale under `out` (emptied first); `folders`/`communes` shrink it for smoke runs."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    communes = communes or SCALES[scale][1]
    jobs = []
    codes = folder_codes(scale)[:folders] if folders else folder_codes(scale)
    for code in codes:
        units = write_config(out / code, code, communes)
        year_dir = out / code / "submissions" / str(year)
        year_dir.mkdir(parents=True)
        jobs += [(seed, code, unit, year, fmt, str(year_dir)) for unit in units]
    started = time.perf_counter()
    with mp.get_context("spawn").Pool(processes or os.cpu_count()) as pool:
        rows = sum(pool.imap_unordered(_write_one, jobs, chunksize=8))
    return {"folders": len(codes), "submissions": len(jobs), "rows": rows,
            "seconds": round(time.perf_counter() - started, 2), "out": str(out)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="district")
    parser.add_argument("--format", dest="fmt", choices=("xlsx", "csv"), default="csv")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--year", type=int, default=DEFAULT_YEAR)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--folders", type=int, default=None, help="keep only the first N folders (a fraction of nation)")
    parser.add_argument("--communes", type=int, default=None, help="communes per folder instead of the scale's")
    parser.add_argument("--processes", type=int, default=None)
    args = parser.parse_args(argv)
    result = generate(scale=args.scale, fmt=args.fmt, out=args.out, year=args.year, seed=args.seed,
                      folders=args.folders, communes=args.communes, processes=args.processes)
    print(f"{result['submissions']} submissions, {result['rows']} data rows in {result['folders']} folder(s) "
          f"under {result['out']} in {result['seconds']} s")


if __name__ == "__main__":
    main()
