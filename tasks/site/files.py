"""Which file under the output folder a request names, if any: nothing outside it, ever."""

from __future__ import annotations

import re
from pathlib import Path

_SEGMENT = re.compile(r"^[\w][\w.\-]*$")


def safe_file(root: Path, relative: str) -> Path | None:
    """`root/relative` if it is a regular file inside root (links resolved), else None.

    The path arrives percent-decoded: "..", "%2e%2e", "a/../b", "\\", absolute paths, hidden
    names and NUL are refused by shape before the file system is asked; a symlink pointing out
    of root is refused after resolving it.
    """
    if not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative:
        return None
    parts = relative.split("/")
    if any(not _SEGMENT.match(p) or p in (".", "..") for p in parts):
        return None
    root = root.resolve()
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(root) or not resolved.is_file():
        return None
    return resolved


def year_dirs(out_dir: Path) -> list[int]:
    """The report years the cycle has written, newest first."""
    if not out_dir.is_dir():
        return []
    return sorted((int(p.name) for p in out_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}", p.name)),
                  reverse=True)
