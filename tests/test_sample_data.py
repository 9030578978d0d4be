"""The shipped Hồng Ngự sample: reproducible, and built so the district figures equal the seed report."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from tasks.config import PROJECT_ROOT, load_config
from tasks.parsing import parse_date, parse_number
from tasks.readers import read_submission
from tests.seed import SEED_AWARDS

SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
SUBMISSIONS = SAMPLE_DIR / "submissions"
YEARS = (2016, 2017, 2018, 2019, 2020)
COMMUNES = ("TTT", "TP1", "TP2", "TL", "TTHA", "LKA", "LKB", "LT", "PTA", "PTB")

AWARD_CASES = [(y, h, d, counts[i]) for (h, d), counts in SEED_AWARDS.items() for i, y in enumerate(YEARS)]

# (year, what, expected): "ratio" = 100 × Σ numerator ÷ Σ denominator, rounded to the shown decimals.
SEED_FIGURES = [
    (2019, ("single", "tang_truong_kinh_te"), "6.54"),
    (2019, ("single", "thu_ngan_sach"), "99605"),
    (2019, ("single", "thu_nhap_binh_quan"), "42.5"),
    (2019, ("ratio", "so_ho_ngheo", "so_ho"), "4.97"),
    (2019, ("sum", "lao_dong_viec_lam"), "2780"),
    (2019, ("single", "chi_so_cchc"), "90.11"),
    (2016, ("ratio", "so_nguoi_tap_tdtt", "dan_so"), "25.20"),
    (2016, ("ratio", "so_ho_tap_tdtt", "so_ho"), "25.00"),
    (2016, ("single", "chi_so_cchc"), "87.88"),
    (2020, ("ratio", "so_ho_van_hoa", "so_ho"), "92.34"),
    (2020, ("ratio", "so_ap_van_hoa", "so_ap"), "94.59"),
    (2020, ("ratio", "so_khom_van_minh", "so_khom"), "100"),
    (2020, ("sum", "dat_chuan_y_te"), "10"),
    (2020, ("sum", "dat_pho_cap_mam_non"), "10"),
    (2020, ("ratio", "so_nguoi_tap_tdtt", "dan_so"), "35.01"),
    (2020, ("ratio", "so_ho_tap_tdtt", "so_ho"), "26.01"),
    (2020, ("sum", "so_san_tdtt"), "210"),
    (2020, ("sum", "so_truong_dat_chuan"), "22"),
    (2020, ("sum", "so_truong"), "48"),
    (2020, ("single", "ty_le_tre_suy_dinh_duong"), "12"),
    (2020, ("ratio", "so_co_quan_van_hoa", "so_co_quan"), "91.30"),
    (2020, ("single", "quan_nhan_du_bi"), "756"),
]
SEED_PERIOD_FIGURES = [
    (("sum", "so_nha_dai_doan_ket"), "785"),
    (("sum", "kinh_phi_nha_dai_doan_ket"), "26592"),
    (("sum", "so_vu_an_kham_pha"), "112"),
    (("sum", "so_vu_an_hinh_su"), "115"),
    (("ratio", "so_vu_an_kham_pha", "so_vu_an_hinh_su"), "97.4"),
]
# Pairs that must hold within one unit (numerator ≤ denominator).
RATIO_PAIRS = [
    ("so_ho_ngheo", "so_ho"), ("so_ho_van_hoa", "so_ho"), ("so_nguoi_tap_tdtt", "dan_so"),
    ("so_ho_tap_tdtt", "so_ho"), ("so_ap_van_hoa", "so_ap"), ("so_khom_van_minh", "so_khom"),
    ("so_truong_dat_chuan", "so_truong"), ("so_co_quan_van_hoa", "so_co_quan"),
    ("so_vu_an_kham_pha", "so_vu_an_hinh_su"),
]

_LABELS = {
    "giấy khen": "giay_khen", "lao động tiên tiến": "lao_dong_tien_tien",
    "chiến sĩ tiên tiến": "chien_si_tien_tien", "chiến sĩ thi đua cơ sở": "chien_si_thi_dua_co_so",
    "tập thể": "tap_the", "cá nhân": "ca_nhan",
}


def code_of(text: object) -> str:
    """A hinh_thuc/doi_tuong cell as its code: labels match after NFC and case folding."""
    key = unicodedata.normalize("NFC", str(text)).strip().casefold()
    return _LABELS.get(key, key)


def submission_paths(root: Path) -> list[Path]:
    return sorted(p for year in root.iterdir() if year.is_dir() for p in year.iterdir())


def records(sheet) -> list[dict]:
    header = [str(v) for v in sheet.rows[0]]
    return [dict(zip(header, row)) for row in sheet.rows[1:] if any(v not in (None, "") for v in row)]


def load(root: Path) -> dict[tuple[int, str], dict]:
    """Every submission under root, typed the way DESIGN.md reads it."""
    out = {}
    for path in submission_paths(root):
        book = read_submission(path)
        info = {r["truong"]: r["gia_tri"] for r in records(book.sheets["thong_tin"])}
        out[(int(path.parent.name), path.stem)] = {
            "path": path,
            "form": "csv" if path.is_dir() else "xlsx",
            "info": info,
            "indicators": {r["ma_chi_tieu"]: parse_number(r["gia_tri"]) for r in records(book.sheets["chi_tieu"])},
            "raw_values": [r["gia_tri"] for r in records(book.sheets["chi_tieu"])],
            "awards": [
                {**r, "hinh_thuc": code_of(r["hinh_thuc"]), "doi_tuong": code_of(r["doi_tuong"]),
                 "raw_hinh_thuc": r["hinh_thuc"], "ngay": parse_date(r["ngay_quyet_dinh"])}
                for r in records(book.sheets["khen_thuong"])
            ],
            "narrative": records(book.sheets["noi_dung"]) if "noi_dung" in book.sheets else [],
        }
    return out


@pytest.fixture(scope="module")
def sample() -> dict[tuple[int, str], dict]:
    return load(SUBMISSIONS)


def values(sample, year: int, code: str) -> list[float]:
    return [s["indicators"][code] for (y, _), s in sample.items() if y == year and code in s["indicators"]]


def figure(sample, years, what) -> float:
    kind, *codes = what
    total = {c: sum(v for y in years for v in values(sample, y, c)) for c in codes}
    if kind == "ratio":
        return 100 * total[codes[0]] / total[codes[1]]
    if kind == "single":
        (found,) = [v for y in years for v in values(sample, y, codes[0])]
        return found
    return total[codes[0]]


def decimals_of(printed: str) -> int:
    return len(printed.split(".")[1]) if "." in printed else 0


def test_regenerating_reproduces_the_committed_sample(tmp_path):
    out = tmp_path / "submissions"
    (out / "stale").mkdir(parents=True)  # the generator must clear what an earlier run left
    subprocess.run([sys.executable, str(SAMPLE_DIR / "generate.py"), "--out", str(out)], check=True,
                   capture_output=True)
    assert not (out / "stale").exists()
    committed, fresh = submission_paths(SUBMISSIONS), submission_paths(out)
    assert [p.relative_to(SUBMISSIONS) for p in committed] == [p.relative_to(out) for p in fresh]
    for old, new in zip(committed, fresh):
        old_book, new_book = read_submission(old), read_submission(new)
        assert list(old_book.sheets) == list(new_book.sheets), old
        for name in old_book.sheets:
            assert old_book.sheets[name].rows == new_book.sheets[name].rows, (old, name)


def test_every_unit_submits_every_year_in_both_forms(sample):
    units = {u.code for u in load_config().units}
    for year in YEARS:
        forms = {code: s["form"] for (y, code), s in sample.items() if y == year}
        assert set(forms) == units
        assert 4 <= Counter(forms.values())["csv"] <= 12, (year, forms)


def test_thong_tin_names_the_file_place(sample):
    for (year, code), s in sample.items():
        assert s["info"]["ma_don_vi"] == code
        assert int(parse_number(s["info"]["nam"])) == year
        assert s["info"]["nguoi_lap"] and parse_date(s["info"]["ngay_lap"]).year == year


@pytest.mark.parametrize("year, hinh_thuc, doi_tuong, expected", AWARD_CASES)
def test_award_rows_count_to_the_seed_table(sample, year, hinh_thuc, doi_tuong, expected):
    rows = [a for (y, _), s in sample.items() if y == year for a in s["awards"]
            if (a["hinh_thuc"], a["doi_tuong"]) == (hinh_thuc, doi_tuong)]
    assert len(rows) == expected


def test_every_award_row_uses_a_known_title_and_recipient_kind(sample):
    kinds = Counter((a["hinh_thuc"], a["doi_tuong"]) for s in sample.values() for a in s["awards"])
    assert set(kinds) == set(SEED_AWARDS)


@pytest.mark.parametrize("year, what, printed", SEED_FIGURES)
def test_district_figure_equals_the_seed(sample, year, what, printed):
    assert round(figure(sample, [year], what), decimals_of(printed)) == float(printed)


@pytest.mark.parametrize("what, printed", SEED_PERIOD_FIGURES)
def test_period_figure_equals_the_seed(sample, what, printed):
    assert round(figure(sample, YEARS, what), decimals_of(printed)) == float(printed)


@pytest.mark.parametrize("year, what, printed", [c for c in SEED_FIGURES if c[1][0] == "ratio"])
def test_seed_ratios_are_clear_of_a_rounding_boundary(sample, year, what, printed):
    # Half-up and half-even rounding must agree: the exact value may not sit on a .xx5 boundary.
    exact = figure(sample, [year], what)
    assert abs(exact - float(printed)) < 0.5 * 10 ** -decimals_of(printed) - 1e-6


def test_every_chien_si_thi_dua_co_so_holds_the_prerequisite_title(sample):
    checked = 0
    for (year, code), s in sample.items():
        prerequisite = "chien_si_tien_tien" if code in ("CA", "QS") else "lao_dong_tien_tien"
        holders = {a["ten"] for a in s["awards"] if (a["hinh_thuc"], a["doi_tuong"]) == (prerequisite, "ca_nhan")}
        for a in s["awards"]:
            if a["hinh_thuc"] == "chien_si_thi_dua_co_so":
                assert a["doi_tuong"] == "ca_nhan" and a["ten"] in holders, (year, code, a["ten"])
                checked += 1
    assert checked == sum(SEED_AWARDS[("chien_si_thi_dua_co_so", "ca_nhan")])


def test_no_recipient_receives_the_same_title_twice_in_a_year(sample):
    keys = Counter((y, code, a["hinh_thuc"], a["doi_tuong"], a["ten"]) for (y, code), s in sample.items()
                   for a in s["awards"])
    assert [k for k, n in keys.items() if n > 1] == []


def test_chien_si_tien_tien_goes_only_to_the_armed_forces(sample):
    units = {code for (_, code), s in sample.items() for a in s["awards"] if a["hinh_thuc"] == "chien_si_tien_tien"}
    assert units == {"CA", "QS"}


def test_award_decisions_are_dated_inside_their_year(sample):
    outside = [(y, code, a["so_quyet_dinh"]) for (y, code), s in sample.items() for a in s["awards"]
               if a["ngay"].year != y]
    assert outside == []


def test_communes_differ_in_size(sample):
    for year in YEARS:
        households = [sample[(year, c)]["indicators"]["so_ho"] for c in COMMUNES]
        assert max(households) / min(households) >= 3


def test_unit_values_pass_the_validation_rules(sample):
    config = load_config()
    problems = []
    for (year, code), s in sample.items():
        v = s["indicators"]
        expected = [i.code for i in config.indicators_for(config.unit(code))]
        if sorted(v) != sorted(expected):
            problems.append((year, code, "indicators", sorted(set(v) ^ set(expected))))
        for num, den in RATIO_PAIRS:
            if num in v and v[num] > v[den]:
                problems.append((year, code, num, v[num], den, v[den]))
        for ind_code, value in v.items():
            ind = config.indicator(ind_code)
            if value < 0 or (ind.value_type == "percent" and value > 100):
                problems.append((year, code, ind_code, value))
            if ind.value_type == "flag" and value not in (0, 1):
                problems.append((year, code, ind_code, value))
            if ind.value_type == "count" and value != int(value):
                problems.append((year, code, ind_code, value))
            previous = sample.get((year - 1, code), {}).get("indicators", {}).get(ind_code)
            if previous is not None and previous >= 10 and abs(value - previous) / previous > 0.4:
                problems.append((year, code, ind_code, previous, value, "moves more than 40%"))
    assert problems == []


def test_the_sample_uses_every_written_form_the_contract_allows(sample):
    raw_titles = {a["raw_hinh_thuc"] for s in sample.values() for a in s["awards"]}
    assert {"Giấy khen", "Lao động tiên tiến", "giay_khen"} <= raw_titles
    assert any(unicodedata.normalize("NFC", t) != t for t in raw_titles)  # decomposed accents
    assert any(t.isupper() for t in raw_titles)
    raw_values = {v for s in sample.values() for v in s["raw_values"] if isinstance(v, str)}
    assert {"99.605", "6,54"} <= raw_values
    assert any("," in v for (_, _), s in sample.items() if s["form"] == "xlsx" for v in s["raw_values"]
               if isinstance(v, str))
    dates = [a["ngay_quyet_dinh"] for s in sample.values() for a in s["awards"]]
    assert any(isinstance(d, dt.date) for d in dates)
    assert any(isinstance(d, str) and "/" in d for d in dates)
    assert any(isinstance(d, str) and "-" in d for d in dates)
    boms = [p.read_bytes()[:3] == b"\xef\xbb\xbf" for p in SUBMISSIONS.glob("*/*/thong_tin.csv")]
    assert any(boms) and not all(boms)


def test_narrative_sections_exist_and_suit_the_unit(sample):
    sections_file = PROJECT_ROOT / "config" / "sections.yaml"
    sections = {s["code"] for s in yaml.safe_load(sections_file.read_text(encoding="utf-8"))["sections"]}
    by_unit = defaultdict(set)
    for (year, code), s in sample.items():
        for r in s["narrative"]:
            assert r["muc"] in sections and len(str(r["noi_dung"])) > 80, (year, code, r)
            by_unit[code].add(r["muc"])
    assert {"II.1", "II.2", "II.3"} <= by_unit["TL"]
    assert {"II.5", "II.9"} <= by_unit["MTTQ"]
    assert "II.7" in by_unit["CA"] and "II.7" in by_unit["QS"]
    assert {"I", "II.6", "II.10", "P2.II"} <= by_unit["NV"]
