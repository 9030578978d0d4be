"""Write the province example: tỉnh Đồng Tháp's 2026 cycle after the 2025 reform, and its 2024 year.

Run: uv run python examples/tinh-dong-thap-2026/generate.py [OUT]   (rewrites config/units.yaml,
config/indicators.yaml and submissions/ beside this file, or under OUT; awards.yaml and
settings.yaml are hand-written)

Synthetic: names, sizes and figures are invented, with communes and wards of very different sizes.
Deterministic: one random.Random(SEED), fixed workbook dates, the submissions folder deleted first.
`plan()` is the generator's own account of what it wrote; `intended_*()` compute the province
figures from that plan (never from the files), which tests/test_example_province.py compares with
what the real cycle aggregates.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from any folder

import yaml  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from tasks.config import ascii_code  # noqa: E402
from tasks.workbook_templates import save_reproducible  # noqa: E402

SEED = 20262024
YEARS = (2024, 2026)
MERGED_ON = dt.date(2025, 7, 1)
FIXED_AT = dt.datetime(2027, 1, 5, 8, 0, 0)
SHEETS = {
    "thong_tin": ("truong", "gia_tri"),
    "chi_tieu": ("ma_chi_tieu", "gia_tri", "ghi_chu"),
    "khen_thuong": ("hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh", "ghi_chu"),
}

# 20 wards and 82 communes: the shape of a province after the reform.
N_WARDS, N_COMMUNES = 20, 82
FIRST = ("An", "Bình", "Tân", "Mỹ", "Long", "Phú", "Thanh", "Hòa", "Thạnh", "Phong", "Hưng", "Định",
         "Vĩnh", "Thường", "Tân Phú", "Mỹ Long", "Bình Thành", "An Hữu")
SECOND = ("Hiệp", "Thuận", "Lợi", "Đông", "Tây", "Thành", "Quới", "Hội", "Xuân", "Phước", "Khánh",
          "Hòa", "Trung", "Nghĩa", "Điền", "Mỹ")
# Four merged communes: (new name, predecessors' names). Their predecessors reported in 2024.
MERGERS = (
    ("Tân Hồng", ("Tân Công Chí", "Tân Thành A")),
    ("Hồng Ngự", ("Thường Phước 1", "Thường Phước 2", "Thường Thới Hậu A")),
    ("Phú Thuận", ("Phú Thuận A", "Phú Thuận B")),
    ("Long Khánh", ("Long Khánh A", "Long Khánh B")),
)
# 20 provincial departments and organisations: (code, name, kind, group).
DEPARTMENTS = (
    ("SNV", "Sở Nội vụ", "so_ban_nganh", "KHOI_NC"),
    ("STC", "Sở Tài chính", "so_ban_nganh", "KHOI_KT"),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "so_ban_nganh", "KHOI_VX"),
    ("SYT", "Sở Y tế", "so_ban_nganh", "KHOI_VX"),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "so_ban_nganh", "KHOI_VX"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", "so_ban_nganh", "KHOI_KT"),
    ("SXD", "Sở Xây dựng", "so_ban_nganh", "KHOI_KT"),
    ("SCT", "Sở Công Thương", "so_ban_nganh", "KHOI_KT"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "so_ban_nganh", "KHOI_KT"),
    ("STP", "Sở Tư pháp", "so_ban_nganh", "KHOI_NC"),
    ("TTRA", "Thanh tra tỉnh", "so_ban_nganh", "KHOI_NC"),
    ("VPUB", "Văn phòng Ủy ban nhân dân tỉnh", "so_ban_nganh", "KHOI_NC"),
    ("CAT", "Công an tỉnh", "luc_luong_vu_trang", "KHOI_NC"),
    ("BCHQS", "Bộ Chỉ huy Quân sự tỉnh", "luc_luong_vu_trang", "KHOI_NC"),
    ("MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "doan_the", "KHOI_DT"),
    ("TD", "Tỉnh đoàn", "doan_the", "KHOI_DT"),
    ("HLHPN", "Hội Liên hiệp Phụ nữ tỉnh", "doan_the", "KHOI_DT"),
    ("HND", "Hội Nông dân tỉnh", "doan_the", "KHOI_DT"),
    ("HCCB", "Hội Cựu chiến binh tỉnh", "doan_the", "KHOI_DT"),
    ("LDLD", "Liên đoàn Lao động tỉnh", "doan_the", "KHOI_DT"),
)
GROUPS = (
    *((f"CUM{n}", f"Cụm thi đua số {n} (xã, phường)") for n in range(1, 7)),
    ("KHOI_KT", "Khối thi đua các sở, ngành kinh tế"),
    ("KHOI_VX", "Khối thi đua các sở, ngành văn hóa - xã hội"),
    ("KHOI_NC", "Khối thi đua các cơ quan nội chính, tổng hợp"),
    ("KHOI_DT", "Khối thi đua Mặt trận và các đoàn thể"),
)
# The Hồng Ngự catalogue reports single figures from district offices; here the departments do.
REPORTER = {"TCKH": "STC", "GDDT": "SGDDT", "YT": "SYT", "VHTT": "SVHTTDL", "CA": "CAT", "QS": "BCHQS", "NV": "SNV"}
DEPARTMENT_FIGURES = {  # (2024, 2026)
    "tang_truong_kinh_te": (6.87, 7.42), "thu_ngan_sach": (23415600, 25318900), "thu_nhap_binh_quan": (71.3, 78.6),
    "so_truong": (1248, 1236), "so_truong_dat_chuan": (842, 901), "ty_le_tre_suy_dinh_duong": (10.4, 9.8),
    "so_co_quan": (2450, 2466), "so_co_quan_van_hoa": (2268, 2311), "so_vu_an_hinh_su": (1321, 1264),
    "so_vu_an_kham_pha": (1187, 1150), "chi_so_cchc": (89.74, 91.25), "quan_nhan_du_bi": (21480, 21930),
}
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý", "Đoàn", "Lâm", "Mai", "Tô", "Châu")
MIDDLE = ("Văn", "Thị", "Minh", "Thanh", "Hoàng", "Ngọc", "Quốc", "Thị Kim", "Hữu", "Thị Mỹ", "Công", "Đức")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Em", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hòa", "Hùng", "Hương",
         "Khang", "Lan", "Linh", "Lộc", "Mai", "Nam", "Nga", "Nhân", "Phúc", "Phương", "Quân", "Sang",
         "Tâm", "Thảo", "Thịnh", "Trang", "Trí", "Tuấn", "Uyên", "Vân", "Vinh", "Xuân", "Yến")
# How a unit may write each award: its code, or its label in awards.yaml.
LABELS = {
    "giay_khen": "Giấy khen", "lao_dong_tien_tien": "Lao động tiên tiến", "chien_si_tien_tien": "Chiến sĩ tiên tiến",
    "chien_si_thi_dua_co_so": "Chiến sĩ thi đua cơ sở",
    "bang_khen_chu_tich_tinh": "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
    "tap_the_lao_dong_xuat_sac": "Tập thể lao động xuất sắc", "co_thi_dua_tinh": "Cờ thi đua của Ủy ban nhân dân tỉnh",
    "chien_si_thi_dua_cap_tinh": "Chiến sĩ thi đua cấp tỉnh",
}


@dataclass
class Unit:
    code: str
    name: str
    kind: str
    group: str
    starts: int | dt.date = 2020
    merged_from: tuple[str, ...] = ()
    households: int = 0  # communes only


@dataclass
class Submission:
    unit: Unit
    year: int
    values: dict[str, float] = field(default_factory=dict)
    awards: list[tuple[str, str, str, str, dt.date]] = field(default_factory=list)
    form: str = "csv"


def commune_units(rng: random.Random) -> tuple[list[Unit], list[Unit]]:
    """The communes and wards of 2026 (in registry order) and the predecessors of the merged ones."""
    names = [f"{a} {b}" for a in FIRST for b in SECOND if a.split()[-1] != b]
    rng.shuffle(names)
    taken = {n for merged, old in MERGERS for n in (merged, *old)}
    names = [n for n in names if n not in taken]
    units, predecessors = [], []
    for n in range(N_WARDS + N_COMMUNES - len(MERGERS)):
        kind = "phuong" if n < N_WARDS else "xa"
        name = ("Phường " if kind == "phuong" else "Xã ") + names[n]
        # Sizes as different as real ones: wards of a city, small rural communes, a few very large.
        size = int(rng.lognormvariate(8.9 if kind == "phuong" else 8.6, 0.55))
        units.append(Unit(ascii_code(names[n]).replace("_", ""), name, kind, f"CUM{1 + n % 6}",
                          households=max(1200, min(size, 32000))))
    for n, (merged, old) in enumerate(MERGERS):
        olds = [Unit(ascii_code(o).replace("_", ""), f"Xã {o}", "xa", f"CUM{1 + n}",
                     households=int(rng.uniform(2500, 6500))) for o in old]
        predecessors += olds
        units.insert(N_WARDS + 3 * n, Unit(ascii_code(merged).replace("_", ""), f"Xã {merged}", "xa", f"CUM{1 + n}",
                                           starts=MERGED_ON, merged_from=tuple(o.code for o in olds),
                                           households=sum(o.households for o in olds)))
    return units, predecessors


def registry(rng: random.Random) -> list[Unit]:
    communes, predecessors = commune_units(rng)
    departments = [Unit(code, name, kind, group) for code, name, kind, group in DEPARTMENTS]
    return communes + predecessors + departments


def expected_in(unit: Unit, year: int, units: list[Unit]) -> bool:
    """The generator's own reading of the registry (a predecessor stops the year before its merger)."""
    if isinstance(unit.starts, dt.date) and year < unit.starts.year:
        return False
    merged_into = next((u for u in units if unit.code in u.merged_from), None)
    return merged_into is None or year < merged_into.starts.year


def commune_values(unit: Unit, rng: random.Random) -> dict[str, float]:
    """One commune's 2024 figures, from its size."""
    h = unit.households
    ward = unit.kind == "phuong"
    v = {"so_ho": h}
    v["so_ho_ngheo"] = round(h * rng.uniform(0.004, 0.02 if ward else 0.055))
    v["lao_dong_viec_lam"] = round(h * rng.uniform(0.03, 0.07))
    v["so_ho_van_hoa"] = round(h * rng.uniform(0.88, 0.97))
    v["so_ap"] = rng.randint(0, 2) if ward else max(3, round(h / rng.uniform(380, 520)))
    v["so_ap_van_hoa"] = round(v["so_ap"] * rng.uniform(0.8, 1.0))
    v["so_khom"] = max(3, round(h / rng.uniform(400, 600))) if ward else rng.randint(0, 3)
    v["so_khom_van_minh"] = round(v["so_khom"] * rng.uniform(0.75, 1.0))
    v["dat_chuan_y_te"] = 1 if rng.random() < 0.9 else 0
    v["dat_pho_cap_mam_non"] = 1 if rng.random() < 0.95 else 0
    v["dan_so"] = round(h * rng.uniform(3.3, 3.9))
    v["so_nguoi_tap_tdtt"] = round(v["dan_so"] * rng.uniform(0.3, 0.45))
    v["so_ho_tap_tdtt"] = round(h * rng.uniform(0.22, 0.35))
    v["so_san_tdtt"] = max(2, round(h / rng.uniform(250, 450)))
    v["so_nha_dai_doan_ket"] = max(1, round(v["so_ho_ngheo"] * rng.uniform(0.06, 0.15)))
    v["kinh_phi_nha_dai_doan_ket"] = v["so_nha_dai_doan_ket"] * rng.choice((50, 55, 60, 70))
    return v


# Within one unit a numerator never exceeds its denominator.
BOUNDED = (("so_ho_ngheo", "so_ho"), ("so_ho_van_hoa", "so_ho"), ("so_ap_van_hoa", "so_ap"),
           ("so_khom_van_minh", "so_khom"), ("so_nguoi_tap_tdtt", "dan_so"), ("so_ho_tap_tdtt", "so_ho"))


def commune_values_later(before: dict[str, float], rng: random.Random) -> dict[str, float]:
    """Figures two years on: each moves a little (a merged commune from its predecessors' sum)."""
    v = {k: round(x * rng.uniform(0.96, 1.07)) for k, x in before.items()}
    v["so_ho_ngheo"] = round(before["so_ho_ngheo"] * rng.uniform(0.7, 0.95))  # poverty falls
    for flag in ("dat_chuan_y_te", "dat_pho_cap_mam_non"):
        v[flag] = 1 if before[flag] >= 1 or rng.random() < 0.5 else 0
    for num, den in BOUNDED:
        v[num] = min(v[num], v[den])
    return v


def person(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        if name not in used:
            used.add(name)
            return name


def awards_of(unit: Unit, year: int, rng: random.Random) -> list[tuple[str, str, str, str, dt.date]]:
    """The year's awards of one unit; every CSTĐCS also holds the base title, at most 15% of them."""
    commune = unit.kind in ("xa", "phuong")
    armed = unit.kind == "luc_luong_vu_trang"
    staff = rng.randint(28, 60) if commune else rng.randint(40, 160) * (3 if armed else 1)
    used: set[str] = set()
    rows = []
    day = dt.date(year, 12, rng.randint(5, 20))
    so = f"{rng.randint(100, 900)}/QĐ-UBND"
    collectives = ([f"Ấp {n}" for n in range(1, 16)] + [f"Khóm {n}" for n in range(1, 12)]) if commune else \
        [f"Phòng {n}" for n in range(1, 13)] + [f"Đội {n}" for n in range(1, 9)]
    gk_collective = rng.randint(2, 10 if commune else 8)
    rows += [("giay_khen", "tap_the", c, so, day) for c in rng.sample(collectives, gk_collective)]
    rows += [("giay_khen", "ca_nhan", person(rng, used), so, day)
             for _ in range(round(unit.households / rng.uniform(350, 700)) if commune else rng.randint(8, 30))]
    base_title = "chien_si_tien_tien" if armed else "lao_dong_tien_tien"
    holders = [person(rng, used) for _ in range(round(staff * rng.uniform(0.7, 0.9)))]
    rows += [(base_title, "ca_nhan", h, so, day) for h in holders]
    rows += [(base_title, "tap_the", c, so, day) for c in rng.sample(collectives, rng.randint(1, 4))]
    cstdcs = rng.sample(holders, rng.randint(1, max(1, int(0.15 * len(holders)))))
    late = dt.date(year, 12, rng.randint(21, 30))
    rows += [("chien_si_thi_dua_co_so", "ca_nhan", h, f"{rng.randint(100, 900)}/QĐ-UBND", late) for h in cstdcs]
    # Provincial titles, conferred by the province's chairman, reported by the units that received them.
    province_so = f"{rng.randint(1000, 3000)}/QĐ-UBND"
    rows += [("bang_khen_chu_tich_tinh", "tap_the", c, province_so, late)
             for c in rng.sample(collectives, rng.randint(0, 2))]
    rows += [("bang_khen_chu_tich_tinh", "ca_nhan", h, province_so, late) for h in rng.sample(holders, rng.randint(0, 3))]
    if rng.random() < 0.3:
        rows.append(("tap_the_lao_dong_xuat_sac", "tap_the", rng.choice(collectives), province_so, late))
    if rng.random() < 0.12:
        rows.append(("co_thi_dua_tinh", "tap_the", unit.name, province_so, late))
    if len(cstdcs) >= 3 and rng.random() < 0.4:
        rows.append(("chien_si_thi_dua_cap_tinh", "ca_nhan", cstdcs[0], province_so, late))
    return rows


def plan() -> tuple[list[Unit], dict[tuple[int, str], Submission]]:
    """Every unit of the registry and every submission with its figures and awards (what is written)."""
    rng = random.Random(SEED)
    units = registry(rng)
    subs: dict[tuple[int, str], Submission] = {}
    for year in YEARS:
        for unit in units:
            if not expected_in(unit, year, units):
                continue
            sub = Submission(unit, year)
            if unit.kind in ("xa", "phuong") and year == 2024:
                sub.values = commune_values(unit, rng)
            elif unit.kind in ("xa", "phuong"):
                parts = [subs[(2024, c)].values for c in unit.merged_from] or [subs[(2024, unit.code)].values]
                sub.values = commune_values_later({k: sum(p[k] for p in parts) for k in parts[0]}, rng)
            for key, (first, last) in DEPARTMENT_FIGURES.items():
                if REPORTER[INDICATOR_REPORTER[key]] == unit.code:
                    sub.values[key] = first if year == 2024 else last
            sub.awards = awards_of(unit, year, rng)
            # Departments send workbooks; about one commune in six too; the rest CSV folders.
            sub.form = "xlsx" if unit.kind not in ("xa", "phuong") or rng.random() < 0.17 else "csv"
            subs[(year, unit.code)] = sub
    return units, subs


def _catalogue() -> list[dict]:
    return yaml.safe_load((ROOT / "config" / "indicators.yaml").read_text(encoding="utf-8"))["indicators"]


INDICATOR_REPORTER = {i["code"]: i["reported_by"] for i in _catalogue() if i.get("reported_by") not in (None, "communes")}


# ---------------------------------------------------------------------------------------------
# What the cycle must find: computed from plan(), never from the written files.


def intended_indicators(year: int) -> dict[str, float]:
    """The province value of every catalogue indicator for a year, every unit accepted."""
    _, subs = plan()
    rows = [s for (y, _), s in subs.items() if y == year]
    out: dict[str, float] = {}
    for ind in _catalogue():
        code = ind["code"]
        values = [s.values[code] for s in rows if code in s.values]
        if ind["aggregation"] == "ratio":
            num = sum(s.values[ind["numerator"]] for s in rows if ind["numerator"] in s.values)
            den = sum(s.values[ind["denominator"]] for s in rows if ind["denominator"] in s.values)
            out[code] = 100 * num / den
        elif ind["aggregation"] == "count_true":
            out[code] = sum(1 for v in values if v == 1)
        else:
            out[code] = sum(values)
    return out


def intended_award_table(year: int) -> dict[tuple[str, str], int]:
    _, subs = plan()
    counts: dict[tuple[str, str], int] = {}
    for (y, _), sub in subs.items():
        if y == year:
            for hinh_thuc, doi_tuong, *_ in sub.awards:
                counts[(hinh_thuc, doi_tuong)] = counts.get((hinh_thuc, doi_tuong), 0) + 1
    return counts


def intended_predecessor_sums() -> dict[str, dict[str, float]]:
    """Per merged commune: its predecessors' 2024 values summed, per summable indicator."""
    units, subs = plan()
    summable = {i["code"] for i in _catalogue() if i.get("value_type") in ("count", "amount")
                and i.get("reported_by") == "communes"}
    return {u.code: {k: sum(subs[(2024, c)].values[k] for c in u.merged_from) for k in summable}
            for u in units if u.merged_from}


# ---------------------------------------------------------------------------------------------
# Writing


def write_config(units: list[Unit], config_dir: Path) -> None:
    lines = [
        "# Tỉnh Đồng Tháp (synthetic example), the 2026 cycle after the 2025 reform.",
        "# Written by examples/tinh-dong-thap-2026/generate.py; edit the generator, not this file.",
        "district:",
        "  level: tinh",
        "  name: tỉnh Đồng Tháp",
        "  province: Đồng Tháp",
        "  place_name: Đồng Tháp",
        "  signer_title: CHỦ TỊCH",
        "  signer_name: Nguyễn Văn A",
        "groups:",
        *(f"  - {{code: {c}, name: \"{n}\"}}" for c, n in GROUPS),
        "units:",
    ]
    for u in units:
        extra = f", merged_from: [{', '.join(u.merged_from)}]" if u.merged_from else ""
        starts = u.starts.isoformat() if isinstance(u.starts, dt.date) else u.starts
        lines.append(f"  - {{code: {u.code}, name: \"{u.name}\", kind: {u.kind}, group: {u.group}, "
                     f"from: {starts}{extra}}}")
    (config_dir / "units.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = (ROOT / "config" / "indicators.yaml").read_text(encoding="utf-8")
    for old, new in REPORTER.items():
        text = text.replace(f"reported_by: {old},", f"reported_by: {new},")
    text = text.replace("# Indicator catalogue.", "# Indicator catalogue of the province example (the shipped one, reported by\n"
                        "# the provincial departments; written by generate.py).", 1)
    (config_dir / "indicators.yaml").write_text(text, encoding="utf-8")


def vi_number(value: float, decimals: int) -> str:
    """Vietnamese usage: "." groups thousands, "," marks decimals."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def sheet_rows(sub: Submission, rng: random.Random) -> dict[str, list[list]]:
    as_text = sub.form == "csv" or rng.random() < 0.5
    decimals = {i["code"]: i["decimals"] for i in _catalogue()}
    values = [[code, vi_number(v, decimals[code]) if as_text else v, None] for code, v in sub.values.items()]
    awards = [[LABELS[h] if rng.random() < 0.6 else h, "Cá nhân" if d == "ca_nhan" else "Tập thể", name, so,
               day.strftime("%d/%m/%Y") if as_text else day, None] for h, d, name, so, day in sub.awards]
    return {
        "thong_tin": [["ma_don_vi", sub.unit.code], ["ten_don_vi", sub.unit.name], ["nam", sub.year],
                      ["nguoi_lap", "Bộ phận thi đua, khen thưởng"], ["ngay_lap", f"15/12/{sub.year}"]],
        "chi_tieu": values,
        "khen_thuong": awards,
    }


def write_submission(sub: Submission, rows: dict[str, list[list]], out: Path) -> None:
    year_dir = out / str(sub.year)
    if sub.form == "xlsx":
        book = Workbook()
        book.remove(book.active)
        for sheet, columns in SHEETS.items():
            ws = book.create_sheet(sheet)
            ws.append(list(columns))
            for row in rows[sheet]:
                ws.append(row)
        year_dir.mkdir(parents=True, exist_ok=True)
        save_reproducible(book, year_dir / f"{sub.unit.code}.xlsx", FIXED_AT)
        return
    folder = year_dir / sub.unit.code
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, columns in SHEETS.items():
        with (folder / f"{sheet}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows([["" if c is None else c for c in row] for row in rows[sheet]])


def main(out: Path = HERE) -> None:
    """Write config/units.yaml, config/indicators.yaml and submissions/ under `out`."""
    units, subs = plan()
    (out / "config").mkdir(parents=True, exist_ok=True)
    write_config(units, out / "config")
    shutil.rmtree(out / "submissions", ignore_errors=True)
    rng = random.Random(SEED + 1)
    for sub in subs.values():
        write_submission(sub, sheet_rows(sub, rng), out / "submissions")
    print(f"{len(units)} units, {len(subs)} submissions -> {out / 'submissions'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE)
