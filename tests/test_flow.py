"""The yearly flow end to end under Prefect's test harness: drafts, sign-off, reruns, changes list."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest
from prefect import get_client

from factories import submission, write_xlsx
from flows.cycle import collection_check, yearly_report
from flows.params import TIMEZONE, CheckParams, CycleParams, SignOff
from tasks.config import PROJECT_ROOT
from tasks.signoff import SignOffError, record_sign_off

SAMPLE = PROJECT_ROOT / "data" / "sample" / "submissions"
WATERMARK = "DỰ THẢO"


def rows(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def small_year(root: Path, year: int = 2020) -> Path:
    """Two communes' submissions: enough for a draft, quick to validate."""
    subs = root / "submissions"
    write_xlsx(subs / str(year) / "TTT.xlsx", submission("TTT", year, {"so_ho": 1000, "so_ho_ngheo": 50}))
    write_xlsx(subs / str(year) / "TP1.xlsx", submission("TP1", year, {"so_ho": 2000, "so_ho_ngheo": 70}))
    return subs


def bump_indicator(path: Path, code: str, by: int) -> None:
    """A unit resends its workbook with one figure changed."""
    book = openpyxl.load_workbook(path)
    sheet = book["chi_tieu"]
    for row in sheet.iter_rows():
        for n, cell in enumerate(row[:-1]):
            if cell.value == code:
                target = row[n + 1]
                target.value = float(str(target.value).replace(".", "").replace(",", ".")) + by
                book.save(path)
                return
    raise AssertionError(f"{path}: {code} not found")


@pytest.mark.parametrize(
    "sign_off, state_type, state_name, watermarked, stored",
    [
        (None, "COMPLETED", "Completed", True, None),
        (SignOff(decision="approve", name="Trần Thị B", comment="Đồng ý"), "COMPLETED", "Completed", False,
         ("approve", "Trần Thị B", "Đồng ý")),
        (SignOff(decision="reject", name="Lê Văn C", comment="Thiếu số liệu xã Long Thuận"), "FAILED", "Bị từ chối",
         True, ("reject", "Lê Văn C", "Thiếu số liệu xã Long Thuận")),
    ],
)
def test_local_sign_off_decides_final_draft_and_is_stored(harness, tmp_path, sign_off, state_type, state_name,
                                                          watermarked, stored):
    params = CycleParams(year=2020, submissions=small_year(tmp_path), out=tmp_path / "out", sign_off=sign_off)
    state = yearly_report(params, return_state=True)

    assert (state.type.value, state.name) == (state_type, state_name)
    # The top-level report stays the latest draft; only an approval writes final/, without the watermark.
    assert WATERMARK in (tmp_path / "out" / "2020" / "bao_cao_2020.md").read_text(encoding="utf-8")
    final = tmp_path / "out" / "2020" / "final" / "bao_cao_2020.md"
    assert final.is_file() is not watermarked
    if final.is_file():
        assert WATERMARK not in final.read_text(encoding="utf-8")
    assert (tmp_path / "out" / "2020" / "drafts" / "001" / "bao_cao_2020.docx").is_file()
    db = tmp_path / "out" / "thidua.duckdb"
    decisions = rows(db, "select decision, reviewer_name, comment from sign_off")
    assert decisions == ([stored] if stored else [])
    if sign_off and sign_off.decision == "reject":
        assert state.message == "Bị từ chối bởi Lê Văn C: Thiếu số liệu xã Long Thuận"


def test_approval_records_validation_run_and_hashes_of_reviewed_draft(harness, tmp_path):
    params = CycleParams(year=2020, submissions=small_year(tmp_path), out=tmp_path / "out",
                         sign_off=SignOff(decision="approve", name="Trần Thị B"))
    result = yearly_report(params)

    db = tmp_path / "out" / "thidua.duckdb"
    [(run_id, validation_run_id, outputs, version)] = rows(
        db, "select run_id, validation_run_id, outputs, draft_version from sign_off")
    assert run_id == result["run_id"] and version == 1
    assert validation_run_id == rows(db, "select max(run_id) from validation_run where nam = 2020")[0][0]
    hashed = {Path(o["path"]).name: o["sha256"] for o in json.loads(outputs)}
    assert {"bao_cao_2020.docx", "bao_cao_2020.md", "district_indicators.csv", "thay_doi.md"} <= set(hashed)
    assert all(len(h) == 64 for h in hashed.values())
    stages = [s for (s,) in rows(db, "select stage from run_log where run_id = ? order by started_at", [run_id])]
    assert stages == ["outputs", "sign_off"]


def test_sample_year_rerun_rereads_only_resent_file_and_lists_changes(harness, tmp_path):
    subs = tmp_path / "submissions"
    shutil.copytree(SAMPLE / "2020", subs / "2020")
    params = CycleParams(year=2020, submissions=subs, out=tmp_path / "out")
    first = yearly_report(params)
    assert first["draft_version"] == 1
    db = tmp_path / "out" / "thidua.duckdb"
    files_before = rows(db, "select count(*) from raw_file_version")[0][0]

    bump_indicator(subs / "2020" / "TP1.xlsx", "so_ho_ngheo", by=40)
    second = yearly_report(params.model_copy(update={"sign_off": SignOff(decision="approve", name="Trần Thị B")}))

    assert rows(db, "select unit_code, version from raw_file_version where version > 1") == [("TP1", 2)]
    assert rows(db, "select count(*) from raw_file_version")[0][0] == files_before + 1
    ingests = rows(db, "select detail from run_log where stage = 'ingest' order by started_at")
    reread = [f["unit_code"] for f in json.loads(ingests[-1][0])["files"] if f["status"] != "unchanged"]
    assert reread == ["TP1"]
    assert second["draft_version"] == 2 and second["changed_units"] == ["TP1"]
    drafts = tmp_path / "out" / "2020" / "drafts"
    assert sorted(p.name for p in drafts.iterdir()) == ["001", "002", "latest"]
    changes = (drafts / "latest" / "thay_doi.md").read_text(encoding="utf-8")
    assert "(TP1): tệp `2020/TP1.xlsx` lần 2" in changes
    assert "Số hộ nghèo" in changes and "Tỷ lệ hộ nghèo" in changes
    assert WATERMARK in (drafts / "001" / "bao_cao_2020.md").read_text(encoding="utf-8")
    key = f"thidua-thay-doi-2020-{params.artifact_scope()}"
    with get_client(sync_client=True) as client:
        [artifact] = [a for a in client.read_latest_artifacts(limit=100) if a.key == key]
    assert artifact.data == changes
    assert WATERMARK not in (tmp_path / "out" / "2020" / "final" / "bao_cao_2020.md").read_text(encoding="utf-8")


def test_period_run_validates_every_year_and_drafts_once(harness, tmp_path):
    subs = small_year(tmp_path, 2019)
    small_year(tmp_path, 2020)
    result = yearly_report(CycleParams(year=2020, period_years=2, submissions=subs, out=tmp_path / "out"))

    db = tmp_path / "out" / "thidua.duckdb"
    assert rows(db, "select nam, count(*) from validation_run group by nam order by nam") == [(2019, 1), (2020, 1)]
    assert rows(db, "select nam, version, period_years from draft") == [(2020, 1, 2)]
    assert rows(db, "select distinct nam from draft_indicator order by nam") == [(2019,), (2020,)]
    assert (tmp_path / "out" / "2019" / "validation" / "index.html").is_file()
    assert Path(result["draft_folder"]) == tmp_path / "out" / "2020" / "drafts" / "001"


def test_collection_check_validates_without_drafting(harness, tmp_path):
    result = collection_check(CheckParams(year=2020, submissions=small_year(tmp_path), out=tmp_path / "out"))

    assert (result["accepted"], result["rejected"]) == (2, 0)
    year_dir = tmp_path / "out" / "2020"
    assert (year_dir / "submission_status.csv").is_file()
    assert not (year_dir / "bao_cao_2020.md").exists() and not (year_dir / "drafts").exists()


@pytest.mark.parametrize(
    "decision, name, problem",
    [
        ("maybe", "Trần Thị B", "approve hoặc reject"),
        ("approve", "   ", "thiếu họ tên"),
    ],
)
def test_sign_off_refuses_unknown_decision_or_blank_name(tmp_path, decision, name, problem):
    with pytest.raises(SignOffError, match=problem):
        record_sign_off(db_path=tmp_path / "x.duckdb", run_id="r", year=2020, period_years=1,
                        decision=decision, name=name, outputs=[])


@pytest.mark.parametrize(
    "given, expected",
    [
        (dict(submissions=Path("data/sample/submissions")), PROJECT_ROOT / "data" / "sample" / "submissions"),
        (dict(submissions=Path("/srv/nop")), Path("/srv/nop")),
    ],
)
def test_relative_paths_are_read_from_project_folder(given, expected):
    assert CycleParams(**given).submissions_dir() == expected


def test_default_year_is_this_year_in_vietnam_and_period_ends_with_it():
    params = CycleParams(period_years=5)
    this_year = dt.datetime.now(TIMEZONE).year
    assert params.years() == list(range(this_year - 4, this_year + 1))
    assert params.db_path() == PROJECT_ROOT / "out" / "thidua.duckdb"
