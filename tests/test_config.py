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
