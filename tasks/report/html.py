"""The HTML draft: the outline through templates/report/report.html.j2, figures footnoted."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from tasks.report.context import Figure
from tasks.report.outline import FigRef, template_env
from tasks.report.text import strip_bidi


@dataclass
class FigureRefs:
    """Numbers each figure the first time a sentence states it, for footnotes."""

    figures: list[Figure] = field(default_factory=list)

    def ref(self, fig: Figure) -> int:
        key = (fig.code, fig.nam)
        for n, seen in enumerate(self.figures, start=1):
            if (seen.code, seen.nam) == key:
                return n
        self.figures.append(fig)
        return len(self.figures)


def source_note(fig: Figure) -> str:
    """Where a figure came from, for reviewers: units, files, sheets and rows."""
    files: dict[str, list[str]] = {}
    for s in fig.sources:
        where = s.source_path + (f", sheet {s.sheet}, dòng {s.row}" if s.sheet and s.row else "")
        files.setdefault(s.unit_name, []).append(where)
    units = "; ".join(f"{unit} ({'; '.join(paths)})" for unit, paths in files.items()) or "không có tệp nào"
    note = f" {fig.ghi_chu}" if fig.ghi_chu else ""
    return f"{fig.name}, {fig.nam}: {fig.shown()}. Nguồn: {units}.{note}"


_RANGE = re.compile(r"(\d{4})\u00a0-\u00a0(\d{4})")


def _finalize(value):
    """Every {{ }} of the template: no bidi controls; a period "2015 - 2020" kept on one line
    (browsers break after a hyphen even before a no-break space)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        text = str(escape(strip_bidi(value)))
        return Markup(_RANGE.sub(r'<span class="lien">\1&nbsp;-&nbsp;\2</span>', text))
    return value


def render_html(ctx: dict, outline: list[dict]) -> str:
    refs = FigureRefs()

    def segs(parts: list) -> Markup:
        out = []
        for p in parts:
            if isinstance(p, FigRef):
                n = refs.ref(p.fig)
                css = "so-lieu" + (" thieu" if p.fig.is_missing else "") + (" chua-du" if p.fig.is_partial else "")
                out.append(f'<span class="{css}" title="{escape(source_note(p.fig))}">'
                           f'{escape(p.fig.shown(p.bare))}</span>'
                           f'<sup class="tham-chieu"><a href="#nguon-{n}" id="ref-{n}">{n}</a></sup>')
            else:
                out.append(str(_finalize(p)))
        return Markup("".join(out))

    def data_uri(png: bytes) -> str:
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")

    env = template_env(True)
    env.finalize = _finalize
    return env.get_template("report.html.j2").render(
        r=ctx, w=ctx["w"], blocks=outline, segs=segs, refs=refs, source_note=source_note, data_uri=data_uri)
