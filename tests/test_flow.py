"""The yearly flow end to end under Prefect's test harness: drafts, sign-off, reruns, changes list."""

from __future__ import annotations

import datetime as dt
import json
import os
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
        (SignOff(decision="reject", name="Lê Văn C", comment="Thiếu số liệu xã Long Thuận"), "COMPLETED", "Bị từ chối",
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
    # The sign-off time is kept to the second (it is shown to people): it may fall in the second the outputs began.
    stages = [s for (s,) in rows(db, "select stage from run_log where run_id = ? "
                                     "order by date_trunc('second', started_at), stage = 'sign_off'", [run_id])]
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


def district_code() -> str:
    from tasks.config import load_config

    return load_config().district.code


def test_second_run_of_a_year_held_by_a_waiting_run_ends_at_once_until_that_run_is_cancelled(harness, tmp_path):
    from prefect import flow
    from prefect.states import Cancelled, Suspended

    from tasks import guard

    @flow(name="yearly-report-waiting")
    def waiting():
        pass

    params = CycleParams(year=2020, submissions=small_year(tmp_path), out=tmp_path / "out")
    db = params.db_path()
    with get_client(sync_client=True) as client:
        holder = client.create_flow_run(waiting)
        client.set_flow_run_state(holder.id, Suspended(timeout_seconds=3600), force=True)
    guard.take(db_path=db, district_code=district_code(), year=2020, flow_run_id=str(holder.id), run_id="cycle-x",
               flow_run_name=holder.name)

    refused = yearly_report(params, return_state=True)
    assert (refused.type.value, refused.name) == ("COMPLETED", "Trùng lượt")
    assert str(holder.id) in refused.message and "đang chờ ký duyệt" in refused.message
    assert len(refused.message.splitlines()) == 1
    assert rows(db, "select count(*) from draft")[0][0] == 0

    # Cancelled (from the UI, or timed out by the server): the row is stale and the next run takes the year.
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(holder.id, Cancelled(), force=True)
    done = yearly_report(params)
    assert done["draft_version"] == 1
    assert rows(db, "select count(*) from cycle_guard")[0][0] == 0


def test_only_the_newest_draft_can_be_signed(harness, tmp_path):
    from tasks.signoff import decide

    params = CycleParams(year=2020, submissions=small_year(tmp_path), out=tmp_path / "out")
    first = yearly_report(params)
    second = yearly_report(params)
    assert (first["draft_version"], second["draft_version"]) == (1, 2)
    db = params.db_path()
    with pytest.raises(SignOffError, match="lần 1 năm 2020 không còn là bản mới nhất"):
        decide(db_path=db, run_id=first["run_id"], year=2020, period_years=1, decision="approve", name="Trần Thị B",
               draft_version=1)

    # A form naming draft 2 while the run drafted 3: refused, nothing written.
    stale = yearly_report(params.model_copy(update={"sign_off": SignOff(decision="approve", name="Trần Thị B",
                                                                        draft_version=2)}), return_state=True)
    assert (stale.type.value, stale.name) == ("COMPLETED", "Không ghi quyết định")
    assert "lần 2" in stale.message and "lần 3" in stale.message
    assert rows(db, "select count(*) from sign_off")[0][0] == 0
    assert not (tmp_path / "out" / "2020" / "final").exists()


def tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_signed_year_is_locked_final_never_rewritten_and_reopen_applies_the_resent_file(harness, tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    subs = small_year(tmp_path)
    out = tmp_path / "out"
    params = CycleParams(year=2020, submissions=subs, out=out)
    approved = yearly_report(params.model_copy(update={"sign_off": SignOff(decision="approve", name="Trần Thị B",
                                                                           comment="Đồng ý")}))
    final = out / "2020" / "final"
    signed = tree(final)
    record = json.loads(signed["sign_off.json"])
    assert (record["nguoi_duyet"], record["y_kien"], record["ban_du_thao"]) == ("Trần Thị B", "Đồng ý", 1)
    assert record["thoi_diem"].endswith("+07:00") and record["run_id"] == approved["run_id"]
    assert set(record["sha256"]) == set(signed) - {"sign_off.json"}
    assert {"bao_cao_2020.docx", "bao_cao_2020.html", "bao_cao_2020.md", "district_indicators.csv",
            "award_table.csv", "submission_status.csv"} <= set(record["sha256"])
    figures = (out / "2020" / "district_indicators.csv").read_bytes()

    # Rerun, then a resent file: the year is locked; the file is kept aside; nothing signed moves.
    again = yearly_report(params, return_state=True)
    assert again.name == "Đã khoá" and "thidua reopen --year 2020" in again.message
    bump_indicator(subs / "2020" / "TP1.xlsx", "so_ho_ngheo", by=40)
    late = yearly_report(params, return_state=True)
    assert late.name == "Đã khoá"
    assert tree(final) == signed
    assert (out / "2020" / "district_indicators.csv").read_bytes() == figures
    late_db = out / "2020" / "sau_ky_duyet" / "thidua.duckdb"
    assert rows(late_db, "select unit_code, version, status from raw_file_version where unit_code = 'TP1' "
                         "and status <> 'superseded'") == [("TP1", 2, "accepted")]
    assert "TP1: tệp `2020/TP1.xlsx`" in (out / "2020" / "sau_ky_duyet" / "thay_doi.md").read_text(encoding="utf-8")
    assert rows(params.db_path(), "select count(*) from raw_file_version where unit_code = 'TP1'")[0][0] == 1

    reopened = CliRunner().invoke(app, ["reopen", "--year", "2020", "--reason", "TP1 gửi lại số hộ nghèo",
                                        "--by", "Lê Văn C", "--out", str(out)])
    assert reopened.exit_code == 0, reopened.output
    assert rows(params.db_path(), "select nam, reopened_by, reason from year_reopen") == \
        [(2020, "Lê Văn C", "TP1 gửi lại số hộ nghèo")]

    redrafted = yearly_report(params)
    assert redrafted["draft_version"] == 2 and redrafted["changed_units"] == ["TP1"]
    assert (out / "2020" / "district_indicators.csv").read_bytes() != figures
    assert tree(final) == signed


KILLED_RUN = """
import os, signal, sys
import tasks.render
# Killed the moment the report is rendered: the year's tables of this run are already written.
tasks.render.render_report = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
from flows.cycle import yearly_report
from flows.params import CycleParams
yearly_report(CycleParams(year=2020, submissions=sys.argv[1], out=sys.argv[2]))
"""


def test_a_run_killed_after_its_tables_leaves_the_years_files_of_one_run(harness, tmp_path):
    import subprocess
    import sys

    from prefect.settings import get_current_settings

    from tasks.year_outputs import produced_by

    subs = small_year(tmp_path)
    out = tmp_path / "out"
    first = yearly_report(CycleParams(year=2020, submissions=subs, out=out))
    bump_indicator(subs / "2020" / "TP1.xlsx", "so_ho_ngheo", by=40)
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, str(subs), str(out)], cwd=PROJECT_ROOT,
                            env={**os.environ, "PREFECT_API_URL": get_current_settings().api.url},
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr[-2000:]

    year_dir = out / "2020"
    drafted = year_dir / "drafts" / "001"
    for name in ("district_indicators.csv", "award_table.csv", "bao_cao_2020.md"):
        assert (year_dir / name).read_bytes() == (drafted / name).read_bytes(), name
    assert produced_by(out, 2020)["run_id"] == first["run_id"]
    # The next run clears what the killed one left aside and swaps its own files in together.
    second = yearly_report(CycleParams(year=2020, submissions=subs, out=out))
    assert not list(year_dir.glob(".dang_ghi-*"))
    assert produced_by(out, 2020)["run_id"] == second["run_id"]
    assert (year_dir / "district_indicators.csv").read_bytes() != (drafted / "district_indicators.csv").read_bytes()
