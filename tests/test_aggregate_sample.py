"""End to end from the shipped sample: the seed report's figures come out of the whole path."""

from __future__ import annotations

import csv

import pytest

from tasks.aggregate import write_outputs
from tasks.config import PROJECT_ROOT, load_config
from tests.seed import SEED_AWARDS

SAMPLE = PROJECT_ROOT / "data" / "sample" / "submissions"
YEARS = range(2016, 2021)



# The seed's figures as printed (so "25,2" is checked to one decimal, "91,30" to two).
SEED_YEAR_FIGURES = [
    (2016, "ty_le_nguoi_tap_tdtt", "25.2"),
    (2016, "ty_le_gia_dinh_tap_tdtt", "25"),
    (2016, "chi_so_cchc", "87.88"),
    (2019, "tang_truong_kinh_te", "6.54"),
    (2019, "thu_ngan_sach", "99605"),
    (2019, "thu_nhap_binh_quan", "42.5"),
    (2019, "ty_le_ho_ngheo", "4.97"),
    (2019, "lao_dong_viec_lam", "2780"),
    (2019, "chi_so_cchc", "90.11"),
    (2020, "ty_le_ho_van_hoa", "92.34"),
    (2020, "ty_le_ap_van_hoa", "94.59"),
    (2020, "ty_le_khom_van_minh", "100"),
    (2020, "dat_chuan_y_te", "10"),
    (2020, "dat_pho_cap_mam_non", "10"),
    (2020, "ty_le_nguoi_tap_tdtt", "35.01"),
    (2020, "ty_le_gia_dinh_tap_tdtt", "26.01"),
    (2020, "so_san_tdtt", "210"),
    (2020, "so_truong_dat_chuan", "22"),
    (2020, "ty_le_tre_suy_dinh_duong", "12"),
    (2020, "ty_le_co_quan_van_hoa", "91.30"),
    (2020, "quan_nhan_du_bi", "756"),
]
SEED_PERIOD_FIGURES = [
    ("so_nha_dai_doan_ket", "785"),
    ("kinh_phi_nha_dai_doan_ket", "26592"),
    ("so_vu_an_kham_pha", "112"),
    ("so_vu_an_hinh_su", "115"),
    ("ty_le_kham_pha_vu_an", "97.4"),
]


def decimals_of(printed: str) -> int:
    return len(printed.split(".")[1]) if "." in printed else 0


@pytest.fixture(scope="module")
def outputs(sample_db, tmp_path_factory):
    config = load_config()
    out_dir = tmp_path_factory.mktemp("aggregate") / "out"
    for year in (2016, 2019):
        write_outputs(config, year, 1, sample_db, out_dir)
    write_outputs(config, 2020, 5, sample_db, out_dir)
    return out_dir


def read_csv(path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_sample_award_table_equals_the_seed(outputs):
    rows = read_csv(outputs / "2020" / "award_table.csv")
    table = {(r["hinh_thuc"], r["doi_tuong"], int(r["nam"])): int(r["so_luong"]) for r in rows}
    expected = {(h, d, y): n for (h, d), counts in SEED_AWARDS.items() for y, n in zip(YEARS, counts)}
    assert table == expected


@pytest.mark.parametrize("year, code, printed", SEED_YEAR_FIGURES)
def test_sample_district_indicators_equal_the_seed(outputs, year, code, printed):
    rows = {r["ma_chi_tieu"]: r for r in read_csv(outputs / str(year) / "district_indicators.csv")}
    assert round(float(rows[code]["gia_tri"]), decimals_of(printed)) == float(printed), rows[code]


def test_sample_fractions_and_counts_show_their_denominators(outputs):
    rows = {r["ma_chi_tieu"]: r for r in read_csv(outputs / "2020" / "district_indicators.csv")}
    assert (rows["so_truong_dat_chuan"]["tu_so"], rows["so_truong_dat_chuan"]["mau_so"]) == ("22", "48")
    assert [rows[c]["so_don_vi_du_kien"] for c in ("dat_chuan_y_te", "dat_pho_cap_mam_non")] == ["10", "10"]


@pytest.mark.parametrize("code, printed", SEED_PERIOD_FIGURES)
def test_sample_period_indicators_equal_the_seed(outputs, code, printed):
    rows = {r["ma_chi_tieu"]: r for r in read_csv(outputs / "2020" / "period_indicators.csv")}
    assert (rows[code]["nam_dau"], rows[code]["nam_cuoi"]) == ("2016", "2020")
    assert round(float(rows[code]["gia_tri"]), decimals_of(printed)) == float(printed), rows[code]
