"""bench/compare_trees.py for the tests that prove two ways of building a tree agree."""

import sys

from tasks.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import compare_trees  # noqa: E402

__all__ = ["compare_trees"]
