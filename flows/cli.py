"""`thidua`: the cycle's flows from a terminal."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from tasks.config import PROJECT_ROOT, ConfigError, load_config

app = typer.Typer(
    help="Chu trình báo cáo thi đua, khen thưởng của huyện (thidua).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

# The default config and submissions folders are the project's, wherever `thidua` is started; the help
# says so instead of printing the absolute path. Paths the operator types are read from the current folder.
Year = Annotated[int, typer.Option("--year", metavar="NĂM", help="Năm báo cáo (reporting year)", min=1900, max=2200)]
Submissions = Annotated[Path, typer.Option(
    "--submissions", metavar="THƯ_MỤC", show_default=False,
    help="Thư mục bài nộp (submissions): <thư mục>/<năm>/<MÃ>.xlsx; mặc định data/sample/submissions của dự án")]
ConfigDir = Annotated[Path, typer.Option(
    "--config", metavar="THƯ_MỤC", show_default=False,
    help="Thư mục cấu hình (config): units.yaml, indicators.yaml; mặc định config của dự án")]
Out = Annotated[Path, typer.Option("--out", metavar="THƯ_MỤC", help="Thư mục kết quả (output)")]
Db = Annotated[Optional[Path], typer.Option("--db", metavar="TỆP", help="Tệp DuckDB (mặc định <out>/thidua.duckdb)")]
PeriodYears = Annotated[int, typer.Option(
    "--period-years", metavar="SỐ_NĂM", min=1, max=10,
    help="Số năm của kỳ báo cáo, kết thúc ở --year (5: giai đoạn 5 năm)")]

DEFAULT_SUBMISSIONS = PROJECT_ROOT / "data" / "sample" / "submissions"
DEFAULT_CONFIG = PROJECT_ROOT / "config"


def _fail(message: str, code: int = 2) -> None:
    """One line on stderr and a non-zero exit: 2 when the input cannot be used, 1 when the run could not finish."""
    typer.echo(f"thidua: {message}", err=True)
    raise typer.Exit(code=code)


def _shown(path: Path) -> str:
    """A path as the operator would type it: relative to the current folder when it is inside it."""
    path = Path(path).resolve()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def _load(config_dir: Path):
    import yaml

    if not config_dir.is_dir():
        _fail(f"{_shown(config_dir)}/: không tìm thấy thư mục cấu hình (configuration folder not found)")
    try:
        return load_config(config_dir)
    except ConfigError as exc:
        cause, lines = exc.__cause__, str(exc).splitlines()
        if isinstance(cause, yaml.MarkedYAMLError) and cause.problem_mark is not None:
            path = lines[0].split(": not valid YAML", 1)[0]
            mark = cause.problem_mark
            _fail(f"{_shown(Path(path))}: sai cú pháp YAML ở dòng {mark.line + 1}, cột {mark.column + 1} "
                  f"({cause.problem}); hãy sửa tệp rồi chạy lại")
        more = f" (và {len(lines) - 1} lỗi khác)" if len(lines) > 1 else ""
        first = lines[0].replace(str(config_dir.resolve()), _shown(config_dir))
        _fail(f"cấu hình không dùng được (invalid configuration): {first}{more}")


def _check_year_folders(submissions: Path, years: list[int]) -> None:
    """A year without its folder is refused (a typo, or data not yet copied); an empty one is said and goes on."""
    from tasks.ingest import discover

    if not submissions.is_dir():
        _fail(f"{_shown(submissions)}/: không tìm thấy thư mục bài nộp (submissions folder not found)")
    for y in years:
        if (submissions / str(y)).exists() and not (submissions / str(y)).is_dir():
            _fail(f"{_shown(submissions / str(y))}: là một tệp, không phải thư mục năm {y}; hãy tạo thư mục "
                  f"{_shown(submissions / str(y))}/ và đặt các bài nộp của năm vào đó")
    missing = [y for y in years if not (submissions / str(y)).is_dir()]
    if missing:
        folders = ", ".join(f"{_shown(submissions / str(y))}/" for y in missing)
        _fail(f"không có thư mục bài nộp của năm {', '.join(map(str, missing))}: {folders} "
              f"(tạo thư mục và chép bài nộp vào, hoặc kiểm tra lại --year)")
    for year in years:
        if not discover(submissions / str(year)):
            typer.echo(f"Năm {year}: chưa đơn vị nào nộp ({_shown(submissions / str(year))}/ trống); vẫn chạy tiếp")


@app.command()
def templates(year: Year, out: Annotated[Path, typer.Option("--out", metavar="THƯ_MỤC", help="Thư mục ghi các mẫu trống")],
              config: ConfigDir = DEFAULT_CONFIG) -> None:
    """Ghi mẫu Excel trống cho từng đơn vị phải nộp trong năm (blank workbooks)."""
    from tasks.workbook_templates import write_templates

    paths = write_templates(_load(config), year, out)
    typer.echo(f"Đã ghi {len(paths)} mẫu trống vào {_shown(out)}/")


@app.command()
def ingest(year: Year, submissions: Submissions = DEFAULT_SUBMISSIONS, config: ConfigDir = DEFAULT_CONFIG,
           out: Out = Path("out"), db: Db = None) -> None:
    """Chỉ nhập dữ liệu; in số tệp được nhận / bị trả lại của từng đơn vị."""
    from tasks.db import DatabaseError
    from tasks.ingest import SubmissionsError, ingest_year

    cfg = _load(config)
    _check_year_folders(submissions, [year])
    try:
        summary = ingest_year(cfg, submissions, year, db or out / "thidua.duckdb")
    except (SubmissionsError, DatabaseError) as exc:
        _fail(str(exc))
    print_ingest(summary)


def print_ingest(summary) -> None:
    typer.echo(
        f"Năm {summary.year}: {summary.count('accepted')} tệp mới được nhận, "
        f"{summary.count('rejected')} tệp bị trả lại, {summary.count('unchanged')} tệp không đổi; "
        f"{summary.rows} dòng dữ liệu mới"
    )
    for f in summary.files:
        label = {"accepted": "nhận", "rejected": "TRẢ LẠI", "unchanged": "không đổi"}[f.status]
        detail = f" — {f.reason_vi}" if f.reason_vi else (f", {f.rows} dòng" if f.status == "accepted" else "")
        typer.echo(f"  {f.unit_code:<8} {label:<10} {f.source_path} (lần {f.version}){detail}")


def _preflight(config_dir: Path, submissions: Path, db_path: Path, years: list[int]):
    """The reasons a cycle cannot start, found before Prefect starts: one line, non-zero exit."""
    from tasks.db import DatabaseError, open_db

    cfg = _load(config_dir)
    _check_year_folders(submissions, years)
    try:
        with open_db(db_path):
            pass
    except DatabaseError as exc:
        _fail(str(exc))
    return cfg


def _run_flow(flow, params, server=None):
    """Run a flow on the embedded Prefect server (`server`, started by flows.embedded.start(), or
    Prefect's own), or the one at PREFECT_API_URL; a failure becomes one line and a non-zero exit."""
    from prefect.exceptions import PrefectHTTPStatusError

    from flows import without_heartbeat
    from flows.embedded import TIMEOUT

    try:
        with server.in_use() if server else contextlib.nullcontext(), without_heartbeat():
            state = flow(params, return_state=True)
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code != 401:
            raise
        _fail("máy chủ Prefect từ chối (401 Unauthorized): đặt PREFECT_API_AUTH_STRING=\"tên:mật khẩu\" "
              "như máy chủ (xem README, Access)", code=1)
    except RuntimeError as exc:
        if TIMEOUT not in str(exc):
            raise
        from prefect.settings import get_current_settings

        waited = get_current_settings().server.ephemeral.startup_timeout_seconds
        _fail(f"máy chủ Prefect tạm thời (ephemeral server) không khởi động kịp trong {waited} giây; hãy chạy lại "
              "khi máy bớt bận, đặt PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS lớn hơn, hoặc chạy "
              "`prefect server start` rồi đặt PREFECT_API_URL", code=1)
    result = state.result(raise_on_failure=False)
    if state.is_failed() and isinstance(result, BaseException):
        _fail(str(result).splitlines()[0] if str(result) else type(result).__name__)
    return state, result


def _print_years(db_path: Path, first_year: int, last_year: int) -> None:
    from tasks.db import open_db, query

    with open_db(db_path) as con:
        rows = query(con, "runlog/cli_year_summary", {"first_year": first_year, "last_year": last_year})
    for r in rows:
        line = (f"Năm {r['nam']}: {r['accepted']} đơn vị được chấp nhận, {r['rejected']} bị trả lại, "
                f"{r['missing']} chưa nộp; {r['rows_staged']} dòng dữ liệu")
        if r["rejected_units"]:
            line += f"; trả lại: {r['rejected_units']}"
        if r["missing_units"]:
            line += f"; chưa nộp: {r['missing_units']}"
        typer.echo(line)


@app.command()
def validate(year: Year, submissions: Submissions = DEFAULT_SUBMISSIONS, config: ConfigDir = DEFAULT_CONFIG,
             out: Out = Path("out"), db: Db = None) -> None:
    """Nhập + kiểm tra + công bố báo cáo kiểm tra dữ liệu (validation report) của một năm."""
    from flows import embedded
    from flows.params import CheckParams

    params = CheckParams(year=year, submissions=submissions.resolve(), config=config.resolve(),
                         out=out.resolve(), db=db.resolve() if db else None)
    _preflight(params.config_dir(), params.submissions_dir(), params.db_path(), [year])
    server = embedded.start()  # starts while the stages are imported
    from flows.cycle import collection_check

    _run_flow(collection_check, params, server)
    _print_years(params.db_path(), year, year)
    typer.echo(f"Báo cáo kiểm tra: {_shown(params.out_dir() / str(year) / 'validation' / 'index.html')}")


@app.command()
def run(
    year: Year,
    period_years: PeriodYears = 1,
    sign_off: Annotated[Optional[str], typer.Option(
        "--sign-off", metavar="HỌ_TÊN", help="Ghi quyết định DUYỆT (sign-off) của người này, không dừng chờ")] = None,
    reject: Annotated[Optional[str], typer.Option(
        "--reject", metavar="HỌ_TÊN", help="Ghi quyết định TỪ CHỐI (reject) của người này, kèm --comment")] = None,
    comment: Annotated[str, typer.Option("--comment", metavar="Ý_KIẾN", help="Ý kiến của người duyệt")] = "",
    report_date: Annotated[Optional[datetime], typer.Option(
        "--report-date", formats=["%Y-%m-%d", "%d/%m/%Y"], metavar="NGÀY",
        help="Ngày ghi trên báo cáo (2020-12-15 hoặc 15/12/2020); không có thì để trống cho văn phòng điền")] = None,
    submissions: Submissions = DEFAULT_SUBMISSIONS, config: ConfigDir = DEFAULT_CONFIG,
    out: Out = Path("out"), db: Db = None,
) -> None:
    """Cả chu trình: nhập → kiểm tra → công bố → tổng hợp → dự thảo báo cáo (→ ký duyệt)."""
    from flows import embedded
    from flows.params import CycleParams, SignOff

    if sign_off and reject:
        _fail("chỉ dùng một trong hai: --sign-off hoặc --reject")
    decision = None
    if sign_off or reject:
        decision = SignOff(decision="approve" if sign_off else "reject", name=sign_off or reject, comment=comment)
    params = CycleParams(year=year, period_years=period_years, submissions=submissions.resolve(),
                         config=config.resolve(), out=out.resolve(), db=db.resolve() if db else None,
                         sign_off=decision, report_date=report_date.date() if report_date else None)
    _preflight(params.config_dir(), params.submissions_dir(), params.db_path(), params.years())
    server = embedded.start()  # starts while the stages are imported
    from flows.cycle import BUSY, LOCKED, REFUSED, REJECTED, yearly_report

    state, result = _run_flow(yearly_report, params, server)
    if state.name in (LOCKED, BUSY, REFUSED):
        typer.echo(state.message)
        raise typer.Exit(code=0 if state.name == LOCKED else 1)
    years = params.years()
    _print_years(params.db_path(), years[0], years[-1])
    outcome = result.get("sign_off") if isinstance(result, dict) else None
    typer.echo(f"Kết quả: {_shown(params.out_dir() / str(year))}/")
    if state.name == REJECTED:
        typer.echo(f"Bản dự thảo bị từ chối: {state.message}")
    elif outcome:
        typer.echo(f"Đã ký duyệt bởi {outcome['name']}: bản ký duyệt ở {outcome.get('final_folder')}")
    else:
        typer.echo("Bản DỰ THẢO đã được ghi. Ký duyệt: thidua run --year "
                   f"{year} --period-years {period_years} --sign-off \"Họ tên\" (hoặc --reject \"Họ tên\" --comment \"…\")")


@app.command()
def reopen(
    year: Year,
    reason: Annotated[str, typer.Option("--reason", help="Lý do mở lại năm đã ký duyệt")],
    by: Annotated[str, typer.Option("--by", help="Họ tên người mở lại")] = "",
    out: Out = Path("out"), db: Db = None,
) -> None:
    """Mở lại một năm đã ký duyệt: lượt chạy sau đưa các tệp gửi sau vào số liệu."""
    import getpass

    from tasks.db import DatabaseError
    from tasks.signoff import SignOffError, reopen_year

    try:
        reopened = reopen_year(db_path=db or out / "thidua.duckdb", year=year, reason=reason,
                               by=by or getpass.getuser())
    except (SignOffError, DatabaseError) as exc:
        _fail(str(exc))
    typer.echo(f"Năm {year} đã được mở lại ({reopened['reopened_by']}: {reopened['reason']}). "
               f"Chạy lại: thidua run --year {year}")


@app.command()
def scale(
    year: Year,
    parent: Annotated[Path, typer.Option("--parent", metavar="THƯ_MỤC", help="Thư mục cha: mỗi thư mục con là "
                                         "một huyện/xã (config/ và submissions/<năm>/)")],
    out: Out = Path("out-scale"),
    workers: Annotated[Optional[int], typer.Option(
        "--workers", metavar="SỐ", help="Số tiến trình song song (mặc định: số lõi)", min=1)] = None,
    period_years: PeriodYears = 1,
    on_workers: Annotated[bool, typer.Option(
        "--on-workers", help="Giao mỗi thư mục con cho các Prefect worker (deployment district-run, hàng đợi "
                             "district-run) của máy chủ ở PREFECT_API_URL, thay vì chạy trên máy này")] = False,
) -> None:
    """Chạy nhiều đơn vị cấp huyện song song (tỉnh, toàn quốc) rồi tổng hợp chung."""
    from flows.scale import province_run_on_workers, run_province

    if not parent.is_dir():
        _fail(f"{_shown(parent)}/: không tìm thấy thư mục cha (folder not found)")
    if on_workers:
        if workers is not None:
            _fail("--workers chỉ dùng khi chạy trên máy này; với --on-workers, số worker đang chạy quyết định")
        from prefect.settings import get_current_settings

        if not get_current_settings().api.url:
            _fail("--on-workers cần máy chủ Prefect: đặt PREFECT_API_URL (xem docs/scale.md)")
        from flows import without_heartbeat

        with without_heartbeat():
            result = province_run_on_workers(parent_dir=parent.resolve(), year=year, out_dir=out.resolve(),
                                             period_years=period_years)
    else:
        result = run_province(parent.resolve(), year, out.resolve(), workers=workers, period_years=period_years)
    for key in ("children", "failed", "accepted", "rejected", "missing", "outputs"):
        if key in result:
            typer.echo(f"{key}: {result[key]}")


UsersFile = Annotated[Optional[Path], typer.Option(
    "--users", help="Tệp tài khoản của trang xem xét (mặc định <config>/site_users.yaml)")]


@app.command()
def serve(
    out: Out = Path("out"), submissions: Submissions = DEFAULT_SUBMISSIONS, config: ConfigDir = DEFAULT_CONFIG,
    db: Db = None, users: UsersFile = None,
    host: Annotated[str, typer.Option("--host", help="Địa chỉ lắng nghe; mặc định chỉ máy này")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8088,
) -> None:
    """Trang xem xét cho Hội đồng, Phòng Nội vụ và đơn vị (review site) qua trình duyệt."""
    import os

    import uvicorn

    from tasks.site.app import SiteConfig, create_app
    from tasks.site.users import default_users_file, list_users

    users_file = users or default_users_file(config)
    if not list_users(users_file):
        _fail(f"{users_file}: chưa có tài khoản nào; tạo bằng: thidua users add TÊN --role reviewer")
    site = SiteConfig(out_dir=out.resolve(), submissions_dir=submissions.resolve(), config=_load(config),
                      users_file=users_file.resolve(), db_path=(db or out / "thidua.duckdb").resolve())
    typer.echo(f"Trang xem xét: http://{host}:{port}/ (đặt THIDUA_SITE_URL cho các liên kết từ Prefect)")
    uvicorn.run(create_app(site, secret_key=os.environ.get("THIDUA_SITE_SECRET")), host=host, port=port,
                log_level="warning", server_header=False)


users_app = typer.Typer(help="Tài khoản của trang xem xét (site accounts).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Tên tài khoản")],
    role: Annotated[str, typer.Option("--role", help="reviewer (Hội đồng), office (Phòng Nội vụ) hoặc unit (đơn vị)")],
    unit: Annotated[Optional[str], typer.Option("--unit", help="Mã đơn vị, với --role unit")] = None,
    password: Annotated[Optional[str], typer.Option("--password", help="Mật khẩu; bỏ trống để nhập khi được hỏi")] = None,
    users: UsersFile = None, config: ConfigDir = DEFAULT_CONFIG,
) -> None:
    """Thêm (hoặc đặt lại) một tài khoản; mật khẩu chỉ được lưu dạng băm argon2."""
    from tasks.site.users import UsersError, add_user, default_users_file

    if password is None:
        password = typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    users_file = users or default_users_file(config)
    try:
        user = add_user(users_file, name, role=role, unit=unit, password=password,
                        known_units={u.code for u in _load(config).units})
    except UsersError as exc:
        _fail(str(exc))
    typer.echo(f"Đã lưu tài khoản {user.name} ({user.role}{' ' + user.unit if user.unit else ''}) vào {users_file}")


@users_app.command("remove")
def users_remove(name: Annotated[str, typer.Argument(help="Tên tài khoản")], users: UsersFile = None,
                 config: ConfigDir = DEFAULT_CONFIG) -> None:
    """Xoá một tài khoản (phiên đăng nhập của nó hết hiệu lực ngay)."""
    from tasks.site.users import UsersError, default_users_file, remove_user

    users_file = users or default_users_file(config)
    try:
        remove_user(users_file, name)
    except UsersError as exc:
        _fail(str(exc))
    typer.echo(f"Đã xoá tài khoản {name}")


@users_app.command("list")
def users_list(users: UsersFile = None, config: ConfigDir = DEFAULT_CONFIG) -> None:
    """Liệt kê các tài khoản (không bao giờ in mật khẩu)."""
    from tasks.site.users import default_users_file, list_users

    for user in list_users(users or default_users_file(config)):
        typer.echo(f"{user.name}\t{user.role}\t{user.unit or ''}")


@app.command()
def backup(
    out: Annotated[Path, typer.Option("--out", help="Thư mục kết quả của huyện (thidua.duckdb, <năm>/final/ …)")],
    to: Annotated[Path, typer.Option("--to", help="Tệp sao lưu sẽ ghi (.tar.gz)")],
    submissions: Submissions = DEFAULT_SUBMISSIONS, db: Db = None,
) -> None:
    """Sao lưu một tệp: cơ sở dữ liệu (bản nhất quán), các thư mục năm (final/ đã ký) và bài nộp."""
    from tasks.backup import BackupError
    from tasks.backup import backup as write_backup
    from tasks.db import DatabaseError

    try:
        manifest = write_backup(out_dir=out, to=to, submissions_dir=submissions, db_path=db)
    except (BackupError, DatabaseError) as exc:
        _fail(str(exc))
    typer.echo(f"Đã sao lưu {len(manifest['files'])} tệp vào {to}")


@app.command()
def restore(
    from_: Annotated[Path, typer.Option("--from", help="Tệp sao lưu do `thidua backup` ghi")],
    out: Annotated[Path, typer.Option("--out", help="Thư mục kết quả để khôi phục vào (chưa có dữ liệu)")],
    submissions: Annotated[Optional[Path], typer.Option(
        "--submissions", help="Nơi khôi phục bài nộp (mặc định <out>/submissions)")] = None,
) -> None:
    """Khôi phục một bản sao lưu: CSDL vào <out>/thidua.duckdb, các thư mục năm, bài nộp."""
    from tasks.backup import BackupError
    from tasks.backup import restore as read_backup

    try:
        done = read_backup(archive=from_, out_dir=out, submissions_dir=submissions)
    except BackupError as exc:
        _fail(str(exc))
    typer.echo(f"Đã khôi phục {done.files} tệp: {done.db_path}"
               + (f"; bài nộp: {done.submissions_dir}" if done.submissions_dir else ""))


if __name__ == "__main__":
    app()
