"""The reviewer's decision on a draft, the signed report it freezes in `final/`, and the year's lock.

- Only the newest draft of a year can be decided on, and only while its figures are still those
  the reviewer read: anything else is refused before anything is written.
- Approval writes `<out>/<year>/final/` once (render aside, then one folder rename); no later run
  writes into it. A later approval, after `reopen`, writes `final_02/`, `final_03/`, …
- An approved year is locked until reopened (sql/runlog/year_lock.sql): files sent for it are kept
  aside (tasks/locked.py), not applied to its figures.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

from tasks.config import Config
from tasks.db import open_db, query
from tasks.runlog import TIMEZONE, Draft, log_stage, now_vn, sha256_of
from tasks.year_outputs import ASIDE_PREFIX, render

DECISIONS = ("approve", "reject")
DECISION_VI = {"approve": "duyệt", "reject": "từ chối"}
FINAL = "final"
SIGN_OFF_FILE = "sign_off.json"


class SignOffError(ValueError):
    """A decision that cannot be recorded (unknown decision, no reviewer name, stale draft, unlocked year)."""


def decide(*, db_path: Path | str, run_id: str, year: int, period_years: int, decision: str, name: str,
           comment: str = "", draft_version: int | None = None, form_version: int | None = None,
           flow_run_id: str | None = None) -> dict:
    """Check a decision and give it its id and time; nothing is written (see `store_sign_off`)."""
    from tasks.runlog import figures_moved_since, newest_draft_version

    if decision not in DECISIONS:
        raise SignOffError(f"quyết định phải là approve hoặc reject, không phải {decision!r}")
    if not (name or "").strip():
        raise SignOffError("thiếu họ tên người duyệt")
    if draft_version is not None:
        newest = newest_draft_version(db_path, year)
        if form_version is not None and form_version != draft_version:
            raise SignOffError(f"biểu mẫu ghi bản dự thảo lần {form_version}, lượt chạy này chờ duyệt lần "
                               f"{draft_version}: không ghi gì, hãy mở đúng lượt chạy")
        if newest is not None and newest != draft_version:
            raise SignOffError(f"bản dự thảo lần {draft_version} năm {year} không còn là bản mới nhất (đã có lần "
                               f"{newest}): không ghi gì; hãy ký duyệt bản lần {newest}")
        moved = figures_moved_since(db_path, run_id, year, period_years)
        if decision == "approve" and moved:
            raise SignOffError(f"số liệu năm {year} đã thay đổi từ khi soạn bản dự thảo lần {draft_version} "
                               f"({', '.join(moved[:5])}): không ghi gì; hãy chạy lại để có bản dự thảo mới")
    now = now_vn().replace(microsecond=0)
    return {
        "sign_off_id": f"signoff-{year}-{uuid.uuid4().hex[:12]}",
        "run_id": run_id, "flow_run_id": flow_run_id, "year": year, "period_years": period_years,
        "draft_version": draft_version, "decision": decision, "name": name.strip(), "comment": comment or "",
        "decided_at": f"{now:%Y-%m-%d %H:%M}", "decided_at_iso": now.isoformat(),
    }


def store_sign_off(*, db_path: Path | str, signed: dict, outputs: list[dict]) -> dict:
    """Store one decision with the year's validation run and the hashes of what the reviewer read."""
    decided_at = _decided_at(signed)
    with open_db(db_path) as con:
        validation = con.execute(
            "select run_id from validation_run where nam = ? order by finished_at desc limit 1", [signed["year"]]
        ).fetchone()
        signed = {**signed, "validation_run_id": validation[0] if validation else None}
        con.execute(
            "insert into sign_off values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [signed["sign_off_id"], signed["run_id"], signed["flow_run_id"], signed["year"], signed["period_years"],
             signed["draft_version"], signed["decision"], signed["name"], signed["comment"], decided_at,
             signed["validation_run_id"], json.dumps(outputs, ensure_ascii=False)],
        )
    log_stage(db_path=db_path, run_id=signed["run_id"], stage="sign_off", year=signed["year"], started_at=decided_at,
              flow_run_id=signed["flow_run_id"],
              detail={k: signed[k] for k in ("sign_off_id", "decision", "name", "draft_version", "validation_run_id")})
    return signed


def record_sign_off(*, db_path: Path | str, run_id: str, year: int, period_years: int, decision: str,
                    name: str, comment: str = "", outputs: list[dict], draft_version: int | None = None,
                    flow_run_id: str | None = None) -> dict:
    """decide + store_sign_off in one call (a decision that writes no final report: a rejection)."""
    signed = decide(db_path=db_path, run_id=run_id, year=year, period_years=period_years, decision=decision,
                    name=name, comment=comment, draft_version=draft_version, flow_run_id=flow_run_id)
    return store_sign_off(db_path=db_path, signed=signed, outputs=outputs)


def write_final(*, config: Config, year: int, period_years: int, db_path: Path | str, out_dir: Path | str,
                signed: dict, draft: Draft, report_date=None) -> Path:
    """Render the signed report aside with the tables of the draft and sign_off.json, then rename it into place."""
    year_dir = Path(out_dir) / str(year)
    target = year_dir / FINAL
    n = 2
    while target.exists():
        target, n = year_dir / f"{FINAL}_{n:02d}", n + 1
    root = year_dir / f"{ASIDE_PREFIX}{signed['sign_off_id']}"
    if root.exists():
        shutil.rmtree(root)
    report = render(config=config, year=year, period_years=period_years, db_path=db_path, out_dir=root,
                    sign_off=signed, report_date=report_date)
    staged = root / str(year)
    for table in draft.folder.iterdir():
        if table.suffix in (".csv", ".xlsx") and table.name != "run_log.csv":
            shutil.copy2(table, staged / table.name)
    files = {p.name: sha256_of(p) for p in sorted(staged.iterdir()) if p.is_file()}
    record = {
        "nam": year, "ky_bao_cao": [year - period_years + 1, year],
        "nguoi_duyet": signed["name"], "y_kien": signed["comment"],
        "thoi_diem": _decided_at(signed).replace(tzinfo=TIMEZONE).isoformat(),
        "ban_du_thao": draft.version, "flow_run_id": signed["flow_run_id"], "run_id": signed["run_id"],
        "sign_off_id": signed["sign_off_id"], "sha256": files,
        "bao_cao": [p.name for p in report],
    }
    (staged / SIGN_OFF_FILE).write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    staged.rename(target)
    shutil.rmtree(root)
    return target


def _decided_at(signed: dict):
    import datetime as dt

    return dt.datetime.fromisoformat(signed["decided_at_iso"])


def year_lock(db_path: Path | str, year: int) -> dict | None:
    """The approval that locks the year, or None when it is open (never approved, or reopened since)."""
    with open_db(db_path) as con:
        rows = query(con, "runlog/year_lock", {"nam": year})
    return rows[0] if rows else None


def signed_before(db_path: Path | str, year: int) -> dict | None:
    """What a new draft's first page says about an earlier signed version: `render_report(signed_before=...)`."""
    with open_db(db_path) as con:
        row = con.execute("select decided_at, draft_version from sign_off where nam = ? and decision = 'approve' "
                          "order by decided_at desc limit 1", [year]).fetchone()
    return {"signed_on": row[0].date(), "draft_version": row[1]} if row else None


def reopen_year(*, db_path: Path | str, year: int, reason: str, by: str, flow_run_id: str | None = None) -> dict:
    """Lift the lock of a signed year: recorded with who and why; the next run applies the waiting files."""
    if not (reason or "").strip():
        raise SignOffError("cần ghi lý do mở lại (--reason \"…\")")
    if not (by or "").strip():
        raise SignOffError("cần ghi họ tên người mở lại (--by \"…\")")
    lock = year_lock(db_path, year)
    if lock is None:
        raise SignOffError(f"năm {year} chưa được ký duyệt hoặc đã được mở lại: không cần mở lại")
    reopened = {"reopen_id": f"reopen-{year}-{uuid.uuid4().hex[:12]}", "nam": year, "reopened_at": now_vn(),
                "reopened_by": by.strip(), "reason": reason.strip(), "sign_off_id": lock["sign_off_id"],
                "flow_run_id": flow_run_id}
    with open_db(db_path) as con:
        con.execute("insert into year_reopen values (?, ?, ?, ?, ?, ?, ?)", list(reopened.values()))
    log_stage(db_path=db_path, run_id=reopened["reopen_id"], stage="reopen", year=year,
              started_at=reopened["reopened_at"], flow_run_id=flow_run_id,
              detail={k: str(v) for k, v in reopened.items()})
    return reopened


def locked_message(year: int, lock: dict) -> str:
    """The one line a run of a locked year ends with."""
    return (f"Năm {year} đã được {lock['reviewer_name']} ký duyệt lúc {lock['decided_at']:%H:%M %d/%m/%Y} "
            f"(bản dự thảo lần {lock['draft_version']}) và đang khoá: tệp gửi sau được lưu nhưng không đưa vào "
            f"số liệu. Mở lại: thidua reopen --year {year} --reason \"…\" --by \"Họ tên\"")


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
        "Đọc báo cáo kiểm tra số liệu và bản dự thảo, rồi chọn **Duyệt** hoặc **Từ chối**, ghi họ tên và ý kiến. "
        f"Chỉ bản dự thảo mới nhất (lần {draft_version}) được ký duyệt.",
        "",
    ]
    lines += [f"- [{key}]({base}/artifacts/key/{key})" for key in artifact_keys]
    lines += [f"- {label}: `{path}`" for label, path in files.items()]
    lines += ["", changes_md.replace("# ", "### ", 1)]
    return "\n".join(lines)
