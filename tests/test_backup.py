"""`thidua backup` / `thidua restore`: a signed year survives the round trip, figures and files alike."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import duckdb
import pytest
from factories import submission, write_xlsx
from typer.testing import CliRunner

from flows.cli import app
from flows.cycle import yearly_report
from flows.params import CycleParams, SignOff


def figures(db: Path) -> list[tuple]:
    """The district indicators (marts/mart_district_indicators) and the award table of the file."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return (con.execute("select * from mart_district_indicators order by all").fetchall()
                + con.execute("select * from mart_award_table order by all").fetchall())
    finally:
        con.close()


def digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def signed_year(harness, tmp_path_factory) -> dict[str, Path]:
    """A district year run through the real cycle and approved: DuckDB file, signed report, submissions."""
    root = tmp_path_factory.mktemp("district")
    subs = root / "submissions"
    write_xlsx(subs / "2020" / "TTT.xlsx", submission("TTT", 2020, {"so_ho": 1000, "so_ho_ngheo": 50}))
    write_xlsx(subs / "2020" / "TP1.xlsx", submission("TP1", 2020, {"so_ho": 2000, "so_ho_ngheo": 70}))
    state = yearly_report(CycleParams(year=2020, submissions=subs, out=root / "out",
                                      sign_off=SignOff(decision="approve", name="Trần Thị B")), return_state=True)
    assert state.is_completed(), state.message
    return {"root": root, "out": root / "out", "subs": subs}


def test_restore_into_empty_folder_gives_same_figures_and_signed_files(signed_year, tmp_path):
    out, subs = signed_year["out"], signed_year["subs"]
    archive = tmp_path / "backup" / "hong-ngu.tar.gz"
    done = cli("backup", "--out", out, "--submissions", subs, "--to", archive)
    assert done.exit_code == 0, done.output
    assert archive.is_file() and not list(archive.parent.glob(".thidua-backup-*"))

    target = tmp_path / "restored"
    done = cli("restore", "--from", archive, "--out", target)
    assert done.exit_code == 0, done.output

    assert figures(target / "thidua.duckdb") == figures(out / "thidua.duckdb") != []
    # Every file of the year — the signed report, its drafts, the validation pages — byte for byte.
    assert digests(target / "2020") == digests(out / "2020")
    # The signed report of final/ is there, and still matches the hashes its sign-off recorded.
    final = target / "2020" / "final"
    assert "DỰ THẢO" not in (final / "bao_cao_2020.md").read_text(encoding="utf-8")
    signed = json.loads((final / "sign_off.json").read_text(encoding="utf-8"))
    assert signed["sha256"] and all(hashlib.sha256((final / name).read_bytes()).hexdigest() == digest
                                    for name, digest in signed["sha256"].items())
    assert digests(target / "submissions") == digests(subs)
    con = duckdb.connect(str(target / "thidua.duckdb"), read_only=True)
    try:
        assert con.execute("select decision, reviewer_name from sign_off").fetchall() == [("approve", "Trần Thị B")]
    finally:
        con.close()
    assert not list(target.glob(".thidua-restore-*"))

    # A second restore over the first loses nothing: it is refused and names what is there.
    again = cli("restore", "--from", archive, "--out", target)
    assert again.exit_code == 2 and "thidua.duckdb" in again.output
    assert figures(target / "thidua.duckdb") == figures(out / "thidua.duckdb")


def test_backup_while_a_run_holds_the_database_stops_with_the_lock_message(signed_year, tmp_path):
    """A run writing the database (another process holds it) makes the backup stop, not copy half a year."""
    db = signed_year["out"] / "thidua.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "time.sleep(120)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        done = cli("backup", "--out", signed_year["out"], "--submissions", signed_year["subs"],
                   "--to", tmp_path / "b.tar.gz")
    finally:
        holder.kill()
        holder.wait()
    assert done.exit_code == 2 and "locked" in done.output, done.output
    assert not (tmp_path / "b.tar.gz").exists()


def test_restore_refuses_an_archive_changed_after_backup(signed_year, tmp_path):
    archive = tmp_path / "b.tar.gz"
    assert cli("backup", "--out", signed_year["out"], "--submissions", signed_year["subs"], "--to", archive).exit_code == 0
    # Someone swaps the signed report inside the archive.
    changed = tmp_path / "changed.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(changed, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == "out/2020/final/bao_cao_2020.md":
                data = data.replace("Trần Thị B".encode(), "Người Khác".encode())
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    done = cli("restore", "--from", changed, "--out", tmp_path / "r")
    assert done.exit_code == 2 and "out/2020/final/bao_cao_2020.md" in done.output, done.output
    assert not (tmp_path / "r" / "thidua.duckdb").exists()
    # A copy cut short (a full disk, an interrupted transfer) is refused the same way.
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    done = cli("restore", "--from", cut, "--out", tmp_path / "r")
    assert done.exit_code == 2 and "cut.tar.gz" in done.output, done.output
    assert not (tmp_path / "r" / "thidua.duckdb").exists()
