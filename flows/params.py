"""Typed parameters of the flows: the Prefect UI shows them as a form with these descriptions."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Annotated, Literal

from prefect.input import RunInput
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model
from pydantic.json_schema import SkipJsonSchema

from tasks.config import PROJECT_ROOT
from tasks.runlog import TIMEZONE

# The UI's form shows `X | None` as a choice of types; these show a plain field that may stay empty
# (no `null` default in the schema either: a form left empty sends nothing, which means None).
def _no_null_default(schema: dict) -> None:
    if schema.get("default", 0) is None:
        del schema["default"]


OptionalYear = Annotated[int | None, WithJsonSchema({"type": "integer", "minimum": 1900, "maximum": 2200})]
OptionalPath = Annotated[Path | None, WithJsonSchema({"type": "string", "format": "path"})]
OptionalDate = Annotated[dt.date | None, WithJsonSchema({"type": "string", "format": "date"})]
OptionalVersion = Annotated[int | None, WithJsonSchema({"type": "integer", "minimum": 1})]
EMPTY = {"default": None, "json_schema_extra": _no_null_default}


def anchored(path: Path) -> Path:
    """Relative paths are read from the project folder, whatever folder the worker started in."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


class SignOff(BaseModel):
    """A reviewer's decision on the draft."""

    model_config = ConfigDict(extra="forbid")

    # The values stay approve/reject; the form shows each with its Vietnamese title.
    decision: Annotated[Literal["approve", "reject"], WithJsonSchema({
        "type": "string", "enum": ["approve", "reject"],
        "oneOf": [{"const": "approve", "title": "Duyệt"}, {"const": "reject", "title": "Từ chối"}],
    })] = Field(
        title="Quyết định",
        description="Duyệt (approve): phát hành bản ký duyệt; Từ chối (reject): trả lại bản dự thảo",
    )
    name: str = Field(min_length=1, title="Người duyệt", description="Họ và tên người duyệt")
    comment: str = Field(default="", title="Ý kiến", description="Ý kiến của người duyệt (nên ghi khi từ chối)")
    draft_version: OptionalVersion = Field(
        **EMPTY, title="Bản dự thảo lần",
        description="Lần của bản dự thảo được duyệt; chỉ bản mới nhất được ký duyệt",
    )


class SignOffInput(RunInput, SignOff):
    """The form the reviewer fills in when resuming a paused run in the Prefect UI."""

    @classmethod
    def for_draft(cls, *, description: str, draft_version: int) -> type[SignOffInput]:
        """The form of one draft: its version required and filled in. (`with_initial_data` would drop
        the field's Vietnamese title and show a type toggle.)"""
        field = SignOff.model_fields["draft_version"]
        form = create_model(cls.__name__, __base__=cls, draft_version=(int, Field(
            ge=1, title=field.title, description=field.description, json_schema_extra={"default": draft_version})))
        form._description = description
        return form


class CheckParams(BaseModel):
    """What one validation pass needs: the year and where the data lives."""

    model_config = ConfigDict(extra="forbid")

    year: OptionalYear = Field(
        **EMPTY, ge=1900, le=2200, title="Năm báo cáo",
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
    db: OptionalPath = Field(**EMPTY, title="Tệp cơ sở dữ liệu", description="Tệp DuckDB; để trống: <kết quả>/thidua.duckdb")

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

    def artifact_scope(self) -> str:
        """Names the output folder in artifact keys: two districts or folders never share a key."""
        return hashlib.sha256(str(self.out_dir().resolve()).encode()).hexdigest()[:10]


class CycleParams(CheckParams):
    """The yearly cycle: a period of years ending with `year`, and (for local runs) the decision."""

    period_years: int = Field(
        default=1, ge=1, le=10, title="Số năm của kỳ báo cáo",
        description="Số năm của kỳ báo cáo, kết thúc ở năm báo cáo (ví dụ 5 cho giai đoạn 2016–2020)",
    )
    # Local runs only (thidua run --sign-off): left out of the deployment's form, where the
    # reviewer decides in the Resume form.
    sign_off: SkipJsonSchema[SignOff | None] = Field(default=None)
    report_date: OptionalDate = Field(
        **EMPTY, title="Ngày ký báo cáo",
        description="Ngày ghi ở dòng địa danh, ngày tháng của báo cáo; để trống: ngày soạn (bản ký duyệt: ngày duyệt)",
    )
    sign_off_timeout_hours: float = Field(
        default=72, gt=0, title="Thời hạn chờ ký duyệt (giờ)",
        description="Số giờ chờ người duyệt trước khi lượt chạy hết hạn (chỉ khi chạy từ deployment)",
    )

    def years(self) -> list[int]:
        last = self.report_year()
        return list(range(last - self.period_years + 1, last + 1))


class ReopenParams(BaseModel):
    """Reopening a signed year: who and why; the folders of the year's runs."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1900, le=2200, title="Năm báo cáo", description="Năm đã ký duyệt cần mở lại")
    reason: str = Field(min_length=1, title="Lý do", description="Vì sao mở lại (ví dụ: đơn vị gửi lại số liệu đúng)")
    by: str = Field(min_length=1, title="Người mở lại", description="Họ và tên người quyết định mở lại")
    out: Path = Field(default=Path("out"), title="Thư mục kết quả", description="Thư mục kết quả của các lượt chạy")
    db: OptionalPath = Field(**EMPTY, title="Tệp cơ sở dữ liệu", description="Tệp DuckDB; để trống: <kết quả>/thidua.duckdb")

    def db_path(self) -> Path:
        return anchored(self.db) if self.db else anchored(self.out) / "thidua.duckdb"
