"""One yearly cycle per district and year: a row in DuckDB (table cycle_guard) that a run takes at
its start and gives back when the reviewer decides.

Prefect's deployment concurrency limit cannot do this: its lease is released when a run pauses
and the paused process is then cancelled for renewing it (docs/orchestration.md). The row here
lasts as long as the run it names; whoever finds it asks Prefect for that run's state, so a run
that crashed, was cancelled or timed out never leaves the year stuck:

- the run is not found on its server, or its state is final (Completed, Failed, Cancelled,
  Crashed), or it is Paused past its pause timeout: the row is stale and is taken over;
- the run's server cannot be asked (an embedded server of another process, or the server is
  down): the row holds unless it was taken on this machine by a process that no longer exists;
- a Running or Pending run whose process on this machine no longer exists is stale too (killed).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from tasks.db import open_db
from tasks.runlog import now_vn

FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}
UNKNOWN = "UNKNOWN"


class YearBusy(Exception):
    """Another yearly run of the same district and year holds the cycle; the message is one Vietnamese line."""


@dataclass
class Holder:
    flow_run_id: str
    flow_run_name: str | None
    api_url: str | None
    run_id: str
    hostname: str
    pid: int
    taken_at: dt.datetime


def take(*, db_path: Path | str, district_code: str, year: int, flow_run_id: str, run_id: str,
         flow_run_name: str | None = None) -> None:
    """Take the year for this flow run, or raise YearBusy naming the run that holds it.

    The same flow run taking it again (a suspended run resumed on a new process) refreshes the row.
    """
    with open_db(db_path) as con:
        row = con.execute(
            "select flow_run_id, flow_run_name, api_url, run_id, hostname, pid, taken_at from cycle_guard "
            "where district_code = ? and nam = ?", [district_code, year]).fetchone()
        holder = Holder(*row) if row else None
        if holder and holder.flow_run_id != str(flow_run_id):
            state = run_state(holder)
            if not is_stale(holder, state):
                raise YearBusy(busy_message(year, holder, state))
        con.execute("delete from cycle_guard where district_code = ? and nam = ?", [district_code, year])
        con.execute(
            "insert into cycle_guard values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [district_code, year, str(flow_run_id), flow_run_name, _api_url(), run_id, socket.gethostname(),
             os.getpid(), now_vn()],
        )


def release(*, db_path: Path | str, district_code: str, year: int, flow_run_id: str) -> None:
    """Give the year back (decision recorded, run refused or failed); only the holder's own row goes."""
    with open_db(db_path) as con:
        con.execute("delete from cycle_guard where district_code = ? and nam = ? and flow_run_id = ?",
                    [district_code, year, str(flow_run_id)])


def is_stale(holder: Holder, state: tuple[str, dt.datetime | None] | None) -> bool:
    if state is None:
        return True
    kind, pause_timeout = state
    if kind in FINAL_STATES:
        return True
    if kind == "PAUSED":
        return pause_timeout is not None and pause_timeout < dt.datetime.now(dt.timezone.utc)
    # Running, Pending, Scheduled, or a server nobody can ask: a process here that is gone was killed.
    return holder.hostname == socket.gethostname() and not _alive(holder.pid)


def busy_message(year: int, holder: Holder, state: tuple[str, dt.datetime | None] | None) -> str:
    doing = "đang chờ ký duyệt" if state and state[0] == "PAUSED" else "đang chạy"
    name = f"“{holder.flow_run_name}” " if holder.flow_run_name else ""
    return (f"Năm {year} đã có lượt chạy {name}({holder.flow_run_id}) {doing} từ {holder.taken_at:%H:%M %d/%m/%Y}; "
            "lượt này dừng, không ghi gì. Hãy ký duyệt hoặc từ chối lượt đó (hoặc huỷ nó) rồi chạy lại.")


def run_state(holder: Holder) -> tuple[str, dt.datetime | None] | None:
    """(state type, pause timeout) of the run the row names; None if its server does not know it."""
    if (holder.api_url or None) == _api_url():
        return _state_here(holder.flow_run_id)
    if not holder.api_url:
        return (UNKNOWN, None)  # the embedded server of another process: nobody can ask it
    return _state_over_http(holder.api_url, holder.flow_run_id)


def _state_here(flow_run_id: str):
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(flow_run_id)
    except ObjectNotFound:
        return None
    except Exception:  # the server is down: the row holds unless its process is gone
        return (UNKNOWN, None)
    if run.state is None:
        return (UNKNOWN, None)
    return run.state.type.value, run.state.state_details.pause_timeout


def _state_over_http(api_url: str, flow_run_id: str):
    import httpx
    from prefect.settings import get_current_settings

    auth = get_current_settings().api.auth_string
    try:
        response = httpx.get(f"{api_url.rstrip('/')}/flow_runs/{flow_run_id}", timeout=10,
                             auth=tuple(auth.get_secret_value().split(":", 1)) if auth else None)
    except httpx.HTTPError:
        return (UNKNOWN, None)
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        return (UNKNOWN, None)
    state = response.json().get("state") or {}
    timeout = (state.get("state_details") or {}).get("pause_timeout")
    return state.get("type", UNKNOWN), dt.datetime.fromisoformat(timeout) if timeout else None


def _api_url() -> str | None:
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
