"""Prefect 3.9's ProcessPoolTaskRunner against a thread runner feeding a spawn process pool.

    uv run python bench/prefect_runners.py

Maps four tasks that each sleep 2 s over two processes, both ways, twice, after one warm-up flow
(which starts the ephemeral server). The reason flows/scale.py does not use ProcessPoolTaskRunner.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
import flows  # noqa: E402,F401  (offline, quiet Prefect settings)
from prefect import flow, task, unmapped  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner  # noqa: E402


def square(x: int) -> int:
    time.sleep(2)
    return x * x


square_task = task(square, cache_policy=NO_CACHE)


@task(cache_policy=NO_CACHE)
def square_in_pool(pool: ProcessPoolExecutor, x: int) -> int:
    return pool.submit(square, x).result()


@flow
def warm_up() -> int:
    return 1


@flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
def with_process_pool_runner() -> list[int]:
    return [f.result() for f in square_task.map([1, 2, 3, 4])]


@flow(task_runner=ThreadPoolTaskRunner(max_workers=8))
def with_thread_runner_and_spawn_pool() -> list[int]:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return [f.result() for f in square_in_pool.map(unmapped(pool), [1, 2, 3, 4])]


if __name__ == "__main__":
    clock = time.perf_counter()
    warm_up()
    print(f"first flow (starts the ephemeral server): {time.perf_counter() - clock:.1f} s", flush=True)
    for run in (with_thread_runner_and_spawn_pool, with_process_pool_runner) * 2:
        clock = time.perf_counter()
        result = run()
        print(f"{run.name}: {result} in {time.perf_counter() - clock:.1f} s", flush=True)
