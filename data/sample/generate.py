"""Write the Hồng Ngự sample submissions 2016–2020, built so the district figures equal the seed report.

Run: python data/sample/generate.py [--out DIR]   (default: data/sample/submissions)

Deterministic: one random.Random(SEED), fixed workbook properties and zip timestamps, and the
output folder is deleted first, so a rerun rewrites the same files. data/sample/README.md lists
the figures the sample reproduces and how each is built.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import random
import shutil
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script from any folder

from openpyxl import Workbook  # noqa: E402

from tasks.config import Config, Unit, load_config  # noqa: E402
from tasks.workbook_templates import save_reproducible  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "submissions"
YEARS = (2016, 2017, 2018, 2019, 2020)
SEED = 20152020
FIXED_AT = dt.datetime(2021, 1, 8, 8, 0, 0)
SHEETS = {
    "thong_tin": ("truong", "gia_tri"),
    "chi_tieu": ("ma_chi_tieu", "gia_tri", "ghi_chu"),
    "khen_thuong": ("hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh", "ghi_chu"),
    "noi_dung": ("muc", "noi_dung"),
}

# ---------------------------------------------------------------------------------------------
# Figures. Each tuple runs 2016..2020; the seed report's figures are the ones noted in README.md.
# ---------------------------------------------------------------------------------------------

# Section III of the seed: rows of khen_thuong per (hinh_thuc, doi_tuong) and year.
AWARD_TARGETS = {
    ("giay_khen", "tap_the"): (132, 174, 198, 126, 45),
    ("giay_khen", "ca_nhan"): (672, 701, 806, 862, 260),
    ("lao_dong_tien_tien", "tap_the"): (67, 71, 62, 69, 33),
    ("lao_dong_tien_tien", "ca_nhan"): (890, 983, 1093, 1198, 232),
    ("chien_si_tien_tien", "tap_the"): (15, 9, 12, 11, 10),
    ("chien_si_tien_tien", "ca_nhan"): (121, 137, 147, 142, 138),
    ("chien_si_thi_dua_co_so", "ca_nhan"): (144, 138, 212, 208, 30),
}

# District ratios (%, 2 decimals) met exactly by the communes' numerators and denominators.
RATIO_TARGETS = {
    "ty_le_ho_ngheo": ("so_ho_ngheo", "so_ho", "poverty", (9.62, 8.05, 6.41, 4.97, 3.86)),
    "ty_le_ho_van_hoa": ("so_ho_van_hoa", "so_ho", "culture", (88.61, 89.72, 90.65, 91.48, 92.34)),
    "ty_le_nguoi_tap_tdtt": ("so_nguoi_tap_tdtt", "dan_so", "sport", (25.20, 27.64, 30.11, 32.57, 35.01)),
    "ty_le_gia_dinh_tap_tdtt": ("so_ho_tap_tdtt", "so_ho", "sport", (25.00, 25.26, 25.51, 25.77, 26.01)),
}

# District sums split over the communes.
COMMUNE_SUMS = {
    "lao_dong_viec_lam": (2450, 2590, 2680, 2780, 2360),
    "so_san_tdtt": (180, 188, 196, 203, 210),
    "so_nha_dai_doan_ket": (150, 160, 165, 160, 150),  # period 785
    "kinh_phi_nha_dai_doan_ket": (4830, 5280, 5610, 5600, 5272),  # period 26.592 million VND
}
HAMLETS_CULTURAL = (30, 31, 33, 34, 35)  # of 37 hamlets: 94,59% in 2020
QUARTERS_CIVILISED = (3, 3, 4, 4, 4)  # of the town's 4 quarters: 100% from 2018
HEALTH_STANDARD = (8, 9, 9, 10, 10)  # communes meeting the national health standard
PRESCHOOL_STANDARD = (7, 8, 9, 10, 10)  # communes reaching universal preschool
# Who reaches a standard first: the town and the large communes.
STANDARD_ORDER = ("TTT", "TL", "LKA", "TP1", "LT", "LKB", "TTHA", "TP2", "PTA", "PTB")

# Indicators reported by one unit.
SINGLE_VALUES = {
    "TCKH": {
        "tang_truong_kinh_te": (6.12, 6.31, 6.47, 6.54, 5.08),
        "thu_ngan_sach": (78450, 84120, 91300, 99605, 103870),
        "thu_nhap_binh_quan": (35.2, 37.6, 40.1, 42.5, 44.3),
    },
    "GDDT": {"so_truong": (50, 49, 48, 48, 48), "so_truong_dat_chuan": (14, 16, 18, 20, 22)},
    "YT": {"ty_le_tre_suy_dinh_duong": (14.8, 14.1, 13.4, 12.7, 12.0)},
    "VHTT": {"so_co_quan": (24, 24, 23, 23, 23), "so_co_quan_van_hoa": (17, 18, 19, 20, 21)},
    "CA": {"so_vu_an_hinh_su": (26, 24, 23, 22, 20), "so_vu_an_kham_pha": (25, 23, 23, 21, 20)},
    "NV": {"chi_so_cchc": (87.88, 88.63, 89.36, 90.11, 90.87)},
    "QS": {"quan_nhan_du_bi": (712, 726, 739, 748, 756)},
}


@dataclass(frozen=True)
class Commune:
    households: int  # in 2016
    people_per_household: float
    hamlets: tuple[str, ...]
    quarters: tuple[str, ...]
    poverty: float  # relative to the district rate
    culture: float
    sport: float


# Sizes: the town is four times the smallest commune in households.
COMMUNES = {
    "TTT": Commune(5960, 3.62, ("Ấp Phú Thạnh A", "Ấp Phú Thạnh B"),
                   ("Khóm 1", "Khóm 2", "Khóm 3", "Khóm 4"), 0.55, 1.03, 1.30),
    "TP1": Commune(3080, 3.85, ("Ấp 1", "Ấp 2", "Ấp 3", "Ấp 4"), (), 1.05, 0.99, 0.95),
    "TP2": Commune(2540, 3.90, ("Ấp 1", "Ấp 2", "Ấp 3"), (), 1.20, 0.98, 0.90),
    "TL": Commune(4180, 3.78, ("Ấp 1", "Ấp 2", "Ấp 3", "Ấp 4", "Ấp 5"), (), 0.90, 1.00, 1.05),
    "TTHA": Commune(2890, 3.88, ("Ấp Thượng 1", "Ấp Thượng 2", "Ấp Trung", "Ấp Hạ"), (), 1.10, 0.99, 0.92),
    "LKA": Commune(4760, 3.80, ("Ấp Long Hòa", "Ấp Long Thạnh A", "Ấp Long Thạnh B", "Ấp Long Bình",
                                "Ấp Long Phú"), (), 0.95, 1.01, 1.05),
    "LKB": Commune(3270, 3.86, ("Ấp Long Hữu", "Ấp Long Thới A", "Ấp Long Thới B", "Ấp Long Châu"),
                   (), 1.05, 1.00, 0.95),
    "LT": Commune(3860, 3.84, ("Ấp 1", "Ấp 2", "Ấp 3", "Ấp 4"), (), 1.15, 0.98, 0.95),
    "PTA": Commune(2180, 3.92, ("Ấp Phú Lợi A", "Ấp Phú Lợi B", "Ấp Phú Hòa"), (), 1.25, 0.97, 0.85),
    "PTB": Commune(1490, 3.95, ("Ấp Phú Thọ", "Ấp Phú Thạnh", "Ấp Phú Hưng"), (), 1.35, 0.97, 0.80),
}
# Hamlets that reach the cultural standard last (one short each, in this order).
HAMLET_LAGGARDS = ("PTB", "PTA", "TP2", "LT", "TTHA", "LKB", "TP1")

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def apportion(total: int, weights: list[float], caps: list[int] | None = None) -> list[int]:
    """Whole numbers summing to total, proportional to weights (largest remainder), each ≤ its cap."""
    n = len(weights)
    caps = caps or [None] * n
    result = [0] * n
    free = [i for i in range(n) if weights[i] > 0]
    remaining = total
    while True:
        wsum = sum(weights[i] for i in free)
        shares = {i: remaining * weights[i] / wsum for i in free}
        over = [i for i in free if caps[i] is not None and shares[i] > caps[i]]
        if not over:
            break
        for i in over:
            result[i] = caps[i]
            remaining -= caps[i]
            free.remove(i)
    floors = {i: int(shares[i]) for i in free}
    left = remaining - sum(floors.values())
    for i in sorted(free, key=lambda i: (floors[i] - shares[i], i))[:left]:
        floors[i] += 1
    for i in free:
        result[i] = floors[i]
    assert sum(result) == total and all(c is None or r <= c for r, c in zip(result, caps)), (total, result)
    return result


def numerator_for(target: float, denominator: int, decimals: int = 2) -> int:
    """The whole numerator whose ratio rounds to target, safely clear of a .xx5 rounding boundary."""
    half = 0.5 * 10 ** -decimals
    base = round(target * denominator / 100)
    for n in sorted(range(base - 5, base + 6), key=lambda n: abs(n - base)):
        if abs(100 * n / denominator - target) < 0.8 * half:
            return n
    raise ValueError(f"no numerator over {denominator} gives {target}")


def vi_number(value: float, decimals: int = 0, grouped: bool = True) -> str:
    """A number as Vietnamese writes it: "2.780", "4,97", "99.605"."""
    text = f"{value:.{decimals}f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    if grouped:
        whole = f"{int(whole):,}".replace(",", ".")
    return whole + ("," + frac if frac else "")


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


# ---------------------------------------------------------------------------------------------
# The plan: what every unit submits each year
# ---------------------------------------------------------------------------------------------


@dataclass
class Award:
    hinh_thuc: str
    doi_tuong: str
    ten: str
    so_quyet_dinh: str
    ngay_quyet_dinh: dt.date
    ghi_chu: str = ""


@dataclass
class Submission:
    unit: Unit
    year: int
    form: str  # xlsx | csv
    bom: bool
    number_style: str  # number | text (xlsx); plain | grouped (csv)
    date_style: str  # iso | dmy | excel
    label_style: str  # code | label | mixed | nfd
    nguoi_lap: str
    ngay_lap: dt.date
    indicators: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    awards: list[Award] = field(default_factory=list)
    narrative: list[tuple[str, str]] = field(default_factory=list)


SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ",
            "Ngô", "Hồ", "Dương", "Đinh", "Lâm", "Châu", "Lý", "Mai", "Tô", "Cao", "Đoàn")
MALE_MIDDLE = ("Văn", "Hữu", "Minh", "Quốc", "Thanh", "Công", "Hoàng", "Tấn", "Trung")
MALE_GIVEN = ("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khang", "Khánh", "Lộc", "Long",
              "Nam", "Nghĩa", "Phong", "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Thiện",
              "Toàn", "Trí", "Tuấn", "Vinh", "Hiếu", "Hậu", "Lợi", "Nhân", "Tâm")
FEMALE_MIDDLE = ("Thị", "Ngọc", "Kim", "Thu", "Mỹ", "Thanh", "Bích", "Hồng")
FEMALE_GIVEN = ("Anh", "Cúc", "Diễm", "Dung", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Liên",
                "Linh", "Loan", "Mai", "Nga", "Ngân", "Nhung", "Oanh", "Phượng", "Quyên", "Thảo",
                "Thủy", "Trang", "Trinh", "Tuyết", "Vân", "Xuân", "Yến", "Nhi", "Hiền")
PEOPLE = [" ".join(p) for p in itertools.product(SURNAMES, MALE_MIDDLE, MALE_GIVEN)] + [
    " ".join(p) for p in itertools.product(SURNAMES, FEMALE_MIDDLE, FEMALE_GIVEN)]

COMMUNE_PLACE_BODIES = ("Ban nhân dân {p}", "Chi bộ {p}", "Chi hội Nông dân {p}", "Chi hội Phụ nữ {p}",
                        "Chi đoàn {p}", "Chi hội Cựu chiến binh {p}", "Tổ hòa giải {p}",
                        "Ban Công tác Mặt trận {p}", "{P}")
COMMUNE_BODIES = ("Công an {c}", "Ban Chỉ huy Quân sự {c}", "Trạm Y tế {c}", "Đoàn Thanh niên {c}",
                  "Hội Nông dân {c}", "Hội Liên hiệp Phụ nữ {c}", "Hội Cựu chiến binh {c}",
                  "Ủy ban MTTQ Việt Nam {c}", "Bộ phận Tiếp nhận và trả kết quả {c}",
                  "Trường Mầm non {s}", "Trường Tiểu học {s}", "Trường Trung học cơ sở {s}")
DEPARTMENT_BODIES = {
    "NV": ("Bộ phận Thi đua - Khen thưởng", "Bộ phận Tổ chức - Biên chế", "Bộ phận Cải cách hành chính",
           "Bộ phận Tôn giáo", "Bộ phận Văn thư - Lưu trữ"),
    "TCKH": ("Tổ Ngân sách", "Tổ Kế hoạch - Đầu tư", "Tổ Quản lý công sản", "Tổ Đăng ký kinh doanh"),
    "YT": ("Tổ Dược", "Tổ An toàn thực phẩm", "Tổ Dân số - Kế hoạch hóa gia đình"),
    "VHTT": ("Thư viện huyện", "Đội Thông tin lưu động", "Đài Truyền thanh huyện", "Nhà Văn hóa huyện",
             "Câu lạc bộ Đờn ca tài tử huyện"),
    "LDTBXH": ("Bộ phận Người có công", "Bộ phận Bảo trợ xã hội", "Bộ phận Lao động - Việc làm",
               "Bộ phận Trẻ em - Bình đẳng giới"),
    "GDDT": ("Tổ Giáo dục Mầm non", "Tổ Giáo dục Tiểu học", "Tổ Giáo dục Trung học cơ sở", "Tổ Khảo thí"),
    "CA": ("Đội Cảnh sát điều tra tội phạm về trật tự xã hội", "Đội Cảnh sát điều tra tội phạm về kinh tế và ma túy",
           "Đội An ninh", "Đội Cảnh sát giao thông - trật tự", "Đội Tham mưu - Tổng hợp",
           "Đội Cảnh sát quản lý hành chính về trật tự xã hội", "Đội Cảnh sát thi hành án hình sự và hỗ trợ tư pháp",
           "Đội Xây dựng phong trào bảo vệ an ninh Tổ quốc", "Đội Hậu cần",
           "Đội Cảnh sát phòng cháy, chữa cháy và cứu nạn, cứu hộ"),
    "QS": ("Ban Tham mưu", "Ban Chính trị", "Ban Hậu cần - Kỹ thuật", "Trung đội dân quân cơ động",
           "Kho vũ khí huyện"),
}
# Bodies a department or mass organisation has in each commune ({c}) or hamlet ({p}, {c}).
PER_COMMUNE_BODIES = {
    "NV": ("Bộ phận Nội vụ {c}",),
    "TCKH": ("Bộ phận Tài chính - Kế toán {c}",),
    "YT": ("Trạm Y tế {c}",),
    "VHTT": ("Câu lạc bộ Văn nghệ {c}", "Đội bóng chuyền {c}"),
    "LDTBXH": ("Ban Giảm nghèo {c}",),
    "CA": ("Công an {c}",),
    "QS": ("Ban Chỉ huy Quân sự {c}", "Tiểu đội dân quân thường trực {c}"),
    "MTTQ": ("Ủy ban MTTQ Việt Nam {c}", "Ban Công tác Mặt trận {p}, {c}"),
    "HD": ("Đoàn Thanh niên {c}", "Chi đoàn {p}, {c}"),
    "PN": ("Hội Liên hiệp Phụ nữ {c}", "Chi hội Phụ nữ {p}, {c}"),
    "ND": ("Hội Nông dân {c}", "Chi hội Nông dân {p}, {c}"),
    "CCB": ("Hội Cựu chiến binh {c}", "Chi hội Cựu chiến binh {p}, {c}"),
    "LDLD": ("Công đoàn cơ sở {c}",),
}
# Suffix of the giấy khen decisions each unit issues (the district UBND for most).
ISSUER = {"CA": "QĐ-CAH", "QS": "QĐ-BCHQS", "MTTQ": "QĐ-MTTQ", "HD": "QĐ-ĐTN", "PN": "QĐ-HLHPN",
          "ND": "QĐ-HND", "CCB": "QĐ-CCB", "LDLD": "QĐ-LĐLĐ"}
# Notes a clerk writes beside a giấy khen decision, by the decision's month.
GK_NOTES = {m: ("", "", "Khen thưởng đột xuất", "Khen thưởng theo chuyên đề") for m in range(1, 12)}
GK_NOTES.update({6: ("", "Sơ kết 6 tháng đầu năm {y}"), 7: ("", "Sơ kết 6 tháng đầu năm {y}"),
                 12: ("", "Tổng kết phong trào thi đua năm {y}")})
LABELS = {
    "giay_khen": "Giấy khen", "lao_dong_tien_tien": "Lao động tiên tiến",
    "chien_si_tien_tien": "Chiến sĩ tiên tiến", "chien_si_thi_dua_co_so": "Chiến sĩ thi đua cơ sở",
    "tap_the": "Tập thể", "ca_nhan": "Cá nhân",
}


def commune_phrase(config: Config, code: str) -> str:
    return lower_first(config.unit(code).name)


def commune_short(config: Config, code: str) -> str:
    name = config.unit(code).name
    return name.split(" ", 1)[1] if name.startswith("Xã ") else name.split(" ", 2)[2]


def collective_pool(config: Config, unit: Unit) -> list[str]:
    """Every collective that can plausibly receive an award in this unit."""
    communes = [u.code for u in config.units if u.is_commune]
    pool: list[str] = []
    if unit.is_commune:
        commune = COMMUNES[unit.code]
        for place in commune.hamlets + commune.quarters:
            pool += [t.format(p=lower_first(place), P=place) for t in COMMUNE_PLACE_BODIES]
        pool += [t.format(c=commune_phrase(config, unit.code), s=commune_short(config, unit.code))
                 for t in COMMUNE_BODIES]
        if unit.kind == "thi_tran":
            pool += [f"Tổ dân phố {n}" for n in range(1, 13)]
    else:
        pool += list(DEPARTMENT_BODIES.get(unit.code, ()))
        if unit.code == "GDDT":
            for code in communes:
                s = commune_short(config, code)
                pool += [f"Trường Mầm non {s}", f"Trường Tiểu học {s} 1", f"Trường Tiểu học {s} 2",
                         f"Trường Trung học cơ sở {s}"]
        for template in PER_COMMUNE_BODIES.get(unit.code, ()):
            for code in communes:
                c = commune_phrase(config, code)
                places = COMMUNES[code].hamlets + COMMUNES[code].quarters if "{p}" in template else ("",)
                pool += [template.format(c=c, p=lower_first(p)) for p in places]
        if unit.code == "LDLD":
            pool += [f"Công đoàn cơ sở {u.name}" for u in config.units if u.kind == "phong_ban"]
    assert len(pool) == len(set(pool)), unit.code
    return pool


def award_weight(config: Config, unit: Unit, hinh_thuc: str, doi_tuong: str) -> float:
    """How large a share of a title a unit receives: communes by size, the education office for teachers."""
    armed = unit.kind == "luc_luong_vu_trang"
    if hinh_thuc == "chien_si_tien_tien":
        return {"CA": 0.55, "QS": 0.45}.get(unit.code, 0.0)
    if hinh_thuc == "lao_dong_tien_tien" and armed:
        return 0.0  # the armed forces' counterpart is chiến sĩ tiên tiến
    if unit.is_commune:
        return 3.0 * COMMUNES[unit.code].households / 3000
    if unit.code == "GDDT":
        return 9.0 if doi_tuong == "ca_nhan" else 6.0
    return {"YT": 2.0, "VHTT": 1.2, "LDTBXH": 1.2, "MTTQ": 1.2, "CA": 1.5, "QS": 1.5}.get(unit.code, 1.0)


def plan_award_counts(config: Config, rng: random.Random) -> dict[tuple[int, str], dict[tuple[str, str], int]]:
    units = list(config.units)
    counts = {(y, u.code): {} for y in YEARS for u in units}
    for index, year in enumerate(YEARS):
        for key, targets in AWARD_TARGETS.items():
            if key[0] == "chien_si_thi_dua_co_so":
                continue
            weights = [award_weight(config, u, *key) * rng.uniform(0.85, 1.15) for u in units]
            caps = [len(collective_pool(config, u)) for u in units] if key[1] == "tap_the" else None
            for unit, n in zip(units, apportion(targets[index], weights, caps)):
                counts[(year, unit.code)][key] = n
        # Chiến sĩ thi đua cơ sở goes to holders of the prerequisite title. From 2017 a cap of 15% of
        # those holders applies (Nghị định 91/2017); the seed's own totals exceed it in 2018 and 2019,
        # so each unit gets at most its cap and the excess goes to the education office alone.
        target = AWARD_TARGETS[("chien_si_thi_dua_co_so", "ca_nhan")][index]
        base = [counts[(year, u.code)].get(("lao_dong_tien_tien", "ca_nhan"), 0)
                + counts[(year, u.code)].get(("chien_si_tien_tien", "ca_nhan"), 0) for u in units]
        caps = [int(0.15 * b) for b in base] if year >= 2017 else list(base)
        if target <= sum(caps):
            cstdcs = apportion(target, [float(b) for b in base], caps)
        else:
            cstdcs = list(caps)
            gddt = [u.code for u in units].index("GDDT")
            cstdcs[gddt] += target - sum(caps)
            assert cstdcs[gddt] <= base[gddt]
        for unit, n in zip(units, cstdcs):
            counts[(year, unit.code)][("chien_si_thi_dua_co_so", "ca_nhan")] = n
    return counts


def december(rng: random.Random, year: int, first: int = 5, last: int = 28) -> dt.date:
    return dt.date(year, 12, rng.randint(first, last))


def plan_awards(config: Config, sub: Submission, counts: dict[tuple[str, str], int], rng: random.Random) -> None:
    unit, year = sub.unit, sub.year
    issuer = ISSUER.get(unit.code, "QĐ-UBND")
    pool = collective_pool(config, unit)
    numbers = iter(sorted(rng.sample(range(12, 520), 8)))

    def decision(suffix: str) -> str:
        return f"{next(numbers)}/{suffix}"

    # Giấy khen: one to three decisions over the year (mid-year events and the year-end review).
    for doi_tuong in ("tap_the", "ca_nhan"):
        n = counts.get(("giay_khen", doi_tuong), 0)
        if not n:
            continue
        names = rng.sample(pool, n) if doi_tuong == "tap_the" else rng.sample(PEOPLE, n)
        parts = 1 if n < 6 else rng.choice((2, 3))
        cuts = sorted(rng.sample(range(1, n), parts - 1)) if parts > 1 else []
        months = sorted(rng.sample(range(3, 12), parts - 1)) + [12]
        for (start, stop), month in zip(itertools.pairwise([0, *cuts, n]), months):
            so = decision(issuer)
            day = dt.date(year, month, rng.randint(3, 27))
            note = rng.choice(GK_NOTES[month]).format(y=year)
            if unit.code == "GDDT" and month in (5, 6, 7, 8):
                note = f"Tổng kết năm học {year - 1}-{year}"
            for name in names[start:stop]:
                sub.awards.append(Award("giay_khen", doi_tuong, name, so, day, note))

    # Year-end titles: one decision for the emulation titles, one for chiến sĩ thi đua cơ sở.
    title_day = december(rng, year, 5, 20)
    titles_so = decision("QĐ-UBND" if unit.code not in ("CA", "QS") else issuer)
    holders: list[str] = []
    for hinh_thuc in ("lao_dong_tien_tien", "chien_si_tien_tien"):
        for doi_tuong in ("tap_the", "ca_nhan"):
            n = counts.get((hinh_thuc, doi_tuong), 0)
            if not n:
                continue
            names = rng.sample(pool, n) if doi_tuong == "tap_the" else rng.sample(PEOPLE, n)
            if doi_tuong == "ca_nhan":
                holders += names
            sub.awards += [Award(hinh_thuc, doi_tuong, name, titles_so, title_day) for name in names]
    n = counts.get(("chien_si_thi_dua_co_so", "ca_nhan"), 0)
    if n:
        so, day = decision("QĐ-UBND" if unit.code not in ("CA", "QS") else issuer), december(rng, year, 21, 30)
        sub.awards += [Award("chien_si_thi_dua_co_so", "ca_nhan", name, so, day)
                       for name in rng.sample(holders, n)]


def plan_indicators(config: Config, subs: dict[tuple[int, str], Submission], rng: random.Random) -> None:
    codes = list(COMMUNES)
    for code in codes:
        assert config.unit(code) is not None and config.unit(code).is_commune, code
    # Stable per-commune jitter keeps each commune's trend smooth from year to year.
    jitter = {code: rng.uniform(0.92, 1.08) for code in codes}
    for index, year in enumerate(YEARS):
        vals = {code: subs[(year, code)].indicators for code in codes}
        for code in codes:
            c = COMMUNES[code]
            growth = 1.009 if code == "TTT" else 1.006
            households = round(c.households * growth ** index)
            vals[code]["so_ho"] = households
            vals[code]["dan_so"] = round(households * c.people_per_household * (1 - 0.003 * index))
            vals[code]["so_ap"] = len(c.hamlets)
            vals[code]["so_khom"] = len(c.quarters)
        for numerator, denominator, factor, targets in RATIO_TARGETS.values():
            dens = [vals[code][denominator] for code in codes]
            total = numerator_for(targets[index], sum(dens))
            weights = [d * getattr(COMMUNES[code], factor) * jitter[code] for d, code in zip(dens, codes)]
            for code, n in zip(codes, apportion(total, weights, dens)):
                vals[code][numerator] = n
        laggards = set(HAMLET_LAGGARDS[: 37 - HAMLETS_CULTURAL[index]])
        for code in codes:
            vals[code]["so_ap_van_hoa"] = vals[code]["so_ap"] - (code in laggards)
            vals[code]["so_khom_van_minh"] = QUARTERS_CIVILISED[index] if COMMUNES[code].quarters else 0
            vals[code]["dat_chuan_y_te"] = int(code in STANDARD_ORDER[: HEALTH_STANDARD[index]])
            vals[code]["dat_pho_cap_mam_non"] = int(code in STANDARD_ORDER[: PRESCHOOL_STANDARD[index]])
        sizes = [COMMUNES[code].households * jitter[code] for code in codes]
        jobs = apportion(COMMUNE_SUMS["lao_dong_viec_lam"][index], [s * rng.uniform(0.95, 1.05) for s in sizes])
        grounds = apportion(COMMUNE_SUMS["so_san_tdtt"][index],
                            [(s ** 0.8) * COMMUNES[code].sport for s, code in zip(sizes, codes)])
        houses = apportion(COMMUNE_SUMS["so_nha_dai_doan_ket"][index],
                           [s * COMMUNES[code].poverty * rng.uniform(0.93, 1.07) for s, code in zip(sizes, codes)])
        cost = apportion(COMMUNE_SUMS["kinh_phi_nha_dai_doan_ket"][index],
                         [h * rng.uniform(0.96, 1.04) for h in houses])
        for code, j, g, h, k in zip(codes, jobs, grounds, houses, cost):
            vals[code].update(lao_dong_viec_lam=j, so_san_tdtt=g, so_nha_dai_doan_ket=h, kinh_phi_nha_dai_doan_ket=k)
        for unit_code, series in SINGLE_VALUES.items():
            for indicator, values in series.items():
                subs[(year, unit_code)].indicators[indicator] = values[index]
    # Keep the catalogue's order so a sheet reads like the blank template.
    order = [i.code for i in config.indicators]
    for sub in subs.values():
        sub.indicators = {k: sub.indicators[k] for k in order if k in sub.indicators}
        expected = [i.code for i in config.indicators_for(sub.unit)]
        assert list(sub.indicators) == expected, (sub.unit.code, sub.year)


# ---------------------------------------------------------------------------------------------
# Narrative, written per unit kind and section
# ---------------------------------------------------------------------------------------------

COMMUNE_TEXT = {
    "II.1": (
        "Năm {nam}, {ten} phát động phong trào “Nông dân thi đua sản xuất, kinh doanh giỏi” đến từng ấp, "
        "gắn với chuyển đổi cơ cấu cây trồng trên đất lúa. Trong năm, {loai} giải quyết việc làm cho "
        "{lao_dong} lao động, chủ yếu qua các lớp dạy nghề ngắn hạn và giới thiệu vào các công ty trong "
        "khu công nghiệp.",
        "Các hợp tác xã và tổ hợp tác trên địa bàn {ten} duy trì liên kết tiêu thụ lúa chất lượng cao "
        "với doanh nghiệp, giúp nông dân ổn định đầu ra. Năm {nam}, {loai} giới thiệu việc làm cho "
        "{lao_dong} người; cuối năm còn {ho_ngheo} hộ nghèo, chiếm {ty_le_ngheo}% số hộ.",
        "Năm {nam}, {ten} vận động nông dân đưa cơ giới hóa vào gieo sạ, thu hoạch và chuyển phần diện "
        "tích lúa kém hiệu quả sang trồng màu, nuôi thủy sản. Tổ tư vấn việc làm của {loai} kết nối "
        "{lao_dong} lao động với doanh nghiệp trong và ngoài tỉnh.",
        "Các mô hình kinh tế hộ gia đình được nhân rộng ở {ten}; nhiều hộ mạnh dạn vay vốn ưu đãi để "
        "chăn nuôi, mua bán nhỏ. Đến cuối năm {nam}, {loai} còn {ho_ngheo} hộ nghèo trên tổng số {so_ho} "
        "hộ và đã giải quyết việc làm cho {lao_dong} lao động.",
    ),
    "II.2": (
        "Cuộc vận động “Toàn dân đoàn kết xây dựng đời sống văn hóa” được các ấp hưởng ứng: năm {nam} có "
        "{ho_van_hoa} hộ đạt chuẩn gia đình văn hóa và {ap_van_hoa}/{so_ap} ấp đạt chuẩn ấp văn hóa nông "
        "thôn mới.{khom} Phong trào thể dục thể thao quần chúng thu hút {nguoi_tdtt} người tập luyện "
        "thường xuyên trên {san_tdtt} sân do người dân và mạnh thường quân cùng góp sức xây dựng.",
        "Trạm Y tế {loai} {y_te}; {mam_non}. Các trường trên địa bàn phối hợp với ban nhân dân ấp vận "
        "động trẻ trong độ tuổi ra lớp, không để học sinh bỏ học giữa chừng vì hoàn cảnh khó khăn.",
        "Các câu lạc bộ văn nghệ, đờn ca tài tử ở ấp sinh hoạt đều đặn; năm {nam} có {ho_van_hoa}/{so_ho} "
        "hộ đạt gia đình văn hóa. Cuộc vận động rèn luyện thân thể theo gương Bác Hồ được duy trì với "
        "{san_tdtt} sân tập và {ho_tdtt} gia đình tập luyện thể thao.",
    ),
    "II.3": (
        "Hưởng ứng phong trào xây dựng nông thôn mới, nhân dân {ten} hiến đất, góp ngày công nâng cấp "
        "đường giao thông và lắp đèn chiếu sáng ở các ấp. Năm {nam}, Mặt trận {loai} phối hợp các đoàn "
        "thể xây mới và sửa chữa {nha} căn nhà đại đoàn kết cho hộ nghèo, kinh phí {kinh_phi} triệu đồng.",
        "Ban chỉ đạo xây dựng nông thôn mới {loai} rà soát từng tiêu chí và phân công thành viên phụ "
        "trách từng ấp. Nhờ sự đóng góp của mạnh thường quân, {nha} căn nhà đại đoàn kết được bàn giao "
        "trong năm {nam} (kinh phí {kinh_phi} triệu đồng), giúp các hộ nghèo an tâm làm ăn.",
        "Năm {nam}, {ten} huy động nguồn lực xã hội hóa để bê tông hóa đường ấp, trồng hàng rào cây xanh "
        "và xây cầu nông thôn. Cùng với đó, {nha} căn nhà đại đoàn kết được xây mới, sửa chữa cho hộ "
        "nghèo, hộ chính sách với tổng kinh phí {kinh_phi} triệu đồng.",
    ),
    "IV.1": (
        "Phong trào thi đua ở {ten} được duy trì thường xuyên, gắn với nhiệm vụ của từng ấp; việc bình "
        "xét khen thưởng cuối năm được làm công khai tại các cuộc họp dân.",
    ),
    "IV.2": (
        "Một số ấp chưa quan tâm phát hiện, nhân rộng gương người tốt việc tốt; hồ sơ đề nghị khen "
        "thưởng có lúc gửi chậm so với thời hạn.",
    ),
}
TOWN_TEXT = {
    "II.1": (
        "Năm {nam}, thị trấn chỉnh trang khu chợ trung tâm và các tuyến phố buôn bán, khuyến khích hộ "
        "kinh doanh cá thể mở rộng quy mô. Các lớp dạy nghề ngắn hạn cùng sàn giao dịch việc làm giúp "
        "{lao_dong} lao động có việc làm mới.",
    ),
    "II.3": (
        "Thị trấn lồng ghép xây dựng nông thôn mới ở các ấp với cuộc vận động xây dựng đô thị văn minh ở "
        "các khóm: vỉa hè được giải tỏa lấn chiếm, các tuyến hẻm được bê tông hóa. Năm {nam}, {nha} căn "
        "nhà đại đoàn kết được xây mới, sửa chữa cho hộ nghèo với kinh phí {kinh_phi} triệu đồng.",
    ),
}
UNIT_TEXT = {
    ("MTTQ", "II.5"): (
        "Ban vận động “Quỹ vì người nghèo” các cấp vận động trong năm {nam} được {quy} triệu đồng từ "
        "cán bộ, công chức, doanh nghiệp và nhà hảo tâm. Từ nguồn quỹ, Mặt trận các cấp hỗ trợ xây "
        "mới, sửa chữa {nha_huyen} căn nhà đại đoàn kết, tặng quà Tết và hỗ trợ vốn sản xuất cho hộ "
        "nghèo, hộ cận nghèo.",
    ),
    ("MTTQ", "II.9"): (
        "Ủy ban MTTQ Việt Nam huyện chủ trì cuộc vận động “Người Việt Nam ưu tiên dùng hàng Việt Nam”, "
        "phối hợp tổ chức phiên chợ hàng Việt về nông thôn. Các tổ chức thành viên ký chương trình "
        "phối hợp, tập trung giám sát việc thực hiện chính sách an sinh ở cơ sở.",
        "Các tổ chức thành viên của Mặt trận lấy khu dân cư làm địa bàn hoạt động chính; ngày hội Đại "
        "đoàn kết toàn dân tộc năm {nam} được tổ chức ở tất cả các ấp, khóm.",
    ),
    ("HD", "II.9"): (
        "Huyện đoàn phát động chiến dịch Thanh niên tình nguyện hè năm {nam} với {cong_trinh} công trình "
        "thanh niên: thắp sáng đường quê, trồng cây xanh, sửa chữa cầu nông thôn. Đoàn viên các xã tham "
        "gia ngày chủ nhật xanh, thu gom rác thải dọc các tuyến kênh.",
    ),
    ("HD", "II.3"): (
        "Đoàn Thanh niên các xã, thị trấn nhận quản lý các tuyến đường “Sáng - xanh - sạch - đẹp” và tổ "
        "chức dọn vệ sinh định kỳ hằng tháng, góp phần giữ vững tiêu chí môi trường nông thôn mới.",
    ),
    ("PN", "II.9"): (
        "Hội Liên hiệp Phụ nữ huyện vận động hội viên thực hiện phong trào “Phụ nữ tích cực học tập, lao "
        "động sáng tạo, xây dựng gia đình hạnh phúc”; duy trì {to_tiet_kiem} tổ tiết kiệm xoay vòng vốn "
        "giúp chị em khó khăn có vốn chăn nuôi, mua bán nhỏ.",
    ),
    ("ND", "II.9"): (
        "Hội Nông dân huyện mở {lop} lớp tập huấn sản xuất lúa theo hướng hữu cơ, giảm phân bón và thuốc "
        "bảo vệ thực vật. Phong trào “Nông dân thi đua sản xuất, kinh doanh giỏi” năm {nam} có {ho_gioi} "
        "hộ đạt danh hiệu các cấp.",
    ),
    ("ND", "II.3"): (
        "Hội viên nông dân góp ngày công nạo vét kênh nội đồng, nâng cấp bờ bao và hiến đất mở rộng "
        "đường giao thông nông thôn ở các ấp.",
    ),
    ("CCB", "II.9"): (
        "Hội Cựu chiến binh huyện thực hiện phong trào “Cựu chiến binh gương mẫu”, giúp hội viên khó "
        "khăn vay vốn làm kinh tế; các chi hội tham gia hòa giải mâu thuẫn ở khu dân cư và giữ gìn trật "
        "tự ở địa phương.",
    ),
    ("LDLD", "II.9"): (
        "Liên đoàn Lao động huyện phát động phong trào “Lao động giỏi, lao động sáng tạo” trong công "
        "nhân, viên chức, lao động; năm {nam} có {sang_kien} sáng kiến được công nhận. Công đoàn các cấp "
        "hỗ trợ đoàn viên khó khăn về nhà ở qua chương trình “Mái ấm công đoàn”.",
    ),
    ("CA", "II.7"): (
        "Công an huyện triển khai phong trào “Toàn dân bảo vệ an ninh Tổ quốc” đến các ấp, khóm, duy trì "
        "các tổ nhân dân tự quản và tổ an ninh trật tự. Năm {nam}, trên địa bàn xảy ra {vu_an} vụ án "
        "hình sự, đã điều tra khám phá {kham_pha} vụ.",
        "Lực lượng Công an tăng cường tuần tra trên quốc lộ và các tuyến đường thủy, kiểm soát tải trọng "
        "phương tiện, góp phần kéo giảm tai nạn giao thông. Năm {nam} điều tra khám phá {kham_pha}/{vu_an} "
        "vụ án hình sự.",
    ),
    ("QS", "II.7"): (
        "Ban Chỉ huy Quân sự huyện tổ chức phong trào “Thi đua Quyết thắng”, hoàn thành chỉ tiêu giao "
        "quân năm {nam} với chất lượng tân binh bảo đảm. Dân quân tự vệ được huấn luyện đúng kế hoạch; "
        "huyện quản lý {du_bi} quân nhân dự bị động viên, sẵn sàng khi có lệnh.",
    ),
    ("NV", "I"): (
        "Phòng Nội vụ tham mưu Ủy ban nhân dân huyện ban hành kế hoạch phát động thi đua năm {nam}, hướng "
        "dẫn các cơ quan, đơn vị và xã, thị trấn đăng ký danh hiệu thi đua ngay từ đầu năm. Hội đồng Thi "
        "đua - Khen thưởng huyện kiểm tra chéo giữa các khối thi đua vào giữa năm và cuối năm.",
    ),
    ("NV", "II.6"): (
        "Cán bộ, công chức các phòng, ban đeo thẻ khi thi hành công vụ và niêm yết quy tắc ứng xử tại nơi "
        "làm việc; việc chấm điểm văn hóa công sở được làm hằng quý.",
    ),
    ("NV", "II.10"): (
        "Bộ phận một cửa của huyện tiếp tục hiện đại hóa, tiếp nhận hồ sơ qua dịch vụ công trực tuyến. "
        "Chỉ số cải cách hành chính của huyện năm {nam} đạt {cchc} điểm.",
    ),
    ("NV", "IV.1"): (
        "Các phong trào thi đua được phát động kịp thời, có chủ đề rõ; khen thưởng đã hướng nhiều hơn về "
        "người lao động trực tiếp và tập thể nhỏ ở ấp, khóm.",
    ),
    ("NV", "IV.2"): (
        "Việc sơ kết, tổng kết phong trào ở một số đơn vị còn hình thức; hồ sơ khen thưởng có nơi chưa "
        "đầy đủ minh chứng thành tích.",
    ),
    ("NV", "P2.I.1"): (
        "Giai đoạn tới, phấn đấu mỗi năm ít nhất 90% cơ quan, đơn vị và xã, thị trấn đăng ký và hoàn "
        "thành danh hiệu thi đua; khen thưởng hướng mạnh về người trực tiếp lao động, sản xuất.",
    ),
    ("NV", "P2.I.2"): (
        "Phát động các phong trào thi đua theo chuyên đề gắn với nhiệm vụ chính trị từng năm; nâng cao "
        "chất lượng bình xét, bảo đảm khen đúng người, đúng thành tích.",
    ),
    ("NV", "P2.II"): (
        "Dùng phần mềm quản lý hồ sơ thi đua, khen thưởng để theo dõi danh hiệu của từng tập thể, cá nhân "
        "qua các năm; tập huấn nghiệp vụ cho cán bộ phụ trách thi đua ở xã, thị trấn và các phòng, ban.",
    ),
    ("TCKH", "II.1"): (
        "Năm {nam}, kinh tế huyện tăng trưởng {tang_truong}%; tổng thu ngân sách nhà nước trên địa bàn đạt "
        "{thu_ngan_sach} triệu đồng; thu nhập bình quân đầu người {thu_nhap} triệu đồng/năm. Chi ngân "
        "sách được điều hành tiết kiệm, ưu tiên vốn cho công trình giao thông nông thôn.",
    ),
    ("TCKH", "II.4"): (
        "Năm {nam}, trên địa bàn huyện có thêm {doanh_nghiep} doanh nghiệp thành lập mới, chủ yếu trong "
        "thương mại, dịch vụ và chế biến nông sản. Huyện tổ chức đối thoại với doanh nghiệp để tháo gỡ "
        "vướng mắc về thủ tục đất đai và vốn vay.",
    ),
    ("GDDT", "II.2"): (
        "Ngành giáo dục thực hiện phong trào “Dạy tốt - học tốt”; đến cuối năm {nam} có {dat_chuan}/"
        "{so_truong} trường đạt chuẩn quốc gia. Các trường chú trọng bồi dưỡng học sinh giỏi, phụ đạo "
        "học sinh yếu và giữ tỷ lệ bỏ học ở mức thấp.",
    ),
    ("YT", "II.2"): (
        "Ngành y tế đẩy mạnh chăm sóc sức khỏe bà mẹ, trẻ em và tiêm chủng mở rộng; tỷ lệ trẻ em dưới 5 "
        "tuổi suy dinh dưỡng năm {nam} còn {suy_dinh_duong}%. Có {y_te_dat}/10 xã, thị trấn đạt chuẩn "
        "quốc gia về y tế.{covid}",
    ),
    ("VHTT", "II.2"): (
        "Phòng Văn hóa và Thông tin hướng dẫn bình xét gia đình văn hóa, ấp văn hóa và cơ quan đạt chuẩn "
        "văn hóa; năm {nam} có {co_quan_vh}/{so_co_quan} cơ quan, đơn vị đạt chuẩn. Hội thao và hội diễn "
        "văn nghệ quần chúng được tổ chức vào các dịp lễ, Tết.",
    ),
    ("LDTBXH", "II.2"): (
        "Phòng Lao động - Thương binh và Xã hội phối hợp các xã, thị trấn chi trả trợ cấp người có công "
        "đầy đủ, kịp thời; thăm, tặng quà gia đình chính sách nhân ngày Thương binh - Liệt sĩ 27/7.",
    ),
    ("LDTBXH", "II.5"): (
        "Kết quả rà soát cuối năm {nam}, toàn huyện còn {ho_ngheo_huyen} hộ nghèo, chiếm {ty_le_ngheo_huyen}% "
        "số hộ; các hộ nghèo được cấp thẻ bảo hiểm y tế và hỗ trợ tiền điện theo quy định.",
    ),
}
SECTIONS_BY_UNIT = {
    "MTTQ": ("II.5", "II.9"), "HD": ("II.9", "II.3"), "PN": ("II.9",), "ND": ("II.9", "II.3"),
    "CCB": ("II.9",), "LDLD": ("II.9",), "CA": ("II.7",), "QS": ("II.7",), "NV": ("I", "II.6", "II.10"),
    "TCKH": ("II.1", "II.4"), "GDDT": ("II.2",), "YT": ("II.2",), "VHTT": ("II.2",),
    "LDTBXH": ("II.2", "II.5"),
}
# Who also writes the assessment (IV) and the way forward (P2) in the period's last year.
CLOSING_SECTIONS = {"NV": ("IV.1", "IV.2", "P2.I.1", "P2.I.2", "P2.II"), "TTT": ("IV.1", "IV.2"),
                    "LKA": ("IV.2",)}


def plan_narrative(config: Config, subs: dict[tuple[int, str], Submission], rng: random.Random) -> None:
    communes = [code for code in COMMUNES]
    order = [u.code for u in config.units]
    for (year, code), sub in sorted(subs.items()):
        turn = order.index(code)
        district = [subs[(year, c)].indicators for c in communes]
        poor = sum(v["so_ho_ngheo"] for v in district)
        households = sum(v["so_ho"] for v in district)
        v = sub.indicators
        single = {k: vals[YEARS.index(year)] for series in SINGLE_VALUES.values() for k, vals in series.items()}
        context = {
            "nam": year,
            "ten": lower_first(sub.unit.name),
            "loai": "thị trấn" if sub.unit.kind == "thi_tran" else "xã",
            "quy": vi_number(rng.randint(5200, 8400)),
            "nha_huyen": COMMUNE_SUMS["so_nha_dai_doan_ket"][YEARS.index(year)],
            "cong_trinh": rng.randint(18, 35),
            "to_tiet_kiem": rng.randint(48, 66),
            "lop": rng.randint(20, 40),
            "ho_gioi": vi_number(rng.randint(1500, 2400)),
            "sang_kien": rng.randint(9, 25),
            "doanh_nghiep": rng.randint(12, 30),
            "vu_an": single["so_vu_an_hinh_su"],
            "kham_pha": single["so_vu_an_kham_pha"],
            "du_bi": single["quan_nhan_du_bi"],
            "cchc": vi_number(single["chi_so_cchc"], 2),
            "tang_truong": vi_number(single["tang_truong_kinh_te"], 2),
            "thu_ngan_sach": vi_number(single["thu_ngan_sach"]),
            "thu_nhap": vi_number(single["thu_nhap_binh_quan"], 1),
            "dat_chuan": single["so_truong_dat_chuan"],
            "so_truong": single["so_truong"],
            "suy_dinh_duong": vi_number(single["ty_le_tre_suy_dinh_duong"], 2),
            "y_te_dat": HEALTH_STANDARD[YEARS.index(year)],
            "covid": (" Khi dịch COVID-19 xuất hiện, ngành phối hợp các lực lượng tổ chức cách ly, theo dõi "
                      "sức khỏe người về từ vùng dịch, không để lây lan trong cộng đồng.") if year == 2020 else "",
            "co_quan_vh": single["so_co_quan_van_hoa"],
            "so_co_quan": single["so_co_quan"],
            "ho_ngheo_huyen": vi_number(poor),
            "ty_le_ngheo_huyen": vi_number(100 * poor / households, 2),
        }
        if sub.unit.is_commune:
            context.update(
                lao_dong=vi_number(v["lao_dong_viec_lam"]), ho_ngheo=vi_number(v["so_ho_ngheo"]),
                ty_le_ngheo=vi_number(100 * v["so_ho_ngheo"] / v["so_ho"], 2),
                ho_van_hoa=vi_number(v["so_ho_van_hoa"]), so_ho=vi_number(v["so_ho"]),
                ho_tdtt=vi_number(v["so_ho_tap_tdtt"]), ap_van_hoa=v["so_ap_van_hoa"], so_ap=v["so_ap"],
                nguoi_tdtt=vi_number(v["so_nguoi_tap_tdtt"]), san_tdtt=v["so_san_tdtt"],
                nha=v["so_nha_dai_doan_ket"], kinh_phi=vi_number(v["kinh_phi_nha_dai_doan_ket"]),
                khom=(f" Ở khu vực đô thị, {v['so_khom_van_minh']}/{v['so_khom']} khóm đạt chuẩn văn minh đô thị."
                      if v["so_khom"] else ""),
                y_te=("giữ vững chuẩn quốc gia về y tế" if v["dat_chuan_y_te"]
                      else "đang hoàn thiện các tiêu chí để đạt chuẩn quốc gia về y tế"),
                mam_non=(f"{context['loai']} duy trì chuẩn phổ cập giáo dục mầm non cho trẻ 5 tuổi"
                         if v["dat_pho_cap_mam_non"]
                         else "phổ cập giáo dục mầm non cho trẻ 5 tuổi chưa đạt chuẩn vì còn thiếu phòng học"),
            )
            sections = ["II.1", "II.2", "II.3"]
        else:
            sections = list(SECTIONS_BY_UNIT.get(code, ()))
        if year == YEARS[-1]:
            sections += CLOSING_SECTIONS.get(code, ())
        for muc in sections:
            if sub.unit.is_commune:
                variants = (TOWN_TEXT if sub.unit.kind == "thi_tran" else {}).get(muc) or COMMUNE_TEXT[muc]
            else:
                variants = UNIT_TEXT[(code, muc)]
            # Rotate the variants by year and unit so neighbours and consecutive years read differently.
            text = variants[(year + turn) % len(variants)].format(**context)
            sub.narrative.append((muc, text))
        if sub.unit.is_commune and (year + turn) % 3 == 0:
            # Some clerks put two paragraphs in one cell, separated by a line break.
            first_muc, first_text = sub.narrative[1]
            other = COMMUNE_TEXT["II.2"][(year + turn + 1) % 3].format(**context)
            sub.narrative[1] = (first_muc, first_text + "\n" + other)


def plan(config: Config) -> list[Submission]:
    rng = random.Random(SEED)
    units = list(config.units)
    subs: dict[tuple[int, str], Submission] = {}
    for year in YEARS:
        expected = [u for u in units if u.expected_in(year)]
        csv_units = set(u.code for u in rng.sample(expected, len(expected) // 3))
        for unit in expected:
            form = "csv" if unit.code in csv_units else "xlsx"
            number_styles = ("plain", "grouped") if form == "csv" else ("number", "number", "number", "text")
            date_styles = ("iso", "dmy") if form == "csv" else ("iso", "dmy", "excel", "excel")
            sub = Submission(
                unit=unit, year=year, form=form, bom=rng.random() < 0.5,
                number_style=rng.choice(number_styles), date_style=rng.choice(date_styles),
                label_style=rng.choice(("code", "code", "label", "mixed")),
                nguoi_lap=rng.choice(PEOPLE), ngay_lap=december(rng, year, 22, 31),
            )
            subs[(year, unit.code)] = sub
    # The seed prints "99.605" and "6,54": the finance office types its 2019 figures as text.
    subs[(2019, "TCKH")].number_style = "grouped" if subs[(2019, "TCKH")].form == "csv" else "text"
    # One clerk's computer stores accents decomposed (NFD), as macOS does.
    nfd = next(s for (y, _), s in sorted(subs.items()) if y == 2017 and s.form == "csv")
    nfd.label_style = "nfd"
    subs[(2020, "GDDT")].notes["so_truong"] = "Sáp nhập 2 trường tiểu học từ năm 2018"
    subs[(2020, "TTT")].notes["so_khom"] = "Thị trấn có 4 khóm"
    plan_indicators(config, subs, rng)
    counts = plan_award_counts(config, rng)
    for key, sub in sorted(subs.items()):
        plan_awards(config, sub, counts[key], rng)
    plan_narrative(config, subs, rng)
    return [subs[key] for key in sorted(subs)]


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def label(sub: Submission, code: str, index: int) -> str:
    if sub.label_style == "code":
        return code
    text = LABELS[code]
    if sub.label_style == "nfd":
        return unicodedata.normalize("NFD", text)
    if sub.label_style == "mixed":
        return (text, text.upper(), text.lower(), text.title())[index % 4]
    return text


def cell_date(sub: Submission, day: dt.date) -> object:
    if sub.date_style == "excel":
        return day
    if sub.date_style == "dmy":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return day.isoformat()


def cell_number(sub: Submission, value: float, decimals: int) -> object:
    if sub.number_style == "number":
        return int(value) if decimals == 0 else value
    return vi_number(value, decimals, grouped=sub.number_style != "plain")


def sheet_rows(config: Config, sub: Submission) -> dict[str, list[list[object]]]:
    sheets = {name: [list(columns)] for name, columns in SHEETS.items()}
    sheets["thong_tin"] += [
        ["ma_don_vi", sub.unit.code],
        ["ten_don_vi", sub.unit.name],
        ["nam", sub.year if sub.form == "xlsx" else str(sub.year)],
        ["nguoi_lap", sub.nguoi_lap],
        ["ngay_lap", cell_date(sub, sub.ngay_lap)],
    ]
    for code, value in sub.indicators.items():
        decimals = config.indicator(code).decimals
        sheets["chi_tieu"].append([code, cell_number(sub, value, decimals), sub.notes.get(code, "")])
    for index, a in enumerate(sub.awards):
        sheets["khen_thuong"].append([label(sub, a.hinh_thuc, index), label(sub, a.doi_tuong, index + 1), a.ten,
                                      a.so_quyet_dinh, cell_date(sub, a.ngay_quyet_dinh), a.ghi_chu])
    sheets["noi_dung"] += [[muc, text] for muc, text in sub.narrative]
    return sheets


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([None if v == "" else v for v in row])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "dd/mm/yyyy"
        ws.column_dimensions["A"].width = 24
        ws.column_dimensions["B"].width = 40 if name != "noi_dung" else 100
        ws.column_dimensions["C"].width = 36
    wb.properties.creator = "Hồng Ngự sample generator"
    wb.properties.lastModifiedBy = "Hồng Ngự sample generator"
    save_reproducible(wb, path, FIXED_AT)


def write_csv_folder(folder: Path, sheets: dict[str, list[list[object]]], *, bom: bool) -> None:
    folder.mkdir(parents=True)
    for name, rows in sheets.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\r\n").writerows(rows)


def generate(out: Path | str = DEFAULT_OUT, config: Config | None = None) -> list[Path]:
    """Delete `out` and write every sample submission into it; returns the paths written."""
    config = config or load_config()
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    written = []
    for sub in plan(config):
        folder = out / str(sub.year)
        folder.mkdir(parents=True, exist_ok=True)
        sheets = sheet_rows(config, sub)
        if sub.form == "xlsx":
            path = folder / f"{sub.unit.code}.xlsx"
            write_xlsx(path, sheets)
        else:
            path = folder / sub.unit.code
            write_csv_folder(path, sheets, bom=sub.bom)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the Hồng Ngự sample submissions 2016–2020.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (deleted first)")
    parser.add_argument("--config", type=Path, default=None, help="configuration folder (default: config/)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    written = generate(args.out, load_config(args.config))
    print(f"{len(written)} submissions written to {args.out} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
