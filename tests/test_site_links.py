"""What Prefect shows reviewers (the sign-off form, the validation artifact) links to the review site."""

import datetime as dt
from pathlib import Path

import pytest

from tasks.publish import summary_markdown
from tasks.signoff import sign_off_description
from tasks.validate import ValidationSummary

FILES = {"Báo cáo kiểm tra": Path("/srv/out/2020/validation/index.html"), "Dự thảo": Path("/srv/out/2020/x.docx")}


def _summary(tmp_path) -> ValidationSummary:
    now = dt.datetime(2020, 12, 15, 8, tzinfo=dt.timezone.utc)
    return ValidationSummary(run_id="r1", year=2020, started_at=now, finished_at=now, gx_success=True,
                             gx_project_dir=tmp_path, statuses=[{"ma_don_vi": "TTT", "trang_thai": "accepted"}])


def test_with_a_site_the_form_and_artifact_link_its_pages_and_no_server_path(monkeypatch, tmp_path):
    monkeypatch.setenv("THIDUA_SITE_URL", "http://10.0.0.5:8088/")
    form = sign_off_description(year=2020, period_years=5, draft_version=3, ui_url="http://127.0.0.1:4200",
                                artifact_keys=[], files=FILES, changes_md="# Thay đổi")
    assert "(http://10.0.0.5:8088/nam/2020/)" in form
    assert "(http://10.0.0.5:8088/nam/2020/tep/bao_cao_2020.docx)" in form
    assert "(http://10.0.0.5:8088/nam/2020/tep/drafts/003/thay_doi.md)" in form
    artifact = summary_markdown(_summary(tmp_path), [tmp_path / "index.html"])
    assert "(http://10.0.0.5:8088/nam/2020/)" in artifact
    for text in (form, artifact):
        assert "/srv/out" not in text and "file://" not in text


def test_without_a_site_the_operator_sees_local_paths_and_how_to_set_one(monkeypatch, tmp_path):
    monkeypatch.delenv("THIDUA_SITE_URL", raising=False)
    form = sign_off_description(year=2020, period_years=1, draft_version=1, ui_url=None, artifact_keys=[],
                                files=FILES, changes_md="")
    assert "`/srv/out/2020/validation/index.html`" in form and "THIDUA_SITE_URL" in form
    assert "/nam/2020" not in form
    assert "file://" in summary_markdown(_summary(tmp_path), [tmp_path / "index.html"])
