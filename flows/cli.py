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


if __name__ == "__main__":
    app()
