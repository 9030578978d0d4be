"""Great Expectations Data Docs served with the project's own copies of the libraries they load."""

from __future__ import annotations

import base64
import hashlib
import re

from tasks.safety import NO_SCRIPT_POLICY

STATIC_PREFIX = "/static/vendor/"
# Every CDN address in GX 1.24's Data Docs templates, and the vendored file that answers it
# (tasks/site/static/vendor/README.md says where each file comes from).
CDN_FILES = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap@4.3.1/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap@4.3.1/dist/js/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery@3.7.1/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js@1.12.9/dist/umd/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker@1.9.0/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker@1.9.0/dist/js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "@fortawesome/fontawesome-free@6.6.0/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega@5.33.1/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite@5.23.0/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed@6.29.0/build/vega-embed.min.js",
}
_CDN = re.compile("|".join(re.escape(u) for u in sorted(CDN_FILES, key=len, reverse=True)) + r"(?=[\"'])")
_NO_SCRIPT_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="' + re.escape(NO_SCRIPT_POLICY) + '">')
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# GX's logos come from S3 (with the data context's id in the query); the Data Docs' static/ holds its logo.
_REMOTE_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.[^\"')]*")
_OUTBOUND_LINK = re.compile(r"""(<a\b[^>]*?)\shref=["']https?://[^"']*["']""", re.IGNORECASE)
_LOADS = re.compile(r"""(?:\bsrc=|<link\b[^>]*\bhref=)["'](?:https?:)?//[^"']*""", re.IGNORECASE)


def localise(html: str, *, docs_root: str) -> str:
    """The page as the site serves it: vendored libraries, the local logo, no links off the machine.

    The no-script meta goes too: the site sends each page's own policy as a header.
    """
    html = _CDN.sub(lambda m: STATIC_PREFIX + CDN_FILES[m.group(0)], html)
    html = _REMOTE_LOGO.sub(f"{docs_root}/static/images/logo-long.png", html)
    html = _OUTBOUND_LINK.sub(r"\1", html)
    return _NO_SCRIPT_META.sub("", html)


def external_references(html: str) -> list[str]:
    """What a page would load from elsewhere (none after localise)."""
    return [m.group(0) for m in _LOADS.finditer(html)]


def script_policy(html: str, *, allow_inline: bool) -> str:
    """The Content-Security-Policy of one Data Docs page.

    The index page lists validation runs from an inline script and holds nothing a unit typed, so
    its own inline scripts are allowed by hash. Pages of one validation result print submitted
    values: there scripts may come only from the site's files, so a planted <script> stays inert.
    """
    sources = ["'self'"]
    if allow_inline:
        for body in _INLINE_SCRIPT.findall(html):
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
            sources.append(f"'sha256-{digest}'")
    return site_policy(script_src=" ".join(sources))


def site_policy(*, script_src: str = "'none'") -> str:
    """Everything from the site itself and nothing from anywhere else."""
    return (f"default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
