"""The reviewer's decision on a draft: stored with the run, the validation run and the files' hashes."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

from tasks.db import open_db

DECISIONS = ("approve", "reject")


class SignOffError(ValueError):
    """A decision that cannot be recorded (unknown decision, no reviewer name)."""


def record_sign_off(*, db_path: Path | str, run_id: str, year: int, period_years: int, decision: str,
                    name: str, comment: str = "", outputs: list[dict], draft_version: int | None = None,
                    flow_run_id: str | None = None) -> dict:
    """Store one decision; returns it as the dict `render_report(sign_off=...)` takes."""
    if decision not in DECISIONS:
        raise SignOffError(f"quyết định phải là approve hoặc reject, không phải {decision!r}")
    if not (name or "").strip():
        raise SignOffError("thiếu họ tên người duyệt")
    decided_at = dt.datetime.now()
    sign_off_id = f"signoff-{year}-{uuid.uuid4().hex[:12]}"
    with open_db(db_path) as con:
        validation = con.execute(
            "select run_id from validation_run where nam = ? order by finished_at desc limit 1", [year]
        ).fetchone()
        validation_run_id = validation[0] if validation else None
        con.execute(
            "insert into sign_off values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sign_off_id, run_id, flow_run_id, year, period_years, draft_version, decision, name.strip(),
             comment or "", decided_at, validation_run_id, json.dumps(outputs, ensure_ascii=False)],
        )
        con.execute(
            "insert into run_log values (?, 'sign_off', ?, ?, ?, ?, ?)",
            [run_id, year, decided_at, decided_at, flow_run_id,
             json.dumps({"sign_off_id": sign_off_id, "decision": decision, "name": name.strip(),
                         "validation_run_id": validation_run_id}, ensure_ascii=False)],
        )
    return {
        "sign_off_id": sign_off_id,
        "decision": decision,
        "name": name.strip(),
        "comment": comment or "",
        "decided_at": f"{decided_at:%Y-%m-%d %H:%M}",
        "validation_run_id": validation_run_id,
    }


def rejection_message(sign_off: dict) -> str:
    comment = f": {sign_off['comment']}" if sign_off.get("comment") else ""
    return f"Bị từ chối bởi {sign_off['name']}{comment}"


def how_to_sign_off(year: int, period_years: int) -> str:
    """What a local run prints when it stops after the draft."""
    period = f" --period-years {period_years}" if period_years > 1 else ""
    return (
        f"Bản dự thảo năm {year} đã sẵn sàng, chưa được ký duyệt. Để ký duyệt, chạy lại với "
        f"`thidua run --year {year}{period} --sign-off \"Họ tên người duyệt\" [--comment \"...\"]`; "
        f"để từ chối: `--reject \"Họ tên\" --comment \"lý do\"`."
    )


def sign_off_description(*, year: int, period_years: int, draft_version: int, ui_url: str | None,
                         artifact_keys: list[str], files: dict[str, Path], changes_md: str) -> str:
    """The Markdown the reviewer reads above the resume form: where the validation report and draft are."""
    base = (ui_url or "").rstrip("/")
    period = f" (kỳ {year - period_years + 1}–{year})" if period_years > 1 else ""
    lines = [
        f"## Ký duyệt bản dự thảo báo cáo năm {year}{period}, lần {draft_version}",
        "",
        "Đọc báo cáo kiểm tra số liệu và bản dự thảo, rồi chọn **approve** (duyệt) hoặc **reject** "
        "(từ chối), ghi họ tên và ý kiến.",
        "",
    ]
    lines += [f"- [{key}]({base}/artifacts/key/{key})" for key in artifact_keys]
    lines += [f"- {label}: `{path}`" for label, path in files.items()]
    lines += ["", changes_md.replace("# ", "### ", 1)]
    return "\n".join(lines)
