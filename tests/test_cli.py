"""The `thidua` command as people type it: exit codes and the exact first line, success and each refusal.

In-process through Typer's CliRunner (flows on the session's Prefect harness), on two units' files in
tmp_path; the console script itself in subprocesses, on the temporary Prefect server it starts (as README
command 1 does) and with one that does not start in time.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from factories import write_xlsx
from test_validation import CONFIG, clean_sheets
from typer.testing import CliRunner

import flows.cycle  # noqa: F401  Prefect binds its log handlers to stderr on import: pytest's, not one CliRunner closes
from flows.cli import app
from tasks.config import PROJECT_ROOT

YEAR = 2020
SENT = ("GDDT", "TTT")
THIDUA = str(Path(sys.executable).with_name("thidua"))


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A working folder with submissions/2020/ (two units' clean workbooks) and an empty submissions/2019/."""
    for code in SENT:
        write_xlsx(tmp_path / "submissions" / str(YEAR) / f"{code}.xlsx", clean_sheets(code, YEAR))
    (tmp_path / "submissions" / str(YEAR - 1)).mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def thidua(*args: str):
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def staged_rows(codes: tuple[str, ...], year: int = YEAR) -> int:
    """Every value, award and narrative row of the clean workbooks is staged; thong_tin describes the file."""
    return sum(len(rows) - 1 for code in codes for sheet, rows in clean_sheets(code, year).items()
               if sheet != "thong_tin")


def year_line(year: int, accepted: tuple[str, ...]) -> str:
    """The line `validate` and `run` print for a year whose only submissions are `accepted` (all clean)."""
    missing = sorted(u.code for u in CONFIG.expected_units(year) if u.code not in accepted)
    return (f"Năm {year}: {len(accepted)} đơn vị được chấp nhận, 0 bị trả lại, {len(missing)} chưa nộp; "
            f"{staged_rows(accepted, year)} dòng dữ liệu; chưa nộp: {', '.join(missing)}")


# ---------------------------------------------------------------------------------------------
# Commands that need no Prefect


def test_templates_writes_one_blank_workbook_per_expected_unit(here):
    code, out, err = thidua("templates", "--year", str(YEAR), "--out", "mau")
    expected = len(CONFIG.expected_units(YEAR))
    assert (code, out[0], err) == (0, f"Đã ghi {expected} mẫu trống vào mau/", [])
    assert len(list((here / "mau").glob("*.xlsx"))) == expected


def test_ingest_prints_the_years_files_then_one_line_per_file(here):
    code, out, err = thidua("ingest", "--year", str(YEAR), "--submissions", "submissions")
    assert (code, err) == (0, [])
    assert out[0] == f"Năm 2020: 2 tệp mới được nhận, 0 tệp bị trả lại, 0 tệp không đổi; {staged_rows(SENT)} dòng dữ liệu mới"
    assert [line.split()[:2] for line in out[1:]] == [[c, "nhận"] for c in SENT]


def test_ingest_of_an_empty_year_folder_says_nobody_sent_and_goes_on(here):
    code, out, err = thidua("ingest", "--year", str(YEAR - 1), "--submissions", "submissions")
    assert (code, err) == (0, [])
    assert out == ["Năm 2019: chưa đơn vị nào nộp (submissions/2019/ trống); vẫn chạy tiếp",
                   "Năm 2019: 0 tệp mới được nhận, 0 tệp bị trả lại, 0 tệp không đổi; 0 dòng dữ liệu mới"]


BAD_YAML = "district:\n  name: Huyện X\n - lạc dòng\n"


REFUSALS = [
    ("year folder missing", ["--year", "2015"],
     "thidua: không có thư mục bài nộp của năm 2015: submissions/2015/ "
     "(tạo thư mục và chép bài nộp vào, hoặc kiểm tra lại --year)"),
    ("submissions folder missing", ["--year", "2020", "--submissions", "nop"],
     "thidua: nop/: không tìm thấy thư mục bài nộp (submissions folder not found)"),
    ("config folder missing", ["--year", "2020", "--config", "cau_hinh"],
     "thidua: cau_hinh/: không tìm thấy thư mục cấu hình (configuration folder not found)"),
    ("malformed YAML", ["--year", "2020", "--config", "bad"],
     "thidua: bad/units.yaml: sai cú pháp YAML ở dòng 3, cột 2 (expected <block end>, but found "
     "'<block sequence start>'); hãy sửa tệp rồi chạy lại"),
    ("invalid configuration", ["--year", "2020", "--config", "wrong"],
     "thidua: cấu hình không dùng được (invalid configuration): wrong/units.yaml: key district."),
]


@pytest.mark.parametrize("command", ["ingest", "validate", "run"])
@pytest.mark.parametrize("case, args, first_line", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_exit_2_with_one_line_before_anything_runs(here, command, case, args, first_line):
    shutil.copytree(PROJECT_ROOT / "config", here / "bad")
    (here / "bad" / "units.yaml").write_text(BAD_YAML, encoding="utf-8")
    shutil.copytree(PROJECT_ROOT / "config", here / "wrong")
    (here / "wrong" / "units.yaml").write_text("district: {name: Huyện X}\nunits: []\n", encoding="utf-8")
    defaults = [] if "--submissions" in args else ["--submissions", "submissions"]

    code, out, err = thidua(command, *args, *defaults)

    assert (code, out, len(err)) == (2, [], 1)
    assert err[0].startswith(first_line) if case == "invalid configuration" else err[0] == first_line
    assert not (here / "out").exists()  # refused before Prefect, the database or any output


def test_run_refuses_sign_off_and_reject_together(here):
    code, out, err = thidua("run", "--year", "2020", "--submissions", "submissions", "--sign-off", "A", "--reject", "B")
    assert (code, out, err) == (2, [], ["thidua: chỉ dùng một trong hai: --sign-off hoặc --reject"])


# ---------------------------------------------------------------------------------------------
# Commands that run a flow (on the session's embedded Prefect server)


def test_validate_prints_the_year_then_where_the_report_is(harness, here):
    code, out, err = thidua("validate", "--year", str(YEAR), "--submissions", "submissions")
    assert (code, err) == (0, [])
    assert out[0] == year_line(YEAR, SENT)
    assert out[-1] == "Báo cáo kiểm tra: out/2020/validation/index.html"
    assert (here / "out" / "2020" / "validation" / "index.html").is_file()


def test_run_with_sign_off_over_two_years_one_of_them_empty(harness, here):
    code, out, err = thidua("run", "--year", str(YEAR), "--period-years", "2", "--submissions", "submissions",
                            "--sign-off", "Nguyễn Văn Duyệt")
    assert (code, err) == (0, [])
    assert out[0] == "Năm 2019: chưa đơn vị nào nộp (submissions/2019/ trống); vẫn chạy tiếp"
    assert out[1] == year_line(YEAR - 1, ())
    assert out[2] == year_line(YEAR, SENT)
    assert "Kết quả: out/2020/" in out
    assert out[-1].startswith("Đã ký duyệt bởi Nguyễn Văn Duyệt")


def test_run_with_reject_keeps_the_draft_and_says_who_rejected(harness, here):
    code, out, err = thidua("run", "--year", str(YEAR), "--submissions", "submissions",
                            "--reject", "Trần Thị Từ Chối", "--comment", "Thiếu số liệu xã")
    assert (code, err) == (0, [])  # a rejection is a decision taken, not a failure to run
    assert out[0] == year_line(YEAR, SENT)
    assert out[-1].startswith("Bản dự thảo bị từ chối") and "Trần Thị Từ Chối" in out[-1]
    assert list((here / "out" / "2020").glob("bao_cao_2020.docx"))


# ---------------------------------------------------------------------------------------------
# The console script itself, in its own process


def test_help_is_vietnamese_shows_flags_as_flags_and_no_absolute_paths():
    for command in ("run", "validate", "ingest", "templates", "scale"):
        result = CliRunner().invoke(app, [command, "--help"], terminal_width=100)
        assert result.exit_code == 0
        assert str(PROJECT_ROOT) not in result.stdout and "<bool>" not in result.stdout, command
    scale = CliRunner().invoke(app, ["scale", "--help"], terminal_width=200).stdout
    assert "--on-workers " in scale and "--on-workers/" not in scale
    assert "--period-years SỐ_NĂM  Số năm của kỳ báo cáo" in scale


def no_prefect_server(home: Path, **more: str) -> dict:
    """The environment of someone who configured no Prefect server: thidua starts its temporary one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {**env, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", **more}


def test_console_script_runs_on_the_temporary_server_it_starts_and_stops_it(here):
    """flows/embedded.py starts Prefect's temporary server before the stages are imported; the run
    logs Prefect's own lines about it and no link to a UI it does not serve, and leaves no server behind."""
    done = subprocess.run([THIDUA, "validate", "--year", str(YEAR), "--submissions", "submissions"], cwd=here,
                          env=no_prefect_server(here / "prefect"), capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-2:] == [year_line(YEAR, SENT), "Báo cáo kiểm tra: out/2020/validation/index.html"]
    started = re.findall(r"prefect - Starting temporary server on http://127.0.0.1:(\d+)", done.stderr)
    stopped = re.findall(r"prefect - Stopping temporary server on http://127.0.0.1:(\d+)", done.stderr)
    assert len(started) == 1 and stopped == started, done.stderr[-3000:]
    assert "Flow run" in done.stderr and "View at" not in done.stderr
    assert (here / "prefect" / "prefect.db").is_file()  # the server's database stays in PREFECT_HOME
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(started[0]))) != 0


def test_prefect_server_that_does_not_start_in_time_is_one_line_and_exit_1(here):
    """The console script, with no Prefect server configured and 1 s to start the embedded one."""
    env = no_prefect_server(here / "prefect", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="1",
                            PREFECT_LOGGING_LEVEL="WARNING")

    done = subprocess.run([THIDUA, "validate", "--year", str(YEAR), "--submissions", "submissions"], cwd=here,
                          env=env, capture_output=True, text=True, timeout=600)

    assert done.returncode == 1, done.stderr[-3000:]
    assert done.stderr.splitlines() == [
        "thidua: máy chủ Prefect tạm thời (ephemeral server) không khởi động kịp trong 1 giây; hãy chạy lại "
        "khi máy bớt bận, đặt PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS lớn hơn, hoặc chạy "
        "`prefect server start` rồi đặt PREFECT_API_URL"]
