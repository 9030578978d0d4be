"""A province run spread over Prefect workers: a local server, 1 then 2 process workers, timed.

    uv run python bench/generate.py --scale nation --folders 4 --communes 10 --format csv --out /tmp/thidua-bench/workers
    uv run python bench/workers.py --data /tmp/thidua-bench/workers

Starts `prefect server` on 127.0.0.1 with a temporary PREFECT_HOME (SQLite: enough for the demo;
production uses PostgreSQL, see docs/scale.md), creates the process work pool, deploys the
`district-run` deployment of prefect.yaml (`prefect deploy --name district-run`), then for each
worker count starts that many `prefect worker start --work-queue district-run --limit 1`
processes and runs `province_run_on_workers` over --data: one deployment run per child folder,
shared by the workers, then the roll-up. Everything started here is stopped by its process id at
the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POOL, QUEUE = "thidua-process", "district-run"  # as in prefect.yaml
PREFECT = str(Path(sys.executable).with_name("prefect"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"prefect server did not answer at {url} within {timeout} s")


def wait_online(names: set[str], timeout: float = 120) -> None:
    """Until every named worker of the pool is ONLINE (it has sent its first heartbeat)."""
    from prefect import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            online = {w.name for w in client.read_workers_for_work_pool(POOL) if w.status == "ONLINE"}
            if names <= online:
                return
            time.sleep(0.5)
    raise SystemExit(f"workers {sorted(names)} were not online within {timeout} s")


def stop(process: subprocess.Popen) -> None:
    """Stop one process we started (its own process group: the worker's flow-run children too)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    data = args.data.resolve()

    home = Path(tempfile.mkdtemp(prefix="thidua-prefect-"))
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false",
           "PREFECT_LOGGING_LEVEL": "WARNING",
           # Workers look for new runs every second instead of every 15 s: the runs are short.
           "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "1"}
    os.environ.update({k: v for k, v in env.items() if k.startswith(("PREFECT_", "GX_", "DO_NOT"))})
    started: list[subprocess.Popen] = []
    results = {}
    try:
        server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started.append(server)
        wait_healthy(api)
        subprocess.run([PREFECT, "work-pool", "create", POOL, "--type", "process"], env=env, check=True,
                       capture_output=True)
        sys.path.insert(0, str(ROOT))
        from flows.scale import province_run_on_workers

        subprocess.run([PREFECT, "--no-prompt", "deploy", "--name", "district-run"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        for count in [int(n) for n in args.workers.split(",")]:
            workers = [
                subprocess.Popen([PREFECT, "worker", "start", "--pool", POOL, "--work-queue", QUEUE, "--limit", "1",
                                  "--name", f"bench-{count}-{n}"],
                                 env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
                for n in range(count)
            ]
            started += workers
            # The clock starts once every worker has reported to the server: in use, workers run
            # for days, and their start (≈ 3–5 s of imports each, on the same two cores) is no part
            # of how they share the runs.
            names = {f"bench-{count}-{n}" for n in range(count)}
            wait_online(names)
            out = home / f"out-{count}"
            clock = time.perf_counter()
            result = province_run_on_workers(parent_dir=data, year=args.year, out_dir=out)
            seconds = time.perf_counter() - clock
            results[count] = {"seconds": round(seconds, 1), "failed": result["failed"], "accepted": result["accepted"]}
            print(f"{count} worker(s): {seconds:.1f} s, {result['children']} children, failed {result['failed']}",
                  flush=True)
            for w in workers:
                stop(w)
    finally:
        for process in reversed(started):
            stop(process)
        shutil.rmtree(home, ignore_errors=True)
    if "1" in args.workers and len(results) > 1:
        counts = sorted(results)
        results["speedup"] = round(results[counts[0]]["seconds"] / results[counts[-1]]["seconds"], 2)
        print(f"speed-up {counts[-1]} vs {counts[0]} worker(s): {results['speedup']}×")
    results["load_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
