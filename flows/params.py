"""Typed parameters of the flows: the Prefect UI shows them as a form with these descriptions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field

from tasks.config import PROJECT_ROOT

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def anchored(path: Path) -> Path:
    """Relative paths are read from the project folder, whatever folder the worker started in."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


class SignOff(BaseModel):
    """A reviewer's decision on the draft."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"] = Field(
        title="Quyết định",
        description="approve: duyệt, phát hành bản chính thức; reject: từ chối, trả lại bản dự thảo",
    )
    name: str = Field(min_length=1, title="Người duyệt", description="Họ và tên người duyệt")
    comment: str = Field(default="", title="Ý kiến", description="Ý kiến của người duyệt (bắt buộc nên ghi khi từ chối)")


class SignOffInput(RunInput, SignOff):
    """The form the reviewer fills in when resuming a paused run in the Prefect UI."""


class CheckParams(BaseModel):
    """What one validation pass needs: the year and where the data lives."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(
        default=None, ge=1900, le=2200, title="Năm báo cáo",
        description="Năm báo cáo; để trống: năm hiện tại (giờ Việt Nam)",
    )
    submissions: Path = Field(
        default=Path("data/sample/submissions"), title="Thư mục bài nộp",
        description="Thư mục bài nộp <thư mục>/<năm>/<MÃ>.xlsx; đường dẫn tương đối tính từ thư mục dự án",
    )
    config: Path = Field(
        default=Path("config"), title="Thư mục cấu hình",
        description="Thư mục cấu hình (units.yaml, indicators.yaml, settings.yaml)",
    )
    out: Path = Field(default=Path("out"), title="Thư mục kết quả", description="Thư mục kết quả; mỗi năm một thư mục con")
    db: Path | None = Field(default=None, title="Tệp cơ sở dữ liệu", description="Tệp DuckDB; để trống: <kết quả>/thidua.duckdb")

    def report_year(self) -> int:
        return self.year or dt.datetime.now(TIMEZONE).year

    def submissions_dir(self) -> Path:
        return anchored(self.submissions)

    def config_dir(self) -> Path:
        return anchored(self.config)

    def out_dir(self) -> Path:
        return anchored(self.out)

    def db_path(self) -> Path:
        return anchored(self.db) if self.db else self.out_dir() / "thidua.duckdb"


class CycleParams(CheckParams):
    """The yearly cycle: a period of years ending with `year`, and (for local runs) the decision."""

    period_years: int = Field(
        default=1, ge=1, le=10, title="Số năm của kỳ báo cáo",
        description="Số năm của kỳ báo cáo, kết thúc ở năm báo cáo (ví dụ 5 cho giai đoạn 2016–2020)",
    )
    sign_off: SignOff | None = Field(
        default=None, title="Ký duyệt (chạy tại máy)",
        description="Chỉ khi chạy tại máy: quyết định ký duyệt ghi sẵn, không dừng chờ. "
        "Khi chạy từ deployment, người duyệt nhập quyết định trong biểu mẫu Resume của giao diện Prefect.",
    )
    sign_off_timeout_hours: float = Field(
        default=72, gt=0, title="Thời hạn chờ ký duyệt (giờ)",
        description="Số giờ chờ người duyệt trước khi lượt chạy hết hạn (chỉ khi chạy từ deployment)",
    )

    def years(self) -> list[int]:
        last = self.report_year()
        return list(range(last - self.period_years + 1, last + 1))
