"""Configuration: one typed read, clear errors naming file and key, any district."""

from __future__ import annotations

import shutil

import pytest

from tasks.config import ConfigError, load_config


def test_shipped_config_has_every_unit_and_fixed_indicator():
    config = load_config()

    assert [u.code for u in config.units if u.is_commune] == [
        "TTT", "TP1", "TP2", "TL", "TTHA", "LKA", "LKB", "LT", "PTA", "PTB"]
    assert {"NV", "TCKH", "GDDT", "YT", "VHTT", "LDTBXH", "CA", "QS", "MTTQ", "HD", "PN", "ND", "CCB", "LDLD"} <= {
        u.code for u in config.units}
    fixed = """tang_truong_kinh_te thu_ngan_sach thu_nhap_binh_quan so_ho so_ho_ngheo ty_le_ho_ngheo lao_dong_viec_lam
    so_ho_van_hoa ty_le_ho_van_hoa so_ap so_ap_van_hoa ty_le_ap_van_hoa so_khom so_khom_van_minh ty_le_khom_van_minh
    dat_chuan_y_te dat_pho_cap_mam_non dan_so so_nguoi_tap_tdtt ty_le_nguoi_tap_tdtt so_ho_tap_tdtt
    ty_le_gia_dinh_tap_tdtt so_san_tdtt so_nha_dai_doan_ket kinh_phi_nha_dai_doan_ket so_truong so_truong_dat_chuan
    ty_le_tre_suy_dinh_duong so_co_quan so_co_quan_van_hoa ty_le_co_quan_van_hoa so_vu_an_hinh_su so_vu_an_kham_pha
    ty_le_kham_pha_vu_an chi_so_cchc quan_nhan_du_bi""".split()
    assert {i.code for i in config.indicators} == set(fixed)
    assert config.indicator("ty_le_kham_pha_vu_an").decimals == 1
    assert config.indicator("ty_le_ho_ngheo").aggregation == "ratio"


@pytest.mark.parametrize("file, old, new, expected", [
    ("units.yaml", "kind: xa, from: 2015}", "kind: village, from: 2015}", "units.yaml: key units[TP1].kind"),
    ("units.yaml", "  signer_name: Nguyễn Văn Khơi\n", "", "units.yaml: key district.signer_name"),
    ("indicators.yaml", "aggregation: single, period: last}", "aggregation: mean, period: last}",
     "indicators.yaml: key indicators[tang_truong_kinh_te].aggregation"),
    ("indicators.yaml", "numerator: so_ho_ngheo,", "numerator: so_ho_ngheo_x,",
     "indicators.yaml: key indicators[ty_le_ho_ngheo].numerator: unknown indicator 'so_ho_ngheo_x'"),
    ("units.yaml", "code: TP2,", "code: TP1,", "units.yaml: key units[TP1]: code appears twice"),
    ("settings.yaml", "yoy_change_threshold: 0.5", "yoy_change_threshold: [", "settings.yaml: not valid YAML"),
])
def test_malformed_config_names_file_and_key(tmp_path, file, old, new, expected):
    folder = tmp_path / "config"
    shutil.copytree(load_config().config_dir, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")

    with pytest.raises(ConfigError) as err:
        load_config(folder)

    assert expected in str(err.value)


def test_another_district_runs_from_its_own_units_file(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(load_config().config_dir, folder)
    (folder / "units.yaml").write_text("""
district: {code: TANHONG, name: huyện Tân Hồng, issuing_body: Ủy ban nhân dân huyện Tân Hồng,
           province: Đồng Tháp, place_name: Tân Hồng, signer_title: CHỦ TỊCH, signer_name: Trần Văn B}
units:
  - {code: SAGIANG, name: Thị trấn Sa Rài, kind: thi_tran}
  - {code: TCKH, name: Phòng Tài chính - Kế hoạch, kind: phong_ban}
  - {code: NV, name: Phòng Nội vụ, kind: phong_ban}
  - {code: GDDT, name: Phòng Giáo dục và Đào tạo, kind: phong_ban, to: 2024}
  - {code: YT, name: Phòng Y tế, kind: phong_ban}
  - {code: VHTT, name: Phòng Văn hóa và Thông tin, kind: phong_ban}
  - {code: CA, name: Công an huyện, kind: luc_luong_vu_trang}
  - {code: QS, name: Ban Chỉ huy Quân sự huyện, kind: luc_luong_vu_trang}
""", encoding="utf-8")

    config = load_config(folder)

    assert config.district.place_name == "Tân Hồng"
    assert [u.code for u in config.expected_units(2025)] == ["SAGIANG", "TCKH", "NV", "YT", "VHTT", "CA", "QS"]
    assert [i.code for i in config.indicators_for(config.unit("SAGIANG"))][:2] == ["so_ho", "so_ho_ngheo"]


def test_missing_config_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="configuration folder not found"):
        load_config(tmp_path / "nowhere")


CONTRACT_ONLY = """
district: {{level: {level}, name: {name}, province: Đồng Tháp, place_name: {place},
           signer_title: CHỦ TỊCH, signer_name: Trần Văn B}}
units:
{units}
"""


@pytest.mark.parametrize("level, name, place, units, issuing_body, recipients", [
    (None, "huyện Tân Hồng", "Tân Hồng", "  - {code: SARAI, name: Thị trấn Sa Rài, kind: thi_tran}",
     "Ủy ban nhân dân huyện Tân Hồng", ["Sở Nội vụ tỉnh Đồng Tháp", "Lưu: VT"]),
    ("tinh", "Đồng Tháp", "Đồng Tháp", "  - {code: SNV, name: Sở Nội vụ, kind: so_ban_nganh}\n"
     "  - {code: CAOLANH, name: Phường Cao Lãnh, kind: phuong}", "Ủy ban nhân dân tỉnh Đồng Tháp",
     ["Bộ Nội vụ", "Lưu: VT"]),
    ("xa", "xã Tân Hồng", "Tân Hồng", "  - {code: AP1, name: Ấp 1, kind: ap_khom}\n"
     "  - {code: THCS, name: Trường Trung học cơ sở Tân Hồng, kind: don_vi_su_nghiep}",
     "Ủy ban nhân dân xã Tân Hồng", ["Sở Nội vụ tỉnh Đồng Tháp", "Lưu: VT"]),
])
def test_contract_only_units_file_loads_with_derived_defaults(tmp_path, level, name, place, units, issuing_body,
                                                               recipients):
    """DESIGN names only name, province, place_name and the signer: every other field is derived."""
    folder = tmp_path / "config"
    folder.mkdir()
    text = CONTRACT_ONLY.format(level=level, name=name, place=place, units=units)
    if level is None:
        text = text.replace("level: None, ", "")
    (folder / "units.yaml").write_text(text, encoding="utf-8")
    (folder / "indicators.yaml").write_text("indicators: []\n", encoding="utf-8")

    config = load_config(folder)

    assert config.district.level == (level or "huyen")
    assert config.district.issuing_body == issuing_body
    assert config.district.recipients == recipients
    assert config.district.code and config.district.code.isascii()
    assert [a.code for a in config.awards] == [  # awards.yaml and rules.yaml fall back to the shipped ones
        "giay_khen", "lao_dong_tien_tien", "chien_si_tien_tien", "chien_si_thi_dua_co_so"]
    assert {r.code for r in config.rules} >= {"cstdcs_can_ldtt_2022"}


def test_communes_means_every_commune_level_kind(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(load_config().config_dir, folder)
    units = (folder / "units.yaml").read_text(encoding="utf-8")
    units += ("  - {code: PHUONG1, name: Phường 1, kind: phuong}\n  - {code: DK, name: Đặc khu Thổ Chu, kind: dac_khu}\n"
              "  - {code: SNV, name: Sở Nội vụ, kind: so_ban_nganh}\n")
    (folder / "units.yaml").write_text(units, encoding="utf-8")
    config = load_config(folder)
    so_ho = config.indicator("so_ho")
    assert {u.code for u in config.reporters(so_ho, 2026)} >= {"PHUONG1", "DK"}
    assert "SNV" not in {u.code for u in config.reporters(so_ho, 2026)}


MERGER = """
district: {level: tinh, name: Đồng Tháp, province: Đồng Tháp, place_name: Đồng Tháp, signer_title: CHỦ TỊCH,
           signer_name: Trần Văn B}
units:
  - {code: A, name: Xã A, kind: xa, from: 2015}
  - {code: B, name: Xã B, kind: xa, from: 2015}
  - {code: C, name: Xã C, kind: xa, from: 2025-07-01, merged_from: [A, B]}
"""


def _units(tmp_path, text):
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    (folder / "units.yaml").write_text(text, encoding="utf-8")
    (folder / "indicators.yaml").write_text("indicators: []\n", encoding="utf-8")
    return folder


def test_predecessors_stop_the_year_before_their_merger(tmp_path):
    config = load_config(_units(tmp_path, MERGER))
    assert [(u.code, u.from_year, u.to_year, u.merged_into) for u in config.units] == [
        ("A", 2015, 2024, "C"), ("B", 2015, 2024, "C"), ("C", 2025, None, None)]
    assert str(config.unit("C").merged_on) == "2025-07-01"
    assert [u.code for u in config.expected_units(2024)] == ["A", "B"]
    assert [u.code for u in config.expected_units(2025)] == ["C"]


@pytest.mark.parametrize("old, new, expected", [
    ("merged_from: [A, B]", "merged_from: [A, X]", "units[C].merged_from: 'X' is not a unit"),
    ("kind: xa, from: 2015}\n  - {code: B", "kind: xa, from: 2015, to: 2025}\n  - {code: B",
     "units[A].to: 2025 is after the merger into C"),
    ("from: 2025-07-01, ", "", "units[C]: Value error, a merged unit needs `from:`"),
    ("kind: xa, from: 2015}\n  - {code: B", "kind: xa, from: 2015, group: CUM9}\n  - {code: B",
     "units[A].group: 'CUM9' is not in `groups`"),
])
def test_malformed_merger_names_file_and_key(tmp_path, old, new, expected):
    assert old in MERGER
    with pytest.raises(ConfigError) as err:
        load_config(_units(tmp_path, MERGER.replace(old, new, 1)))
    assert expected in str(err.value)


@pytest.mark.parametrize("old, new, expected", [
    ("    enabled: false\n    needs_confirmation: true", "    enabled: true\n    needs_confirmation: true",
     "rules[cstdcs_toi_da_15_phan_tram]: Value error, a rule marked needs_confirmation ships disabled"),
    ("base_titles: [lao_dong_tien_tien, chien_si_tien_tien]", "base_titles: [lao_dong_xuat_sac]",
     "rules[cstdcs_toi_da_15_phan_tram].params: 'lao_dong_xuat_sac' is not an award code"),
    ("effective_to: 2023-12-31\n    severity: warning\n    params:\n      title: chien_si_thi_dua_co_so\n"
     "      base_titles", "effective_to: 2016-12-31\n    severity: warning\n    params:\n"
     "      title: chien_si_thi_dua_co_so\n      base_titles", "effective_to is before effective_from"),
])
def test_malformed_rule_names_file_and_key(tmp_path, old, new, expected):
    folder = tmp_path / "config"
    shutil.copytree(load_config().config_dir, folder)
    text = (folder / "rules.yaml").read_text(encoding="utf-8")
    assert old in text
    (folder / "rules.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(folder)
    assert expected in str(err.value)


def test_shipped_rules_cite_their_source_and_the_unconfirmed_one_is_off():
    config = load_config()
    assert [(r.code, r.cite_vi, str(r.effective_from), str(r.effective_to), r.enabled) for r in config.rules] == [
        ("cstdcs_can_ldtt_2003", "Điều 23 Luật Thi đua, khen thưởng năm 2003 (sửa đổi, bổ sung năm 2005, 2013)",
         "2004-07-01", "2023-12-31", True),
        ("cstdcs_can_ldtt_2022", "Điều 23 Luật Thi đua, khen thưởng năm 2022 (số 06/2022/QH15)",
         "2024-01-01", "None", True),
        ("cstdcs_toi_da_15_phan_tram", "khoản 3 Điều 9 Nghị định 91/2017/NĐ-CP", "2017-10-01", "2023-12-31", False),
    ]
    assert all(r.note for r in config.rules if r.needs_confirmation)
