"""The review site in a real headless Chromium: accounts, pages, downloads, uploads, traversal, offline."""

from __future__ import annotations

import base64
import http.client
import io
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from factories import write_xlsx
from test_validation import CONFIG, YEAR, clean_sheets, drop_file, resubmit, set_value, write_year
from tasks.aggregate import aggregate, write_outputs
from tasks.ingest import ingest_year
from tasks.publish import publish_validation
from tasks.render import render_report
from tasks.runlog import new_run_id, save_draft
from tasks.site import site_url
from tasks.site.app import SiteConfig, create_app
from tasks.site.datadocs import external_references, localise
from tasks.signoff import record_sign_off
from tasks.site.uploads import unit_lock
from tasks.site.users import add_user
from tasks.validate import validate_year

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "mat-khau-thu"
DOCS = Path(__file__).resolve().parents[1] / "docs"
SECRET = "NOI-DUNG-BI-MAT-NGOAI-OUT"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Two checked years (2020: TTT rejected, LKB missing), a two-year draft, three accounts, the site on a free port."""
    root = tmp_path_factory.mktemp("site")
    submissions, out = root / "submissions", root / "out"
    db = out / "thidua.duckdb"
    for year in (YEAR - 1, YEAR):
        write_year(submissions, year)
        ingest_year(CONFIG, submissions, year, db)
    resubmit(submissions, db, "TTT", set_value("so_khom_van_minh", 3))
    drop_file(submissions, db, "LKB")
    for year in (YEAR - 1, YEAR):
        validate_year(CONFIG, year, db)
        publish_validation(CONFIG, year, db, out)
    aggregate(CONFIG, YEAR, 2, db)
    tables = write_outputs(CONFIG, YEAR, 2, db, out)
    report = render_report(CONFIG, YEAR, 2, db, out)
    save_draft(config=CONFIG, year=YEAR, period_years=2, db_path=db, out_dir=out, run_id=new_run_id(YEAR),
               paths=[*report, *tables, out / str(YEAR) / "submission_status.csv"])
    (root / "secret.txt").write_text(SECRET, encoding="utf-8")
    (out / str(YEAR) / "lien_ket.txt").symlink_to(root / "secret.txt")

    users = root / "site_users.yaml"
    add_user(users, "hoidong", role="reviewer", password=PASSWORD)
    add_user(users, "ttt", role="unit", unit="TTT", password=PASSWORD)
    add_user(users, "tp1", role="unit", unit="TP1", password=PASSWORD)
    app = create_app(SiteConfig(out_dir=out, submissions_dir=submissions, config=CONFIG, users_file=users, db_path=db))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield {"base": f"http://127.0.0.1:{port}", "port": port, "out": out, "submissions": submissions, "root": root}
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def requested():
    """Every address any page of the module asked for."""
    return []


def _shot(page, name: str) -> None:
    """With THIDUA_PICTURES=1, a full-page screenshot for docs/ in 64 colours (a plain test run
    writes nothing into the working tree)."""
    from PIL import Image

    if not os.environ.get("THIDUA_PICTURES"):
        return
    image = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    image.quantize(64).save(DOCS / name, optimize=True)


def _login(browser, site, requested, name):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    context.on("request", lambda r: requested.append(r.url))
    page = context.new_page()
    page.goto(site["base"] + "/")
    page.fill("#ten", name)
    page.fill("#mat_khau", PASSWORD)
    page.click("#dang-nhap button")
    page.wait_for_load_state()
    return context, page


def _raw(site, method: str, path: str, headers: dict, body: bytes | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", site["port"], timeout=60)
    conn.putrequest(method, path, skip_accept_encoding=True)
    for key, value in headers.items():
        conn.putheader(key, value)
    conn.endheaders(body)
    response = conn.getresponse()
    return response, response.read(), conn


@pytest.fixture(scope="module")
def reviewer_cookie(site) -> str:
    """One login for the raw requests below (HTTP Basic would hash the password on every request)."""
    form = f"ten=hoidong&mat_khau={PASSWORD}".encode()
    response, _, conn = _raw(site, "POST", "/dang-nhap", {"Content-Type": "application/x-www-form-urlencoded",
                                                          "Content-Length": str(len(form))}, form)
    conn.close()
    assert response.status == 303
    return response.getheader("Set-Cookie").split(";")[0]


def _raw_get(site, path: str, cookie: str) -> tuple[int, bytes]:
    """A GET with the path sent exactly as written (browsers and HTTP clients would normalise `..`)."""
    response, body, conn = _raw(site, "GET", path, {"Cookie": cookie})
    conn.close()
    return response.status, body


def test_scripts_authenticate_with_http_basic(site):
    token = base64.b64encode(f"hoidong:{PASSWORD}".encode()).decode()
    response, body, conn = _raw(site, "GET", f"/nam/{YEAR}/tep/award_table.csv", {"Authorization": f"Basic {token}"})
    conn.close()
    assert response.status == 200 and body.startswith(b"hinh_thuc,doi_tuong,nam,so_luong")
    wrong = base64.b64encode(b"hoidong:sai").decode()
    response, _, conn = _raw(site, "GET", f"/nam/{YEAR}/", {"Authorization": f"Basic {wrong}"})
    conn.close()
    assert response.status == 401 and response.getheader("WWW-Authenticate") == 'Basic realm="thidua"'



def test_unauthenticated_request_gets_the_login_page(site, browser, requested):
    page = browser.new_page()
    page.on("request", lambda r: requested.append(r.url))
    page.goto(site["base"] + f"/nam/{YEAR}/tep/bao_cao_{YEAR}.docx".replace(".docx", ".html"))
    assert "/dang-nhap" in page.url
    assert page.locator("#dang-nhap #mat_khau").count() == 1
    page.fill("#ten", "hoidong")
    page.fill("#mat_khau", "sai-mat-khau")
    page.click("#dang-nhap button")
    assert page.locator("#loi-dang-nhap").inner_text() == "Sai tên tài khoản hoặc mật khẩu."
    page.close()


def test_reviewer_sees_verdict_rejected_unit_first_findings_and_downloads_the_docx(site, browser, requested):
    context, page = _login(browser, site, requested, "hoidong")
    page.goto(site["base"] + f"/nam/{YEAR}/")
    verdict = page.locator("#ket-luan").inner_text()
    assert verdict.startswith("Chưa đủ:")
    assert "1 đơn vị bị trả lại: Thị trấn Thường Thới Tiền (TTT)" in verdict
    assert "1 đơn vị chưa nộp: Xã Long Khánh B (LKB)" in verdict
    rows = page.locator("#trang-thai tbody tr")
    assert [rows.nth(i).get_attribute("data-status") for i in range(3)] == ["rejected", "missing", "accepted"]
    assert rows.first.get_attribute("data-unit") == "TTT"
    # The two-year report links the check of the year before.
    assert page.locator("#ky-bao-cao a").get_attribute("href") == f"/nam/{YEAR - 1}/"
    _shot(page, "site_reviewer.png")

    with page.expect_download() as download:
        page.click("#tai-ve >> text=Dự thảo báo cáo (Word)")
    assert Path(download.value.path()).read_bytes() == (site["out"] / str(YEAR) / f"bao_cao_{YEAR}.docx").read_bytes()

    page.click("#tai-ve >> text=Dự thảo báo cáo (xem trên trình duyệt)")
    assert "DỰ THẢO" in page.locator("body").inner_text()
    page.go_back()

    rows.first.locator("text=xem lỗi").click()
    finding = page.locator("#loi tbody tr").first
    text = finding.inner_text()
    assert "Số khóm đạt chuẩn văn minh đô thị" in text and "Chỉ tiêu" in text and "B9" in text
    assert "so_khom_van_minh" not in page.locator("main").inner_text()
    context.close()


def test_data_docs_load_only_local_files_and_list_the_validation_runs(site, browser, requested):
    index = site["out"] / str(YEAR) / "validation" / "data_docs" / "index.html"
    assert external_references(index.read_text(encoding="utf-8"))  # GX's own page names CDNs
    served = localise(index.read_text(encoding="utf-8"), docs_root="/d")
    assert external_references(served) == [] and "amazonaws" not in served
    context, page = _login(browser, site, requested, "hoidong")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site["base"] + f"/nam/{YEAR}/data-docs/index.html")
    # GX writes the table empty and fills it from an inline script with the vendored bootstrap-table.
    table = page.locator("table.ge-index-page-validation-results-table")
    table.locator("tbody tr").first.wait_for()
    assert table.locator("tbody tr").count() >= 4  # one row per suite validated in the run
    assert "stg_indicator_value" in table.inner_text()
    assert page.evaluate("typeof jQuery !== 'undefined' && typeof jQuery.fn.bootstrapTable === 'function'")
    assert errors == []
    context.close()


def test_unit_clerk_uploads_a_corrected_workbook_and_sees_it_accepted(site, browser, requested, tmp_path):
    before = (site["submissions"] / str(YEAR) / "TTT.xlsx").read_bytes()
    context, page = _login(browser, site, requested, "ttt")
    assert page.locator(f"#cac-nam-don-vi tr[data-year='{YEAR}'] .status").get_attribute("data-status") == "rejected"
    page.goto(site["base"] + f"/nam/{YEAR}/don-vi/TTT")
    _shot(page, "site_unit.png")
    corrected = write_xlsx(tmp_path / "ban da sua.xlsx", clean_sheets("TTT", YEAR))
    page.click("#nop-bai")
    page.set_input_files("#tep", str(corrected))
    page.click("#form-nop-bai button")
    page.wait_for_selector("#da-nop")
    assert page.locator("#trang-thai-don-vi .status").get_attribute("data-status") == "accepted"
    assert "Không có lỗi" in page.locator("#loi").inner_text()
    _shot(page, "site_upload.png")
    # Stored exactly as received where ingest reads it; the earlier file kept in the archive.
    assert (site["submissions"] / str(YEAR) / "TTT.xlsx").read_bytes() == corrected.read_bytes()
    kept = sorted((site["submissions"] / "_luu_tru" / str(YEAR) / "TTT").iterdir())
    assert {p.read_bytes() for p in kept} == {before, corrected.read_bytes()}
    context.close()


def test_upload_is_judged_by_content_not_name(site, browser, requested):
    context, page = _login(browser, site, requested, "tp1")
    page.goto(site["base"] + f"/nam/{YEAR}/nop-bai")
    page.set_input_files("#tep", files=[{"name": "TP1.xlsx", "mimeType": "application/vnd.ms-excel",
                                         "buffer": b"ma_don_vi,TP1\n"}])
    page.click("#form-nop-bai button")
    assert "không phải bảng tính Excel" in page.locator("#loi-nop").inner_text()
    assert not (site["submissions"] / "_luu_tru" / str(YEAR) / "TP1").exists()
    context.close()


def test_locked_year_and_a_second_upload_at_once_are_refused_with_the_reason(site, browser, requested):
    record_sign_off(db_path=site["out"] / "thidua.duckdb", run_id="cycle-test", year=YEAR - 1, period_years=1,
                    decision="approve", name="Chủ tịch Hội đồng", outputs=[])
    context, page = _login(browser, site, requested, "tp1")
    page.goto(site["base"] + f"/nam/{YEAR - 1}/nop-bai")
    assert page.locator("#tu-choi").inner_text().startswith("Năm này đã được Chủ tịch Hội đồng ký duyệt ngày")
    assert page.locator("#form-nop-bai").count() == 0
    workbook = write_xlsx(site["root"] / "TP1.xlsx", clean_sheets("TP1", YEAR))
    page.goto(site["base"] + f"/nam/{YEAR}/nop-bai")
    page.set_input_files("#tep", str(workbook))
    with unit_lock("TP1"):  # as if the clerk's previous file were still being checked
        page.click("#form-nop-bai button")
        assert "Đơn vị đang có một tệp khác được kiểm tra" in page.locator("#loi-nop").inner_text()
    assert not (site["submissions"] / "_luu_tru" / str(YEAR) / "TP1").exists()
    context.close()


def test_clerk_gets_403_for_another_units_feedback_and_the_reviewer_pages(site, browser, requested):
    context, page = _login(browser, site, requested, "tp1")
    for path in (f"/nam/{YEAR}/tep/validation/phan_hoi_TTT.xlsx", f"/nam/{YEAR}/don-vi/TTT", f"/nam/{YEAR}/",
                 f"/nam/{YEAR}/tep/bao_cao_{YEAR}.docx", f"/nam/{YEAR}/data-docs/index.html"):
        assert context.request.get(site["base"] + path, max_redirects=0).status == 403, path
    assert context.request.get(site["base"] + f"/nam/{YEAR}/don-vi/TP1").status == 200
    context.close()


@pytest.mark.parametrize("path", [
    f"/nam/{YEAR}/tep/../thidua.duckdb",
    f"/nam/{YEAR}/tep/%2e%2e/thidua.duckdb",
    f"/nam/{YEAR}/tep/..%2f..%2fsecret.txt",
    f"/nam/{YEAR}/tep/validation/%2E%2E/%2E%2E/%2E%2E/secret.txt",
    f"/nam/{YEAR}/tep/%2fetc%2fpasswd",
    f"/nam/{YEAR}/tep//etc/passwd",
    f"/nam/{YEAR}/tep/..%5c..%5csecret.txt",
    f"/nam/{YEAR}/tep/lien_ket.txt",
    f"/nam/{YEAR}/data-docs/..%2f..%2f..%2fsecret.txt",
    "/static/..%2f..%2fapp.py",
    "/static/vendor/../../app.py",
])
def test_traversal_and_links_out_of_the_output_folder_are_refused(site, reviewer_cookie, path):
    assert _raw_get(site, f"/nam/{YEAR}/tep/award_table.csv", reviewer_cookie)[0] == 200  # the same account may read out/
    status, body = _raw_get(site, path, reviewer_cookie)
    assert status in (400, 403, 404)
    assert SECRET.encode() not in body and b"SQLite" not in body and b"DUCK" not in body and b"root:" not in body


def test_no_page_requested_any_address_but_the_site(site, requested):
    assert requested, "the browser tests ran first and logged their requests"
    assert [u for u in requested if not u.startswith(site["base"] + "/")] == []


def test_site_url_builds_http_links_for_prefect():
    assert site_url("http://may-chu:8088/", "validation", 2020) == "http://may-chu:8088/nam/2020/"
    assert site_url("http://may-chu:8088", "unit", 2020, unit="TTT") == "http://may-chu:8088/nam/2020/don-vi/TTT"
    assert site_url("http://h", "changes", 2020, version=3) == "http://h/nam/2020/tep/drafts/003/thay_doi.md"
    assert site_url(None, "draft", 2020) is None


def test_users_cli_stores_argon2_hashes_and_never_the_password(tmp_path):
    from flows.cli import app

    users = tmp_path / "u.yaml"
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "xa1", "--role", "unit", "--unit", "TTT", "--password", PASSWORD,
                                "--users", str(users)])
    assert added.exit_code == 0, added.output
    text = users.read_text(encoding="utf-8")
    assert "$argon2id$" in text and PASSWORD not in text
    assert runner.invoke(app, ["users", "list", "--users", str(users)]).output == "xa1\tunit\tTTT\n"
    bad = runner.invoke(app, ["users", "add", "x", "--role", "unit", "--unit", "KHONGCO", "--password", PASSWORD,
                              "--users", str(users)])
    assert bad.exit_code == 2 and "KHONGCO" in bad.output
    assert runner.invoke(app, ["users", "remove", "xa1", "--users", str(users)]).exit_code == 0
    assert runner.invoke(app, ["users", "list", "--users", str(users)]).output == ""


def test_verdict_names_every_reason_and_a_period_rests_on_each_year():
    from tasks.site.data import verdict, with_period

    units = [{"ma_don_vi": "TTT", "ten_don_vi": "Thị trấn", "trang_thai": "accepted"},
             {"ma_don_vi": "CA", "ten_don_vi": "Công an huyện", "trang_thai": "accepted"}]
    found = [{"unit_code": "CA", "ten_don_vi": "Công an huyện", "severity": "warning",
              "check_code": "vuot_ty_le_toi_da"},
             {"unit_code": "TTT", "ten_don_vi": "Thị trấn", "severity": "warning", "check_code": "thay_doi_lon"}]
    assert verdict(units, found, warnings_acknowledged=True)["reasons"] == [
        "1 đơn vị vượt tỷ lệ Chiến sĩ thi đua cơ sở: Công an huyện (CA)"]
    assert verdict(units, found, warnings_acknowledged=False)["reasons"][0] == "2 cảnh báo chưa được Hội đồng xác nhận đã xem"
    ready = verdict(units, [], warnings_acknowledged=False)
    assert ready == {"ok": True, "reasons": [], "title": "Đủ điều kiện trình ký"}
    earlier = {"year": 2019, "verdict": verdict([], [], warnings_acknowledged=False)}
    assert with_period(ready, [earlier])["title"] == "Chưa đủ: năm 2019 chưa đủ (năm này chưa được kiểm tra số liệu)"


def test_a_zip_of_csv_files_becomes_the_units_csv_folder_and_the_workbook_it_replaces_is_kept(tmp_path):
    import zipfile

    from factories import submission, write_csv_folder
    from tasks.site.uploads import ARCHIVE, UploadRefused, store

    submissions = tmp_path / "submissions"
    old = write_xlsx(submissions / str(YEAR) / "TTT.xlsx", submission("TTT", YEAR, {"so_ho": 1}))
    old_bytes = old.read_bytes()
    folder = write_csv_folder(tmp_path / "csv", submission("TTT", YEAR, {"so_ho": 2}))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, f"TTT/{path.name}")
    stored = store(archive.getvalue(), submissions_dir=submissions, year=YEAR, unit_code="TTT")
    assert stored.kind == "csv" and stored.path == submissions / str(YEAR) / "TTT"
    assert sorted(p.name for p in stored.path.iterdir()) == sorted(p.name for p in folder.iterdir())
    assert (stored.path / "chi_tieu.csv").read_bytes() == (folder / "chi_tieu.csv").read_bytes()
    assert stored.archived.read_bytes() == archive.getvalue()
    assert not old.exists()
    kept = list((submissions / ARCHIVE / str(YEAR) / "TTT").glob("*_truoc_TTT.xlsx"))
    assert [p.read_bytes() for p in kept] == [old_bytes]

    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../thidua.duckdb", b"x")
    with pytest.raises(UploadRefused, match="không chỉ gồm các tệp"):
        store(evil.getvalue(), submissions_dir=submissions, year=YEAR, unit_code="TTT")
