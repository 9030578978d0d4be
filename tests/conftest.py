"""Shared test setup: offline, quiet, and nothing written outside tmp_path."""

import os

# Set before prefect / great_expectations are imported anywhere.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

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
