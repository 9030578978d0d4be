"""Sign-off from the site: a reviewer account resumes a paused run through a real Prefect server."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest
import uvicorn
from prefect import flow
from prefect.flow_runs import pause_flow_run

from flows.params import SignOffInput
from tasks.config import load_config
from tasks.site.app import SiteConfig, create_app
from tasks.site.users import add_user
from test_site import ARGS, CHROMIUM, PASSWORD, _free_port

YEAR = 2020


@flow(name="yearly-report")
def waiting_for_sign_off(params: dict) -> dict:
    """The yearly run's gate alone: pause for the same form the cycle shows, return what was entered."""
    answer = pause_flow_run(wait_for_input=SignOffInput, timeout=300, poll_interval=1)
    return answer.model_dump(include={"decision", "name", "comment"})


@pytest.fixture(scope="module")
def site(harness, tmp_path_factory):
    root = tmp_path_factory.mktemp("site-signoff")
    (root / "out" / str(YEAR)).mkdir(parents=True)
    users = root / "site_users.yaml"
    add_user(users, "hoidong", role="reviewer", password=PASSWORD)
    add_user(users, "ttt", role="unit", unit="TTT", password=PASSWORD)
    app = create_app(SiteConfig(out_dir=root / "out", submissions_dir=root / "submissions", config=load_config(),
                                users_file=users, db_path=root / "out" / "thidua.duckdb"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    # The harness's API address lives in this thread's context: the site's thread must see it too.
    thread = threading.Thread(target=contextvars.copy_context().run, args=(server.run,), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_reviewer_approves_the_waiting_run_from_the_year_page_under_their_own_name(site):
    from playwright.sync_api import sync_playwright

    result: list = []

    def cycle_run():
        try:
            result.append(waiting_for_sign_off({"year": YEAR, "period_years": 1}))
        except BaseException as exc:  # shown in the assertion below instead of lost in the thread
            result.append(repr(exc))

    run = threading.Thread(target=contextvars.copy_context().run, args=(cycle_run,))
    run.start()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(site + "/")
        page.fill("#ten", "hoidong")
        page.fill("#mat_khau", PASSWORD)
        page.click("#dang-nhap button")
        deadline = time.monotonic() + 120
        while True:
            page.goto(site + f"/nam/{YEAR}/")
            if page.locator("form#ky-duyet").count() or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert "hoidong" in page.locator("form#ky-duyet").inner_text()  # the account's name, not a typed one
        page.check("input[value=approve]")
        page.fill("#y_kien", "Số liệu đầy đủ")
        page.click("form#ky-duyet button")
        assert "Đã duyệt" in page.locator("#thong-bao").inner_text()
        browser.close()
    run.join(timeout=120)
    assert result == [{"decision": "approve", "name": "hoidong", "comment": "Số liệu đầy đủ"}]


def test_a_unit_account_cannot_sign_off(site):
    import httpx

    response = httpx.post(site + f"/nam/{YEAR}/ky-duyet", auth=("ttt", PASSWORD),
                          data={"quyet_dinh": "approve", "flow_run_id": "x"})
    assert response.status_code == 403
