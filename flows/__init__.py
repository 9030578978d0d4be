"""Prefect flows of the thidua cycle.

Offline and quiet defaults are set here, before Prefect or Great Expectations are imported:
no telemetry, and time enough for the embedded server to create its database on a fresh machine.
"""

import contextlib
import os

for _key, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}.items():
    os.environ.setdefault(_key, _value)


@contextlib.contextmanager
def without_heartbeat():
    """Flow runs started inside, in this process, send no heartbeat.

    Prefect 3.9's heartbeat thread sleeps in 1-second steps and a flow waits for it to wake before
    it returns: up to 1 s per run, 0.5 s on average. Heartbeats let an automation mark a run whose
    worker died as Crashed; a run started here in the foreground has nobody to watch it, while
    runs that workers start from deployments keep them. The setting accepts no "off" from the
    environment, so the current settings are copied with it unset (`temporary_settings` would
    rebuild them from every source: 40 ms).
    """
    from prefect.context import SettingsContext, get_settings_context

    current = get_settings_context()
    settings = current.settings.model_copy(
        update={"flows": current.settings.flows.model_copy(update={"heartbeat_frequency": None})})
    with SettingsContext(profile=current.profile, settings=settings):
        yield
