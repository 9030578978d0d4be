"""The paused yearly run a reviewer decides on from the site, found and resumed through Prefect's API."""

from __future__ import annotations

import os

FLOW_NAME = "yearly-report"


def prefect_configured() -> bool:
    """Sign-off from the site needs a Prefect server (PREFECT_API_URL); without one the page says so."""
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url) or bool(os.environ.get("PREFECT_API_URL"))


def paused_run(year: int) -> dict | None:
    """The newest paused yearly-report run whose parameters are for `year`, if any."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState, \
        FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))),
            limit=50,
        )
    for run in sorted(runs, key=lambda r: r.start_time or r.created, reverse=True):
        params = (run.parameters or {}).get("params") or {}
        if params.get("year") == year:
            return {"id": str(run.id), "name": run.name, "period_years": params.get("period_years", 1)}
    return None


def resume(flow_run_id, *, decision: str, name: str, comment: str) -> None:
    """Resume the run with the reviewer's decision; the name is the signed-in account's, never typed."""
    from prefect.flow_runs import resume_flow_run

    resume_flow_run(flow_run_id, run_input={"decision": decision, "name": name, "comment": comment})
