"""A throwaway PostgreSQL cluster and a Prefect server on it, as deploy/ runs them (fixtures for tests/test_services.py).

The cluster lives in its own temporary folder, listens on 127.0.0.1 on a free port only, trusts
local connections (nothing else can reach it) and is removed afterwards. Debian's `postgresql`
package provides the programs (`.ci/run` installs it); as root they run as the `postgres` user,
since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from test_deployment import PREFECT, free_port, healthy, stop, wait_until

from tasks.config import PROJECT_ROOT

POOL = "thidua-process"


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (.ci/run does)")
    return Path(found[-1]).parent


def _as_postgres(args: list) -> list[str]:
    args = [str(a) for a in args]
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_url():
    """postgresql+asyncpg://… of an empty database `prefect` on a cluster of its own."""
    bin_dir, port = _pg_bin(), free_port()
    root = Path(tempfile.mkdtemp(prefix="thidua-pg-"))
    data, log = root / "data", root / "postgres.log"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    run = lambda *args: subprocess.run(_as_postgres(list(args)), check=True, capture_output=True, text=True,  # noqa: E731
                                       timeout=120)
    try:
        run(bin_dir / "initdb", "-D", data, "-U", "thidua", "--auth=trust", "-E", "UTF8", "--no-instructions")
        run(bin_dir / "pg_ctl", "-D", data, "-l", log, "-w", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off", "start")
        run(bin_dir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "thidua", "prefect")
        yield f"postgresql+asyncpg://thidua@127.0.0.1:{port}/prefect"
    finally:
        subprocess.run(_as_postgres([bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"]),
                       capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


class Services:
    """The processes of deploy/: a Prefect server on PostgreSQL and workers, started and stopped by hand."""

    def __init__(self, root: Path, database_url: str):
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(root / "home"),
            "PREFECT_API_URL": self.url,
            "PREFECT_API_DATABASE_CONNECTION_URL": database_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "GX_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "2",
            # deploy/thidua.env.example: a run sends a heartbeat every 30 s (the least Prefect accepts).
            "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
        }
        self.logs: list[Path] = []
        self.server: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}

    def spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = self.root / f"{name}.log"
        self.logs.append(log)
        with open(log, "ab") as fh:
            return subprocess.Popen(args, cwd=self.root, env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    def start_server(self) -> None:
        self.server = self.spawn([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                                 "server")
        wait_until(lambda: healthy(self.url) or self.server.poll() is not None, timeout=240,
                   what="the Prefect server on PostgreSQL", logs=self.logs)
        assert self.server.poll() is None, (self.root / "server.log").read_text(errors="replace")[-3000:]

    def stop_server(self) -> None:
        stop(self.server)

    def start_worker(self, name: str, queue: str) -> subprocess.Popen:
        self.workers[name] = self.spawn([PREFECT, "worker", "start", "--pool", POOL, "--work-queue", queue,
                                         "--limit", "1", "--name", name], name)
        return self.workers[name]

    def cli(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run([PREFECT, "--no-prompt", *args], check=False, cwd=cwd or self.root, env=self.env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def thidua(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run([str(Path(sys.executable).parent / "thidua"), *args], cwd=PROJECT_ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def tails(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.logs if p.exists())


@pytest.fixture(scope="session")
def services(postgres_url, tmp_path_factory):
    """deploy/README.md's setup on a fresh PostgreSQL database: server, pool, queues, deployments, automations."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    svc = Services(tmp_path_factory.mktemp("services"), postgres_url)
    try:
        svc.start_server()
        svc.cli("work-pool", "create", POOL, "--type", "process")
        svc.cli("work-queue", "create", "hong-ngu", "--pool", POOL, "--limit", "1")
        svc.cli("work-queue", "create", "district-run", "--pool", POOL)
        svc.cli("deploy", "--all", cwd=PROJECT_ROOT)
        svc.cli("automation", "create", "--from-file", str(PROJECT_ROOT / "deploy" / "automations.yaml"))
        with temporary_settings(updates={PREFECT_API_URL: svc.url}):
            yield svc
    finally:
        for worker in svc.workers.values():
            stop(worker)
        if svc.server is not None:
            stop(svc.server)
