"""Validation: every planted defect is found once, at its cell, with its severity; nothing else is."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest

from factories import submission, write_xlsx
from tasks import rules
from tasks.config import PROJECT_ROOT, load_config
from tasks.db import open_db
from tasks.ingest import ingest_year
from tasks.validate import SUITES, gx_project_dir, load_suite, validate_year

CONFIG = load_config()
YEAR = 2020

# A plausible, internally consistent value per indicator: numerators below denominators, and
# percentages and small counts under yoy_min_base so that a planted defect trips one check only.
CLEAN_VALUES = {
    "tang_truong_kinh_te": "6,54", "thu_ngan_sach": "99.605", "thu_nhap_binh_quan": "42,5",
    "so_ho": 1000, "so_ho_ngheo": 50, "lao_dong_viec_lam": 250, "so_ho_van_hoa": 900,
    "so_ap": 5, "so_ap_van_hoa": 4, "so_khom": 2, "so_khom_van_minh": 2,
    "dat_chuan_y_te": 1, "dat_pho_cap_mam_non": 1, "dan_so": 4000, "so_nguoi_tap_tdtt": 1200,
    "so_ho_tap_tdtt": 300, "so_san_tdtt": 20, "so_nha_dai_doan_ket": 10, "kinh_phi_nha_dai_doan_ket": 400,
    "so_truong": 48, "so_truong_dat_chuan": 22, "ty_le_tre_suy_dinh_duong": 8,
    "so_co_quan": 46, "so_co_quan_van_hoa": 42, "so_vu_an_hinh_su": 23, "so_vu_an_kham_pha": 22,
    "chi_so_cchc": "88,5", "quan_nhan_du_bi": 756,
}
FALLBACK = {"count": 5, "amount": 5, "percent": 5, "flag": 1, "index": 5, "growth": 5}


def clean_sheets(unit_code: str, year: int) -> dict[str, list[list]]:
    """A submission that passes every check: 7 individuals with the base title, 1 CSTĐCS among them."""
    unit = CONFIG.unit(unit_code)
    values = {i.code: CLEAN_VALUES.get(i.code, FALLBACK[i.value_type]) for i in CONFIG.indicators_for(unit)}
    base_title = "Chiến sĩ tiên tiến" if unit.kind == "luc_luong_vu_trang" else "Lao động tiên tiến"
    decided = f"15/12/{year}"
    people = [f"Người {n} {unit_code}" for n in range(1, 8)]
    awards = [("Giấy khen", "Tập thể", f"Tổ 1 {unit_code}", "12/QĐ-UBND", decided)]
    awards += [(base_title, "Cá nhân", name, "13/QĐ-UBND", decided) for name in people]
    awards += [("Chiến sĩ thi đua cơ sở", "Cá nhân", people[0], "14/QĐ-UBND", decided)]
    return submission(unit_code, year, values, awards, [("II.2", f"Nội dung của {unit_code}.")])


def write_year(folder: Path, year: int) -> None:
    for unit in CONFIG.expected_units(year):
        write_xlsx(folder / str(year) / f"{unit.code}.xlsx", clean_sheets(unit.code, year))


@pytest.fixture(scope="module")
def clean_district(tmp_path_factory) -> tuple[Path, Path]:
    """Two clean years ingested (2019 is the previous accepted year), copied per test."""
    root = tmp_path_factory.mktemp("clean")
    submissions, db = root / "submissions", root / "thidua.duckdb"
    for year in (YEAR - 1, YEAR):
        write_year(submissions, year)
        ingest_year(CONFIG, submissions, year, db)
    for year in (YEAR - 1, YEAR):
        validate_year(CONFIG, year, db)  # also creates the GX projects each test copies
    return submissions, db


@pytest.fixture
def district(clean_district, tmp_path) -> tuple[Path, Path]:
    submissions, db = clean_district
    shutil.copytree(submissions, tmp_path / "submissions")
    shutil.copy(db, tmp_path / "thidua.duckdb")
    shutil.copytree(db.parent / "gx", tmp_path / "gx")
    return tmp_path / "submissions", tmp_path / "thidua.duckdb"


def resubmit(submissions: Path, db: Path, unit_code: str, change) -> None:
    sheets = copy.deepcopy(clean_sheets(unit_code, YEAR))
    change(sheets)
    write_xlsx(submissions / str(YEAR) / f"{unit_code}.xlsx", sheets)
    ingest_year(CONFIG, submissions, YEAR, db)


def findings(db: Path, year: int = YEAR) -> list[dict]:
    with open_db(db) as con:
        cur = con.execute(
            "select f.stage, f.check_code, f.severity, f.unit_code, f.sheet_name, f.row_number, f.column_name, "
            "f.cell_ref, f.observed_value, f.message_vi from finding f "
            "join submission_status s on s.nam = f.nam and s.ma_don_vi = f.unit_code "
            "where f.nam = ? and (f.file_version_id is null or f.file_version_id = s.file_version_id) "
            "order by f.unit_code, f.row_number",
            [year],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def status(db: Path, unit_code: str, year: int = YEAR) -> str:
    with open_db(db) as con:
        return con.execute(
            "select trang_thai from submission_status where ma_don_vi = ? and nam = ?", [unit_code, year]
        ).fetchone()[0]


def row_of(sheets, sheet: str, first: str) -> int:
    """Excel row number of the first row whose first cell is `first` (row 1 is the header)."""
    return next(n for n, row in enumerate(sheets[sheet], start=1) if row[0] == first)


def set_value(code, value):
    def change(sheets):
        sheets["chi_tieu"][row_of(sheets, "chi_tieu", code) - 1][1] = value
    return change


def add_row(sheet, row):
    return lambda sheets: sheets[sheet].append(list(row))


def drop_row(code):
    def change(sheets):
        del sheets["chi_tieu"][row_of(sheets, "chi_tieu", code) - 1]
    return change


def set_award(row_number, column, value):
    columns = ["hinh_thuc", "doi_tuong", "ten", "so_quyet_dinh", "ngay_quyet_dinh"]

    def change(sheets):
        sheets["khen_thuong"][row_number - 1][columns.index(column)] = value
    return change


def drop_file(submissions: Path, db: Path, unit_code: str) -> None:
    (submissions / str(YEAR) / f"{unit_code}.xlsx").unlink()
    with open_db(db) as con:  # as if the unit never sent it: nothing received this year
        for table in ("stg_indicator_value", "stg_award", "stg_narrative", "stg_submission", "raw_file_version"):
            con.execute(f"delete from {table} where unit_code = ? and nam = ?", [unit_code, YEAR])


TTT = clean_sheets("TTT", YEAR)
ROW = lambda code: row_of(TTT, "chi_tieu", code)  # noqa: E731
LAST_CHI_TIEU = len(TTT["chi_tieu"]) + 1
LAST_AWARD = len(TTT["khen_thuong"]) + 1
# khen_thuong rows: 2 giấy khen, 3–9 lao động tiên tiến (3 is also CSTĐCS), 10 chiến sĩ thi đua cơ sở.

# (case, unit, change, check_code, severity, sheet, row, column, cell, observed)
PLANTED = [
    ("unknown indicator code", "TTT", add_row("chi_tieu", ["chi_tieu_la", 3, None]),
     "chi_tieu_khong_co_trong_danh_muc", "critical", "chi_tieu", LAST_CHI_TIEU, "ma_chi_tieu", f"A{LAST_CHI_TIEU}", "chi_tieu_la"),
    ("indicator of another kind of unit", "TTT", add_row("chi_tieu", ["quan_nhan_du_bi", 3, None]),
     "chi_tieu_khong_thuoc_don_vi", "critical", "chi_tieu", LAST_CHI_TIEU, "ma_chi_tieu", f"A{LAST_CHI_TIEU}", "quan_nhan_du_bi"),
    ("same indicator twice", "TTT", add_row("chi_tieu", ["so_ho", 1000, None]),
     "chi_tieu_trung_lap", "critical", "chi_tieu", LAST_CHI_TIEU, "ma_chi_tieu", f"A{LAST_CHI_TIEU}", "so_ho"),
    ("negative count", "TTT", set_value("so_ap_van_hoa", "-4"),
     "gia_tri_am", "critical", "chi_tieu", ROW("so_ap_van_hoa"), "gia_tri", f"B{ROW('so_ap_van_hoa')}", "-4"),
    ("percentage above 100", "YT", set_value("ty_le_tre_suy_dinh_duong", 120),
     "ty_le_ngoai_0_100", "critical", "chi_tieu", 2, "gia_tri", "B2", "120"),
    ("flag neither 1 nor 0", "TTT", set_value("dat_chuan_y_te", 2),
     "co_khong_phai_0_1", "critical", "chi_tieu", ROW("dat_chuan_y_te"), "gia_tri", f"B{ROW('dat_chuan_y_te')}", "2"),
    ("count with decimals", "TTT", set_value("so_ap", "5,5"),
     "so_dem_khong_nguyen", "critical", "chi_tieu", ROW("so_ap"), "gia_tri", f"B{ROW('so_ap')}", "5,5"),
    ("numerator above denominator", "TTT", set_value("so_khom_van_minh", 3),
     "tu_so_lon_hon_mau_so", "critical", "chi_tieu", ROW("so_khom_van_minh"), "gia_tri",
     f"B{ROW('so_khom_van_minh')}", "so_khom_van_minh = 3 > so_khom = 2"),
    ("unknown award title", "TTT", set_award(2, "hinh_thuc", "Bằng khen"),
     "hinh_thuc_khong_hop_le", "critical", "khen_thuong", 2, "hinh_thuc", "A2", "Bằng khen"),
    ("unknown recipient kind", "TTT", set_award(2, "doi_tuong", "Hộ gia đình"),
     "doi_tuong_khong_hop_le", "critical", "khen_thuong", 2, "doi_tuong", "B2", "Hộ gia đình"),
    ("chiến sĩ thi đua cơ sở to a collective", "TTT",
     add_row("khen_thuong", ["Chiến sĩ thi đua cơ sở", "Tập thể", "Ấp 1", "14/QĐ-UBND", "15/12/2020"]),
     "doi_tuong_khong_duoc_nhan", "critical", "khen_thuong", LAST_AWARD, "doi_tuong", f"B{LAST_AWARD}", "Tập thể"),
    ("yearly change beyond the threshold", "TTT", set_value("so_san_tdtt", 60),
     "bien_dong_bat_thuong", "warning", "chi_tieu", ROW("so_san_tdtt"), "gia_tri", f"B{ROW('so_san_tdtt')}", "60"),
    ("expected indicator left out", "TTT", drop_row("so_san_tdtt"),
     "thieu_chi_tieu", "warning", "chi_tieu", None, "ma_chi_tieu", None, "so_san_tdtt"),
    ("same recipient twice for a title", "TTT",
     add_row("khen_thuong", ["Lao động tiên tiến", "Cá nhân", "người 2  TTT", "13/QĐ-UBND", "15/12/2020"]),
     "trung_nguoi_nhan", "warning", "khen_thuong", LAST_AWARD, "ten", f"C{LAST_AWARD}", "người 2  TTT"),
    ("decision dated outside the year", "TTT", set_award(2, "ngay_quyet_dinh", "15/01/2021"),
     "ngay_quyet_dinh_ngoai_nam", "warning", "khen_thuong", 2, "ngay_quyet_dinh", "E2", "15/01/2021"),
    ("chiến sĩ thi đua cơ sở without lao động tiên tiến", "TTT", set_award(10, "ten", "Trần Thị Z"),
     "chua_dat_danh_hieu_tien_quyet", "warning", "khen_thuong", 10, "ten", "C10", "Trần Thị Z"),
    ("chiến sĩ tiên tiến is a prerequisite only in armed-forces units", "NV",
     lambda s: [r.__setitem__(0, "Chiến sĩ tiên tiến") for r in s["khen_thuong"][2:9]],
     "chua_dat_danh_hieu_tien_quyet", "warning", "khen_thuong", 10, "ten", "C10", "Người 1 NV"),
    ("empty narrative paragraph", "TTT", add_row("noi_dung", ["II.3", None]),
     "noi_dung_trong", "warning", "noi_dung", 3, "noi_dung", "B3", None),
]


@pytest.mark.parametrize(
    "unit, change, check_code, severity, sheet, row, column, cell, observed",
    [p[1:] for p in PLANTED], ids=[p[0] for p in PLANTED],
)
def test_planted_defect_is_found_once_at_its_cell(district, unit, change, check_code, severity, sheet, row,
                                                  column, cell, observed):
    submissions, db = district
    resubmit(submissions, db, unit, change)
    summary = validate_year(CONFIG, YEAR, db)
    found = [(f["check_code"], f["severity"], f["unit_code"], f["sheet_name"], f["row_number"], f["column_name"],
              f["cell_ref"], f["observed_value"]) for f in findings(db)]
    assert found == [(check_code, severity, unit, sheet, row, column, cell, observed)]
    expected_status = "rejected" if severity == "critical" else "accepted"
    assert status(db, unit) == expected_status
    assert summary.count("rejected") == (1 if severity == "critical" else 0)


def test_clean_district_raises_no_finding(district):
    _, db = district
    summary = validate_year(CONFIG, YEAR, db)
    assert findings(db) == []
    assert summary.gx_success is True
    assert summary.count("accepted") == len(CONFIG.expected_units(YEAR))


def test_unit_without_submission_is_missing_with_a_finding(district):
    submissions, db = district
    drop_file(submissions, db, "LKB")
    summary = validate_year(CONFIG, YEAR, db)
    assert [(f["check_code"], f["severity"], f["unit_code"], f["sheet_name"], f["row_number"])
            for f in findings(db)] == [("chua_nop_bao_cao", "critical", "LKB", None, None)]
    assert status(db, "LKB") == "missing"
    assert summary.count("missing") == 1


def test_text_that_is_not_a_number_is_reported_once_by_ingest(district):
    submissions, db = district
    resubmit(submissions, db, "TTT", set_value("so_ho", "nhiều"))
    validate_year(CONFIG, YEAR, db)
    assert [(f["stage"], f["check_code"], f["cell_ref"]) for f in findings(db)] == [
        ("ingest", "gia_tri_khong_phai_so", f"B{ROW('so_ho')}")
    ]


def test_staged_value_without_a_number_is_critical(district):
    _, db = district
    with open_db(db) as con:  # a staged null with no ingest finding, e.g. from another reader
        con.execute("update stg_indicator_value set gia_tri = null where unit_code = 'TTT' and nam = ? "
                    "and indicator_code = 'dan_so'", [YEAR])
    validate_year(CONFIG, YEAR, db)
    assert [(f["check_code"], f["severity"], f["row_number"]) for f in findings(db)] == [
        ("gia_tri_trong", "critical", ROW("dan_so"))
    ]


def test_message_names_file_sheet_row_and_cell_in_vietnamese(district):
    submissions, db = district
    resubmit(submissions, db, "TTT", set_value("so_khom_van_minh", 3))
    validate_year(CONFIG, YEAR, db)
    [finding] = findings(db)
    row = ROW("so_khom_van_minh")
    assert finding["message_vi"] == (
        f"Tệp {YEAR}/TTT.xlsx, sheet chi_tieu, dòng {row}, cột gia_tri (ô B{row}): số liệu không hợp lý: "
        "so_khom_van_minh = 3 > so_khom = 2 (phần không thể lớn hơn tổng)."
    )


def test_rerun_replaces_previous_validation_findings(district):
    submissions, db = district
    resubmit(submissions, db, "TTT", set_value("so_san_tdtt", 60))
    validate_year(CONFIG, YEAR, db)
    validate_year(CONFIG, YEAR, db)
    assert len(findings(db)) == 1
    with open_db(db) as con:
        runs = con.execute("select so_canh_bao, so_loi_nghiem_trong from validation_run where nam = ? "
                           "order by finished_at desc limit 2", [YEAR]).fetchall()
    assert runs == [(1, 0), (1, 0)]


def gx_config_files(db: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of the year's GX project except its validation results: (mtime, content)."""
    project = gx_project_dir(db, YEAR) / "gx"
    return {p.relative_to(project).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(project.rglob("*"))
            if p.is_file() and not p.relative_to(project).as_posix().startswith("uncommitted/validations/")}


def gx_results(db: Path) -> list[Path]:
    return sorted((gx_project_dir(db, YEAR) / "gx" / "uncommitted" / "validations").rglob("*.json"))


def test_rerun_writes_only_its_validation_results_to_the_gx_project(district):
    _, db = district
    validate_year(CONFIG, YEAR, db)
    before, results = gx_config_files(db), len(gx_results(db))
    validate_year(CONFIG, YEAR, db)
    assert gx_config_files(db) == before
    assert len(gx_results(db)) == results + len(SUITES)


def test_gx_project_removed_between_runs_is_created_again(district):
    _, db = district
    validate_year(CONFIG, YEAR, db)
    shutil.rmtree(gx_project_dir(db, YEAR))
    summary = validate_year(CONFIG, YEAR, db)
    assert summary.gx_success is True
    files = gx_config_files(db)
    assert sorted(p for p in files if p.endswith(".json")) == [
        f"{folder}/{name}.json" for folder in ("expectations", "validation_definitions") for name in sorted(SUITES)
    ]
    project_yaml = files["great_expectations.yml"][1].decode("utf-8")
    assert all(f"\n      {name}:\n" in project_yaml for name in SUITES)  # the data source's assets
    assert len(gx_results(db)) == len(SUITES)


def test_stored_suite_that_differs_from_expectations_folder_is_replaced(district):
    submissions, db = district
    stored = gx_project_dir(db, YEAR) / "gx" / "expectations" / "stg_award.json"
    suite = json.loads(stored.read_text(encoding="utf-8"))
    duplicate = next(e for e in suite["expectations"] if e["meta"]["check_code"] == "trung_nguoi_nhan")
    duplicate["kwargs"]["value_set"] = [True, False]  # a stale suite that would let duplicates through
    stored.write_text(json.dumps(suite), encoding="utf-8")
    resubmit(submissions, db, "TTT", add_row(
        "khen_thuong", ["Lao động tiên tiến", "Cá nhân", "Người 2 TTT", "13/QĐ-UBND", "15/12/2020"]))
    validate_year(CONFIG, YEAR, db)
    assert [(f["check_code"], f["row_number"]) for f in findings(db)] == [("trung_nguoi_nhan", LAST_AWARD)]
    kept = json.loads(stored.read_text(encoding="utf-8"))
    assert [(e["type"], e["kwargs"], e["meta"]) for e in kept["expectations"]] == [
        (e["type"], e["kwargs"], e["meta"]) for e in load_suite("stg_award")["expectations"]
    ]


def confirmed_cap_config():
    """The shipped configuration with the share cap confirmed and enabled, as a district would."""
    confirmed = [r.model_copy(update={"enabled": True, "needs_confirmation": False}) if r.kind == "share_cap" else r
                 for r in CONFIG.rules]
    return CONFIG.model_copy(update={"rules": tuple(confirmed)})


@pytest.mark.parametrize(
    "year, applied",
    [
        (2003, set()),
        (2016, {"cstdcs_can_ldtt_2003"}),
        (2023, {"cstdcs_can_ldtt_2003", "cstdcs_toi_da_15_phan_tram"}),
        (2024, {"cstdcs_can_ldtt_2022"}),
    ],
)
def test_award_rules_apply_only_in_their_dates(year, applied):
    assert {r.code for r in rules.applied(confirmed_cap_config(), year)} == applied
    assert {r.code for r in rules.applied(CONFIG, year)} == applied - {"cstdcs_toi_da_15_phan_tram"}


def _one_cstdcs_without_base_title(year: int, decided_on: str):
    """TTT's year: 3 LĐTT individuals and 1 CSTĐCS decided on `decided_on` who holds none (33%)."""
    sheets = clean_sheets("TTT", year)
    del sheets["khen_thuong"][5:9]
    sheets["khen_thuong"][-1][2] = "Trần Thị Z"
    sheets["khen_thuong"][-1][4] = decided_on
    return sheets


@pytest.mark.parametrize("decided_on, prerequisite_source, cap_fires", [
    ("31/12/2023", "Luật Thi đua, khen thưởng năm 2003", True),
    ("01/01/2024", "Luật Thi đua, khen thưởng năm 2022", False),
])
def test_rule_fires_only_for_awards_decided_within_its_dates(tmp_path, decided_on, prerequisite_source, cap_fires):
    """The 2023 awards: one decided on 31/12/2023 falls under the 2003 law and the cap (which ended
    with 2023); one decided on 01/01/2024 falls under the 2022 law only."""
    config = confirmed_cap_config()
    submissions, db = tmp_path / "submissions", tmp_path / "thidua.duckdb"
    write_xlsx(submissions / "2023" / "TTT.xlsx", _one_cstdcs_without_base_title(2023, decided_on))
    ingest_year(config, submissions, 2023, db)
    validate_year(config, 2023, db)
    by_code = {f["check_code"]: f for f in findings(db, 2023) if f["unit_code"] == "TTT"}
    assert prerequisite_source in by_code["chua_dat_danh_hieu_tien_quyet"]["message_vi"]
    assert ("vuot_ty_le_toi_da" in by_code) == cap_fires
    if cap_fires:
        assert "khoản 3 Điều 9 Nghị định 91/2017/NĐ-CP" in by_code["vuot_ty_le_toi_da"]["message_vi"]
        assert by_code["vuot_ty_le_toi_da"]["observed_value"] == "1/3 = 33,3%"


def test_disabled_rule_never_fires_and_is_listed_as_not_applied(tmp_path):
    submissions, db = tmp_path / "submissions", tmp_path / "thidua.duckdb"
    write_xlsx(submissions / "2018" / "TTT.xlsx", _one_cstdcs_without_base_title(2018, "15/12/2018"))
    ingest_year(CONFIG, submissions, 2018, db)
    validate_year(CONFIG, 2018, db)
    codes = {f["check_code"] for f in findings(db, 2018) if f["unit_code"] == "TTT"}
    assert codes == {"chua_dat_danh_hieu_tien_quyet"}  # the shipped cap needs confirmation: off
    with open_db(db) as con:
        awards = con.execute("select * from int_award where nam = 2018").df()
    listed = {r["code"]: r for r in rules.rules_overview(CONFIG, 2018, awards)}
    assert set(listed) == {"cstdcs_can_ldtt_2003", "cstdcs_toi_da_15_phan_tram"}
    cap = listed["cstdcs_toi_da_15_phan_tram"]
    assert (cap["enabled"], cap["needs_confirmation"], cap["share"]) == (False, True, None)
    assert cap["can_cu"] == "khoản 3 Điều 9 Nghị định 91/2017/NĐ-CP"
    assert listed["cstdcs_can_ldtt_2003"]["enabled"] is True


def test_rule_severity_comes_from_the_configuration(tmp_path):
    strict = [r.model_copy(update={"severity": "critical"}) for r in CONFIG.rules]
    config = CONFIG.model_copy(update={"rules": tuple(strict)})
    submissions, db = tmp_path / "submissions", tmp_path / "thidua.duckdb"
    write_xlsx(submissions / "2024" / "TTT.xlsx", _one_cstdcs_without_base_title(2024, "15/12/2024"))
    ingest_year(config, submissions, 2024, db)
    validate_year(config, 2024, db)
    found = [(f["check_code"], f["severity"]) for f in findings(db, 2024) if f["unit_code"] == "TTT"]
    assert found == [("chua_dat_danh_hieu_tien_quyet", "critical")]
    assert status(db, "TTT", 2024) == "rejected"


@pytest.mark.parametrize("suite_name", SUITES)
def test_every_expectation_carries_severity_check_code_and_vietnamese_text(suite_name):
    suite = load_suite(suite_name)
    assert suite["name"] == suite_name
    for expectation in suite["expectations"]:
        meta = expectation["meta"]
        assert meta["severity"] in ("critical", "warning")
        assert re.fullmatch(r"[a-z0-9_]+", meta["check_code"])
        assert meta["description_vi"] and meta["fix_vi"]
        assert meta["observed"] in (None, *suite["meta"]["index_columns"])


def test_every_validation_frame_is_validated_by_a_suite():
    frames = {p.stem for p in (PROJECT_ROOT / "sql" / "validation").glob("val_*.sql")}
    used = {Path(load_suite(s)["meta"]["frame_sql"]).name for s in SUITES}
    assert used == frames
    assert sorted(p.stem for p in (PROJECT_ROOT / "expectations").glob("*.json")) == sorted(SUITES)
