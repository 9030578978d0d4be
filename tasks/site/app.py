"""The review site as a Starlette application: pages, downloads, uploads and sign-off, behind accounts."""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import json
import logging
import mimetypes
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tasks.config import PROJECT_ROOT, Config
from tasks.site import data, datadocs, files, uploads
from tasks.site.users import ROLE_VI, User, authenticate, lookup
from tasks.runlog import now_vn

TEMPLATES_DIR = PROJECT_ROOT / "templates" / "site"
STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "thidua_phien"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SiteConfig:
    out_dir: Path
    submissions_dir: Path
    config: Config
    users_file: Path
    db_path: Path


def create_app(site: SiteConfig, *, secret_key: str | None = None) -> Starlette:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["ngay"] = lambda d: f"{d:%d/%m/%Y %H:%M}" if d else ""
    app = Starlette(
        routes=[
            Route("/dang-nhap", login, methods=["GET", "POST"]),
            Route("/dang-xuat", logout, methods=["POST"]),
            Route("/", home),
            Route("/nam/{year:int}/", year_page),
            Route("/nam/{year:int}/don-vi/{code}", unit_page),
            Route("/nam/{year:int}/tep/{path:path}", year_file),
            Route("/nam/{year:int}/data-docs/{path:path}", data_docs),
            Route("/nam/{year:int}/mau-trong", blank_template),
            Route("/nam/{year:int}/nop-bai", upload, methods=["GET", "POST"]),
            Route("/nam/{year:int}/xac-nhan-canh-bao", acknowledge_warnings, methods=["POST"]),
            Route("/nam/{year:int}/ky-duyet", sign_off, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SessionMiddleware, secret_key=secret_key or secrets.token_urlsafe(32),
                       session_cookie=SESSION_COOKIE, same_site="strict", max_age=12 * 3600),
        ],
        exception_handlers={HTTPException: _error_page, data.DataUnavailable: _busy_page, Exception: _crash_page},
    )
    app.state.site, app.state.env = site, env
    return app


class SecurityHeaders:
    """Every answer names the site as the only source of anything a page loads, and is never cached."""

    defaults = ((b"content-security-policy", datadocs.site_policy().encode()), (b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"same-origin"), (b"cache-control", b"no-store"))

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in self.defaults if k not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


# --- accounts -------------------------------------------------------------------------------

def current_user(request: Request) -> User | None:
    """The session's account, or HTTP Basic's (hashed once per request: argon2 is slow on purpose)."""
    if "thidua_user" not in request.scope:
        request.scope["thidua_user"] = _identify(request)
    return request.scope["thidua_user"]


def _identify(request: Request) -> User | None:
    site: SiteConfig = request.app.state.site
    name = request.session.get("user")
    if name:
        return lookup(site.users_file, name)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            name, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return authenticate(site.users_file, name, password)
    return None


def require(request: Request, *roles: str) -> User:
    user = current_user(request)
    if user is None:
        if request.headers.get("authorization"):
            raise HTTPException(401, "Sai tên tài khoản hoặc mật khẩu.", headers={"WWW-Authenticate": 'Basic realm="thidua"'})
        raise HTTPException(303, headers={"Location": "/dang-nhap?tiep=" + quote(request.url.path)})
    if roles and user.role not in roles:
        raise HTTPException(403, "Tài khoản của bạn không có quyền xem trang này.")
    return user


def _check_form(request: Request, form) -> None:
    """POSTs from a session carry its token; Basic-authenticated ones must not come from another site."""
    if request.session.get("user"):
        if not hmac.compare_digest(str(form.get("csrf", "")), request.session.get("csrf", "-")):
            raise HTTPException(403, "Biểu mẫu đã hết hạn; hãy tải lại trang rồi gửi lại.")
    elif request.headers.get("origin") not in (None, f"{request.url.scheme}://{request.url.netloc}"):
        raise HTTPException(403, "Yêu cầu đến từ trang khác bị từ chối.")


def _csrf(request: Request) -> str:
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return request.session["csrf"]


async def login(request: Request):
    site: SiteConfig = request.app.state.site
    target = request.query_params.get("tiep", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    error = None
    if request.method == "POST":
        form = await request.form()
        user = await run_in_threadpool(authenticate, site.users_file, str(form.get("ten", "")),
                                       str(form.get("mat_khau", "")))
        if user:
            request.session.clear()
            request.session.update({"user": user.name, "csrf": secrets.token_urlsafe(24)})
            return RedirectResponse(target, status_code=303)
        error = "Sai tên tài khoản hoặc mật khẩu."
    return _render(request, "login.html", {"error": error, "tiep": target}, user=None,
                   status_code=401 if error else 200)


async def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/dang-nhap", status_code=303)


# --- pages ----------------------------------------------------------------------------------
# Pages are plain functions: Starlette runs them in its thread pool, so a read waiting for an
# upload's write (DB_LOCK) or for Prefect never stalls the event loop for everyone else.

def _render(request: Request, template: str, context: dict, *, user: User | None, status_code: int = 200):
    site: SiteConfig = request.app.state.site
    page = request.app.state.env.get_template(template).render(
        **context, user=user, role_vi=ROLE_VI.get(user.role) if user else None, district=site.config.district,
        csrf=_csrf(request) if user else "", now=now_vn())
    return HTMLResponse(page, status_code=status_code)


async def _error_page(request: Request, exc: HTTPException):
    if exc.status_code in (301, 302, 303):
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    messages = {403: "Không có quyền truy cập.", 404: "Không tìm thấy trang hoặc tệp này.",
                405: "Thao tác không được hỗ trợ."}
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail not in ("Not Found", "Method Not Allowed") \
        else messages.get(exc.status_code, "Không thực hiện được yêu cầu.")
    user = current_user(request) if "session" in request.scope else None
    response = _render(request, "error.html", {"code": exc.status_code, "message": detail}, user=user,
                       status_code=exc.status_code)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def _busy_page(request: Request, exc: Exception):
    return await _error_page(request, HTTPException(503, "Số liệu đang được cập nhật bởi một lượt chạy; hãy tải lại trang sau ít phút."))


async def _crash_page(request: Request, exc: Exception):
    log.error("error on %s", request.url.path, exc_info=exc)
    return await _error_page(request, HTTPException(500, "Trang gặp lỗi của chương trình; Phòng Nội vụ đã được ghi nhận, hãy thử lại sau."))


def _year_summary(site: SiteConfig, con, year: int) -> dict:
    units = data.statuses(con, year)
    found = data.findings(con, year, site.config)
    run = data.validation_run(con, year)
    ack = _acknowledgements(site).get(str(year))
    acknowledged = bool(run and ack and ack.get("run_id") == run["run_id"])
    return {"year": year, "units": units, "findings": found, "run": run, "ack": ack if acknowledged else None,
            "verdict": data.verdict(units, found, warnings_acknowledged=acknowledged)}


def home(request: Request):
    user = require(request)
    site: SiteConfig = request.app.state.site
    if not user.sees_everything:
        with data.read_db(site.db_path) as con:
            years = data.unit_years(con, user.unit)
        unit = site.config.unit(user.unit)
        return _render(request, "unit_home.html", {"years": years, "unit": unit, "code": user.unit,
                                                   "open_years": _open_years(site, user.unit)}, user=user)
    with data.read_db(site.db_path) as con:
        years = [_year_summary(site, con, y) for y in files.year_dirs(site.out_dir)]
    return _render(request, "home.html", {"years": years}, user=user)


def _acknowledgements(site: SiteConfig) -> dict:
    path = site.out_dir / ".site" / "xac_nhan_canh_bao.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _year_dir(site: SiteConfig, year: int) -> Path:
    path = site.out_dir / str(year)
    if not path.is_dir():
        raise HTTPException(404, f"Chưa có kết quả của năm {year}.")
    return path


def year_page(request: Request):
    year = request.path_params["year"]
    user = require(request, "reviewer", "office")
    site: SiteConfig = request.app.state.site
    year_dir = _year_dir(site, year)
    with data.read_db(site.db_path) as con:
        summary = _year_summary(site, con, year)
        drafts = data.drafts(con, year)
        decisions = data.sign_offs(con, year)
        period_years = drafts[0]["period_years"] if drafts else 1
        period = [_year_summary(site, con, y) for y in range(year - period_years + 1, year)]
    summary["verdict"] = data.with_period(summary["verdict"], period)
    with_findings = {f["unit_code"] for f in summary["findings"]}
    feedback = {c for c in with_findings if _has_feedback(site, year, c)}
    waiting, prefect_error = None, None
    if user.role == "reviewer":
        waiting, prefect_error = _waiting_run(year)
    context = {
        **summary,
        "units": data.problems_first(summary["units"]),
        "warnings": [f for f in summary["findings"] if f["severity"] == "warning"],
        "feedback": feedback,
        "period": period,
        "period_years": period_years,
        "downloads": _downloads(year_dir, year),
        "drafts": [{**d, "folder": f"{d['version']:03d}", "files": _listing(year_dir / "drafts" / f"{d['version']:03d}", year)}
                   for d in drafts],
        "final": _listing(year_dir / "final", year),
        "decisions": decisions,
        "waiting": waiting,
        "prefect_error": prefect_error,
        "has_data_docs": (year_dir / "validation" / "data_docs" / "index.html").is_file(),
        "message": request.query_params.get("tb"),
    }
    return _render(request, "year.html", context, user=user)


def _has_feedback(site: SiteConfig, year: int, code: str) -> bool:
    """Call only for a unit with standing findings: publish leaves a fixed unit's old workbook behind."""
    return (site.out_dir / str(year) / "validation" / f"phan_hoi_{code}.xlsx").is_file()


def _waiting_run(year: int) -> tuple[dict | None, str | None]:
    from tasks.site import resume

    if not resume.prefect_configured():
        return None, "Trang này chưa được nối với máy chủ chạy chu trình nên chưa ký duyệt được tại đây."
    try:
        return resume.paused_run(year), None
    except Exception as exc:  # the page still shows everything else
        log.warning("Prefect unreachable: %s", exc)
        return None, "Không liên lạc được với máy chủ chạy chu trình; hãy thử lại sau ít phút."


def _labels(year: int) -> dict[str, str]:
    return {f"bao_cao_{year}.docx": "Dự thảo báo cáo (Word)", f"bao_cao_{year}.html": "Dự thảo báo cáo (xem trên trình duyệt)",
              f"bao_cao_{year}.md": "Dự thảo báo cáo (văn bản thuần)", f"tong_hop_{year}.xlsx": "Bảng tổng hợp (Excel)",
              "district_indicators.csv": "Chỉ tiêu toàn huyện (CSV)", "award_table.csv": "Bảng khen thưởng (CSV)",
              "period_indicators.csv": "Chỉ tiêu cả giai đoạn (CSV)", "submission_status.csv": "Trạng thái nộp bài (CSV)",
              "drafts/latest/thay_doi.md": "Những thay đổi so với bản dự thảo trước",
              "thay_doi.md": "Những thay đổi so với bản trước", "run_log.csv": "Nhật ký lượt chạy (CSV)"}


def _downloads(year_dir: Path, year: int) -> list[dict]:
    labels = _labels(year)
    return [{"path": p, "label": label} for p, label in labels.items() if (year_dir / p).is_file()
            and p not in ("thay_doi.md", "run_log.csv")]


def _listing(folder: Path, year: int) -> list[dict]:
    """The files of a draft or the signed folder, labelled in Vietnamese where the name is known."""
    if not folder.is_dir():
        return []
    labels = _labels(year)
    return [{"name": p.name, "label": labels.get(p.name, p.name)}
            for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")]


def unit_page(request: Request):
    year, code = request.path_params["year"], request.path_params["code"]
    user = require(request)
    if not user.may_see_unit(code):
        raise HTTPException(403, "Tài khoản đơn vị chỉ xem được kết quả của chính đơn vị mình.")
    site: SiteConfig = request.app.state.site
    with data.read_db(site.db_path) as con:
        status = next((s for s in data.statuses(con, year) if s["ma_don_vi"] == code), None)
        found = data.findings(con, year, site.config, unit_code=code)
        locked = data.lock_reason(data.sign_offs(con, year))
    if status is None and site.config.unit(code) is None:
        raise HTTPException(404, f"Không có đơn vị mã {code} trong năm {year}.")
    unit = site.config.unit(code)
    context = {
        "year": year, "code": code, "unit": unit, "status": status, "findings": found, "locked": locked,
        "feedback": bool(found) and _has_feedback(site, year, code),
        "can_upload": user.role == "unit" and not locked and unit is not None and unit.expected_in(year),
        "just_uploaded": request.query_params.get("da_nop") == "1",
    }
    return _render(request, "unit.html", context, user=user)


# --- files ----------------------------------------------------------------------------------

def _file_response(path: Path, *, download: bool = False) -> Response:
    media = {".md": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8",
             ".html": "text/html; charset=utf-8"}.get(path.suffix) or mimetypes.guess_type(path.name)[0] \
        or "application/octet-stream"
    disposition = "attachment" if download or path.suffix in (".docx", ".xlsx", ".csv") else "inline"
    return FileResponse(path, media_type=media, content_disposition_type=disposition,
                        filename=path.name if disposition == "attachment" else None)


def year_file(request: Request):
    year, relative = request.path_params["year"], request.path_params["path"]
    user = require(request)
    site: SiteConfig = request.app.state.site
    if not user.sees_everything and relative != f"validation/phan_hoi_{user.unit}.xlsx":
        raise HTTPException(403, "Tài khoản đơn vị chỉ tải được tệp phản hồi của chính đơn vị mình.")
    path = files.safe_file(_year_dir(site, year), relative)
    if path is None:
        raise HTTPException(404)
    return _file_response(path)


def data_docs(request: Request):
    year, relative = request.path_params["year"], request.path_params["path"]
    require(request, "reviewer", "office")
    site: SiteConfig = request.app.state.site
    path = files.safe_file(_year_dir(site, year) / "validation" / "data_docs", relative)
    if path is None:
        raise HTTPException(404)
    if path.suffix != ".html":
        return _file_response(path)
    html = datadocs.localise(path.read_text(encoding="utf-8", errors="replace"), docs_root=f"/nam/{year}/data-docs")
    policy = datadocs.script_policy(html, allow_inline=relative == "index.html")
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def blank_template(request: Request):
    from tasks.workbook_templates import build_template

    year = request.path_params["year"]
    user = require(request)
    site: SiteConfig = request.app.state.site
    code = user.unit if user.role == "unit" else request.query_params.get("don_vi", "")
    unit = site.config.unit(code)
    if unit is None or not unit.expected_in(year):
        raise HTTPException(404, f"Đơn vị {code} không phải nộp báo cáo năm {year}.")
    buffer = io.BytesIO()
    build_template(site.config, unit, year).save(buffer)
    return Response(buffer.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{code}_{year}_mau_trong.xlsx"'})


# --- uploads --------------------------------------------------------------------------------

def _open_years(site: SiteConfig, code: str) -> list[int]:
    """Years a unit may still send a file for: written or collected, expected of it, not locked."""
    unit = site.config.unit(code)
    years = set(files.year_dirs(site.out_dir)) | set(files.year_dirs(site.submissions_dir))
    if unit is None:
        return []
    with data.read_db(site.db_path) as con:
        return sorted((y for y in years if unit.expected_in(y) and not data.lock_reason(data.sign_offs(con, y))),
                      reverse=True)


async def upload(request: Request):
    year = request.path_params["year"]
    user = require(request, "unit")
    site: SiteConfig = request.app.state.site
    code, unit = user.unit, site.config.unit(user.unit)
    refusal = await run_in_threadpool(_lock_reason, site, year)
    if unit is None or not unit.expected_in(year):
        refusal = f"Đơn vị {code} không phải nộp báo cáo năm {year}."
    context = {"year": year, "code": code, "unit": unit, "refusal": refusal, "error": None,
               "limit_mb": uploads.MAX_FILE_BYTES // 1024 // 1024}
    if request.method == "GET" or refusal:
        return _render(request, "upload.html", context, user=user, status_code=200 if request.method == "GET" else 409)
    length = int(request.headers.get("content-length") or 0)
    if length > uploads.MAX_FILE_BYTES + 64 * 1024:
        context["error"] = f"Tệp quá lớn (tối đa {context['limit_mb']} MB)."
        return _render(request, "upload.html", context, user=user, status_code=413)
    lock = uploads.unit_lock(code)
    if not lock.acquire(blocking=False):
        context["error"] = "Đơn vị đang có một tệp khác được kiểm tra; hãy chờ kết quả rồi mới gửi tiếp."
        return _render(request, "upload.html", context, user=user, status_code=409)
    try:
        return await _receive(request, site, context, user)
    finally:
        lock.release()


async def _receive(request: Request, site: SiteConfig, context: dict, user: User):
    """Store the file as received, then check it; each failure tells the clerk whether the file was kept."""
    from tasks.db import DatabaseError

    year, code = context["year"], context["code"]
    try:
        form = await request.form(max_files=1, max_fields=4)
    except MultiPartException:
        context["error"] = "Không đọc được biểu mẫu gửi lên; hãy chọn lại tệp rồi gửi."
        return _render(request, "upload.html", context, user=user, status_code=422)
    _check_form(request, form)
    part = form.get("tep")
    try:
        if part is None or isinstance(part, str):
            raise uploads.UploadRefused("chưa chọn tệp để gửi")
        payload = uploads.spooled(part)
        await run_in_threadpool(uploads.store, payload, submissions_dir=site.submissions_dir, year=year,
                                unit_code=code)
    except uploads.UploadRefused as exc:
        context["error"] = f"Tệp “{_shown_name(part)}” không được nhận: {exc}."
        return _render(request, "upload.html", context, user=user, status_code=422)
    try:
        await run_in_threadpool(uploads.check_now, site.config, submissions_dir=site.submissions_dir, year=year,
                                db_path=site.db_path, out_dir=site.out_dir)
    except DatabaseError:
        context["error"] = ("Tệp đã được lưu nhưng cơ sở dữ liệu đang được một lượt chạy khác sử dụng; "
                            "tệp sẽ được kiểm tra ở lượt chạy sau, hoặc hãy gửi lại sau ít phút.")
        return _render(request, "upload.html", context, user=user, status_code=503)
    except Exception:
        log.exception("checking the upload of %s for %s failed", code, year)
        context["error"] = ("Tệp đã được lưu nhưng việc kiểm tra gặp lỗi của chương trình; "
                            "Phòng Nội vụ sẽ kiểm tra, đơn vị không cần gửi lại.")
        return _render(request, "upload.html", context, user=user, status_code=500)
    return RedirectResponse(f"/nam/{year}/don-vi/{quote(code)}?da_nop=1", status_code=303)


def _lock_reason(site: SiteConfig, year: int) -> str | None:
    with data.read_db(site.db_path) as con:
        return data.lock_reason(data.sign_offs(con, year))


def _shown_name(part) -> str:
    return (getattr(part, "filename", None) or "").replace("\\", "/").rsplit("/", 1)[-1][:80]


# --- reviewer actions -----------------------------------------------------------------------

async def acknowledge_warnings(request: Request):
    year = request.path_params["year"]
    user = require(request, "reviewer")
    _check_form(request, await request.form())
    site: SiteConfig = request.app.state.site
    run = await run_in_threadpool(_validation_run, site, year)
    if run is None:
        raise HTTPException(404, f"Năm {year} chưa được kiểm tra.")
    acks = _acknowledgements(site)
    acks[str(year)] = {"run_id": run["run_id"], "name": user.name, "at": f"{now_vn():%d/%m/%Y %H:%M}"}
    path = site.out_dir / ".site" / "xac_nhan_canh_bao.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(acks, ensure_ascii=False, indent=1), encoding="utf-8")
    return RedirectResponse(f"/nam/{year}/", status_code=303)


def _validation_run(site: SiteConfig, year: int) -> dict | None:
    with data.read_db(site.db_path) as con:
        return data.validation_run(con, year)


async def sign_off(request: Request):
    from tasks.site import resume

    year = request.path_params["year"]
    user = require(request, "reviewer")
    form = await request.form()
    _check_form(request, form)
    decision, comment = str(form.get("quyet_dinh", "")), str(form.get("y_kien", "")).strip()
    if decision not in ("approve", "reject"):
        raise HTTPException(422, "Hãy chọn Duyệt hoặc Từ chối.")
    if decision == "reject" and not comment:
        return RedirectResponse(f"/nam/{year}/?tb=" + quote("Khi từ chối cần ghi ý kiến."), status_code=303)
    waiting, error = await run_in_threadpool(_waiting_run, year)
    if waiting is None or waiting["id"] != form.get("flow_run_id"):
        return RedirectResponse(f"/nam/{year}/?tb=" + quote(error or "Không còn lượt chạy nào chờ ký duyệt năm này."),
                                status_code=303)
    # Prefect's sync API would hand back an unawaited coroutine inside the event loop: run it in a thread.
    # The draft the page showed: the cycle refuses it, writing nothing, if a newer one exists.
    shown = str(form.get("draft_version", "")).strip()
    if shown and not shown.isdigit():
        raise HTTPException(422, "Lần của bản dự thảo không hợp lệ; hãy tải lại trang.")
    draft_version = int(shown) if shown else None
    await run_in_threadpool(resume.resume, uuid.UUID(waiting["id"]), decision=decision, name=user.name,
                            comment=comment, draft_version=draft_version)
    done = "Đã duyệt" if decision == "approve" else "Đã từ chối"
    return RedirectResponse(f"/nam/{year}/?tb=" + quote(f"{done} bản dự thảo; lượt chạy đang tiếp tục."), status_code=303)

