"""Figures of the seed report (huyện Hồng Ngự, 2015–2020), written once for every test.

Kept apart from data/sample/generate.py on purpose: the tests check the generator against the
seed, not against itself.
"""

SEED_YEARS = (2016, 2017, 2018, 2019, 2020)

# Section III: (hinh_thuc, doi_tuong) -> number of awards in 2016..2020.
SEED_AWARDS = {
    ("giay_khen", "tap_the"): (132, 174, 198, 126, 45),
    ("giay_khen", "ca_nhan"): (672, 701, 806, 862, 260),
    ("lao_dong_tien_tien", "tap_the"): (67, 71, 62, 69, 33),
    ("lao_dong_tien_tien", "ca_nhan"): (890, 983, 1093, 1198, 232),
    ("chien_si_tien_tien", "tap_the"): (15, 9, 12, 11, 10),
    ("chien_si_tien_tien", "ca_nhan"): (121, 137, 147, 142, 138),
    ("chien_si_thi_dua_co_so", "ca_nhan"): (144, 138, 212, 208, 30),
}
