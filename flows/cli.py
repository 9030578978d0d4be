"""`thidua`: the cycle's flows from a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tasks.config import PROJECT_ROOT, ConfigError, load_config

app = typer.Typer(
    help="Chu trình báo cáo thi đua, khen thưởng của huyện (thidua).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

Year = Annotated[int, typer.Option("--year", help="Năm báo cáo (reporting year)", min=1900, max=2200)]
Submissions = Annotated[Path, typer.Option("--submissions", help="Thư mục bài nộp: <thư mục>/<năm>/<MÃ>.xlsx")]
ConfigDir = Annotated[Path, typer.Option("--config", help="Thư mục cấu hình: units.yaml, indicators.yaml")]
Out = Annotated[Path, typer.Option("--out", help="Thư mục kết quả")]
Db = Annotated[Optional[Path], typer.Option("--db", help="Tệp DuckDB (mặc định <out>/thidua.duckdb)")]

DEFAULT_SUBMISSIONS = PROJECT_ROOT / "data" / "sample" / "submissions"
DEFAULT_CONFIG = PROJECT_ROOT / "config"


def _fail(message: str) -> None:
    typer.echo(f"thidua: {message}", err=True)
    raise typer.Exit(code=2)


def _load(config_dir: Path):
    try:
        return load_config(config_dir)
    except ConfigError as exc:
        _fail(str(exc).splitlines()[0])


@app.command()
def templates(year: Year, out: Annotated[Path, typer.Option("--out", help="Thư mục ghi các mẫu trống")],
              config: ConfigDir = DEFAULT_CONFIG) -> None:
    """Ghi mẫu Excel trống cho từng đơn vị phải nộp trong năm (blank workbooks)."""
    from tasks.workbook_templates import write_templates

    paths = write_templates(_load(config), year, out)
    typer.echo(f"Đã ghi {len(paths)} mẫu trống vào {out}")


@app.command()
def ingest(year: Year, submissions: Submissions = DEFAULT_SUBMISSIONS, config: ConfigDir = DEFAULT_CONFIG,
           out: Out = Path("out"), db: Db = None) -> None:
    """Chỉ nhập dữ liệu; in số tệp được nhận / bị trả lại của từng đơn vị."""
    from tasks.db import DatabaseError
    from tasks.ingest import SubmissionsError, ingest_year

    cfg = _load(config)
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


def _preflight(config_dir: Path, submissions: Path, db_path: Path):
    """The reasons a cycle cannot start, found before Prefect starts: one line, non-zero exit."""
    from tasks.db import DatabaseError, open_db

    cfg = _load(config_dir)
    if not submissions.is_dir():
        _fail(f"{submissions}: không tìm thấy thư mục bài nộp (submissions folder not found)")
    try:
        with open_db(db_path):
            pass
    except DatabaseError as exc:
        _fail(str(exc))
    return cfg


def _run_flow(flow, params):
    """Run a flow on the embedded Prefect server; a failure becomes one line and a non-zero exit."""
    from flows import without_heartbeat

    with without_heartbeat():
        state = flow(params, return_state=True)
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
    from flows.cycle import collection_check
    from flows.params import CheckParams

    params = CheckParams(year=year, submissions=submissions.resolve(), config=config.resolve(),
                         out=out.resolve(), db=db.resolve() if db else None)
    _preflight(params.config_dir(), params.submissions_dir(), params.db_path())
    _run_flow(collection_check, params)
    _print_years(params.db_path(), year, year)
    typer.echo(f"Báo cáo kiểm tra: {params.out_dir() / str(year) / 'validation' / 'index.html'}")


@app.command()
def run(
    year: Year,
    period_years: Annotated[int, typer.Option("--period-years", help="Số năm của kỳ báo cáo, kết thúc ở --year", min=1, max=10)] = 1,
    sign_off: Annotated[Optional[str], typer.Option("--sign-off", help="Ghi quyết định DUYỆT của người này (không dừng chờ)")] = None,
    reject: Annotated[Optional[str], typer.Option("--reject", help="Ghi quyết định TỪ CHỐI của người này")] = None,
    comment: Annotated[str, typer.Option("--comment", help="Ý kiến của người duyệt")] = "",
    submissions: Submissions = DEFAULT_SUBMISSIONS, config: ConfigDir = DEFAULT_CONFIG,
    out: Out = Path("out"), db: Db = None,
) -> None:
    """Cả chu trình: nhập → kiểm tra → công bố → tổng hợp → dự thảo báo cáo (→ ký duyệt)."""
    from flows.cycle import yearly_report
    from flows.params import CycleParams, SignOff

    if sign_off and reject:
        _fail("chỉ dùng một trong hai: --sign-off hoặc --reject")
    decision = None
    if sign_off or reject:
        decision = SignOff(decision="approve" if sign_off else "reject", name=sign_off or reject, comment=comment)
    params = CycleParams(year=year, period_years=period_years, submissions=submissions.resolve(),
                         config=config.resolve(), out=out.resolve(), db=db.resolve() if db else None,
                         sign_off=decision)
    _preflight(params.config_dir(), params.submissions_dir(), params.db_path())
    state, result = _run_flow(yearly_report, params)
    years = params.years()
    _print_years(params.db_path(), years[0], years[-1])
    outcome = result.get("sign_off") if isinstance(result, dict) else None
    typer.echo(f"Kết quả: {params.out_dir() / str(year)}")
    if state.is_failed():
        typer.echo(f"Bản dự thảo bị từ chối: {state.message}")
    elif outcome:
        typer.echo(f"Đã ký duyệt bởi {outcome['name']}: bản chính thức đã được ghi.")
    else:
        typer.echo("Bản DỰ THẢO đã được ghi. Ký duyệt: thidua run --year "
                   f"{year} --period-years {period_years} --sign-off \"Họ tên\" (hoặc --reject \"Họ tên\" --comment \"…\")")


@app.command()
def scale(
    year: Year,
    parent: Annotated[Path, typer.Option("--parent", help="Thư mục cha: mỗi thư mục con là một huyện/xã "
                                         "(config/ và submissions/<năm>/)")],
    out: Out = Path("out-scale"),
    workers: Annotated[Optional[int], typer.Option("--workers", help="Số tiến trình song song (mặc định: số lõi)", min=1)] = None,
    period_years: Annotated[int, typer.Option("--period-years", min=1, max=10)] = 1,
    on_workers: Annotated[bool, typer.Option(
        "--on-workers", help="Giao mỗi thư mục con cho các Prefect worker (deployment district-run) "
                             "của máy chủ ở PREFECT_API_URL, thay vì chạy trên máy này")] = False,
) -> None:
    """Chạy nhiều đơn vị cấp huyện song song (tỉnh, toàn quốc) rồi tổng hợp chung."""
    from flows.scale import province_run_on_workers, run_province

    if not parent.is_dir():
        _fail(f"{parent}: không tìm thấy thư mục (folder not found)")
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
