"""Shared test setup: offline, quiet, and nothing written outside tmp_path."""

import os

# Set before prefect / great_expectations are imported anywhere.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import shutil  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

SAMPLE_SUBMISSIONS = Path(__file__).resolve().parents[1] / "data" / "sample" / "submissions"
SAMPLE_YEARS = range(2016, 2021)


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """The shipped sample 2016–2020 ingested, validated and aggregated once (period 2016–2020).

    Tests read it; whatever they write goes to their own output folders.
    """
    from tasks.aggregate import aggregate
    from tasks.config import load_config
    from tasks.ingest import ingest_year
    from tasks.validate import validate_year

    config = load_config()
    db_path = tmp_path_factory.mktemp("sample") / "thidua.duckdb"
    for year in SAMPLE_YEARS:
        ingest_year(config, SAMPLE_SUBMISSIONS, year, db_path)
        validate_year(config, year, db_path)
    aggregate(config, 2020, 5, db_path)
    return db_path


@pytest.fixture(scope="session")
def harness():
    """One embedded Prefect server for every flow test (it takes 20–50 s to start on 2 cores)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's headless Chromium. Missing on a developer's machine: the browser tests skip; on CI
    (CI=true, as `.ci/run` sets) they fail, so a green run never stands for browser tests not run."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    reason = "Chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; on CI the browser tests must run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _no_prefect_events_during_hypothesis(request):
    """After a flow test, Prefect's events client pings its websocket from a background thread with
    `random.getrandbits`; Hypothesis sees the global `random` change during a draw and warns "Do not use
    the `random` module inside strategies". Before a property test, drain that client (the next event
    starts it again)."""
    if getattr(request.function, "is_hypothesis_test", False) and "prefect.events.worker" in sys.modules:
        sys.modules["prefect.events.worker"].EventsWorker.drain_all(timeout=30, at_exit=False)
    yield
