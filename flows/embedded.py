"""Prefect's temporary (embedded) server for `thidua run` and `thidua validate`, started early.

Without `PREFECT_API_URL`, Prefect starts a temporary server the first time a flow needs its API:
after thidua has imported everything, and after importing the whole server (3 s) into the CLI's
process. The server then needs 6 s to start, 17 s on a fresh `PREFECT_HOME` (its database is
created by 200 migrations). `start()` launches the same server, with the same command, settings
and messages as Prefect's `SubprocessASGIServer`, as soon as the command's input is checked; it
starts while the CLI imports the stages and sets the flow up, and the flow runs against it like
against any server. Its database stays in `PREFECT_HOME` (default `~/.prefect/prefect.db`), so the
migrations run once per user.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import socket
import subprocess
import sys
import time

# The text of Prefect's own error, which flows/cli.py turns into one line and exit 1.
TIMEOUT = "Timed out while attempting to connect to ephemeral Prefect API server"


def _free_port() -> int:
    for _ in range(10):
        port = random.randrange(8000, 9000)  # Prefect's range for its temporary server
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
                return port
            except OSError:
                time.sleep(random.uniform(0.1, 0.5))
    raise RuntimeError("Unable to find an available port after multiple attempts")


class EmbeddedServer:
    def __init__(self, settings):
        self.settings = settings
        self.env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                    "PREFECT__SERVER_FINAL": "1", **settings.to_environment_variables(exclude_unset=True)}
        self.process: subprocess.Popen | None = None
        self._spawn()
        atexit.register(self.stop)

    def _spawn(self) -> None:
        import prefect
        from prefect.logging import get_logger
        from prefect.logging.configuration import ensure_logging_setup

        ensure_logging_setup()  # as after `import prefect.main`, which the stages have not imported yet
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        get_logger().info(f"Starting temporary server on http://127.0.0.1:{self.port}\nSee "
                          "https://www.prefect.io/docs/v3/concepts/server#how-to-guides "
                          "for more information on running a dedicated Prefect server.")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env=self.env)

    def wait(self) -> None:
        """Until the server answers, at most PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS (as Prefect)."""
        import httpx

        deadline = time.monotonic() + self.settings.server.ephemeral.startup_timeout_seconds
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if self.process.poll() == 3:  # the port was taken meanwhile: another one, as Prefect does
                    self._spawn()
                    continue
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop(quiet=True)
        raise RuntimeError(f"{TIMEOUT}.")

    @contextlib.contextmanager
    def in_use(self):
        """Prefect's settings point at this server inside, in every thread (its event and log
        workers read the process-wide settings). The UI address is empty: the temporary server
        serves no UI, and Prefect logs no "View at" link to it (as with its own)."""
        import prefect.context as context

        self.wait()
        current = context.get_settings_context()
        settings = current.settings.model_copy(
            update={"ui_url": "", "api": current.settings.api.model_copy(update={"url": self.api_url})})
        previous, context.GLOBAL_SETTINGS_CONTEXT = context.GLOBAL_SETTINGS_CONTEXT, context.SettingsContext(
            profile=current.profile, settings=settings)
        try:
            with context.GLOBAL_SETTINGS_CONTEXT:
                yield
        finally:
            context.GLOBAL_SETTINGS_CONTEXT = previous

    def stop(self, quiet: bool = False) -> None:
        if self.process is None:
            return
        if not quiet:
            from prefect.logging import get_logger

            get_logger().info(f"Stopping temporary server on http://127.0.0.1:{self.port}")
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def start() -> EmbeddedServer | None:
    """Launch the temporary server unless Prefect is configured to use another one (PREFECT_API_URL,
    from the environment or the profile) or may not start one."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        return None
    return EmbeddedServer(settings)
