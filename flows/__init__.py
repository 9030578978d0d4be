"""Prefect flows of the thidua cycle.

Offline and quiet defaults are set here, before Prefect or Great Expectations are imported:
no telemetry, and time enough for the embedded server to create its database on a fresh machine.
"""

import os

for _key, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}.items():
    os.environ.setdefault(_key, _value)
