"""The review site: reviewers and unit clerks read and send the cycle's files over HTTP (see docs/site.md)."""

from __future__ import annotations

import os
from urllib.parse import quote

SITE_URL_ENV = "THIDUA_SITE_URL"  # e.g. http://10.0.0.5:8088: where Prefect's forms and artifacts link to

# Page kinds other parts of the cycle link to (the sign-off form, Prefect artifacts, the run log).
_PATHS = {
    "year": "nam/{year}/",
    "validation": "nam/{year}/",
    "unit": "nam/{year}/don-vi/{unit}",
    "draft": "nam/{year}/du-thao",
    "docx": "nam/{year}/tep/bao_cao_{year}.docx",
    "changes": "nam/{year}/tep/drafts/{version}/thay_doi.md",
    "drafts": "nam/{year}/#ban-du-thao",
    "data_docs": "nam/{year}/data-docs/index.html",
    "upload": "nam/{year}/nop-bai",
}


def site_url(base: str | None, kind: str, year: int, *, unit: str | None = None, version: str | int = "latest") -> str | None:
    """The http:// address of one page of the site, or None when no base URL is set.

    kind: year (= validation), unit, draft, docx, changes, drafts, data_docs, upload.
    """
    if not base:
        return None
    if kind not in _PATHS:
        raise ValueError(f"unknown page kind {kind!r}; one of {', '.join(_PATHS)}")
    if kind == "unit" and not unit:
        raise ValueError("a unit page needs unit=")
    if isinstance(version, int):
        version = f"{version:03d}"
    path = _PATHS[kind].format(year=int(year), unit=quote(unit or "", safe=""), version=quote(str(version), safe=""))
    return base.rstrip("/") + "/" + path


def base_url() -> str | None:
    """The site's address as configured for this machine (THIDUA_SITE_URL), or None."""
    return os.environ.get(SITE_URL_ENV) or None
