"""The Markdown draft: the outline through templates/report/report.md.j2, figures as [^n] notes."""

from __future__ import annotations

from tasks.report.html import FigureRefs, source_note
from tasks.report.outline import FigRef, template_env
from tasks.report.text import markdown_escape, markdown_inline, markdown_line_start


def render_markdown(ctx: dict, outline: list[dict]) -> str:
    refs = FigureRefs()

    def segs(parts: list) -> str:
        # Each piece escaped where it stands (spaces kept), the paragraph's start escaped once.
        return markdown_line_start("".join(
            f"{markdown_inline(p.fig.shown(p.bare))}[^{refs.ref(p.fig)}]" if isinstance(p, FigRef)
            else markdown_inline(p) for p in parts))

    env = template_env(False)
    env.filters["md"] = markdown_escape
    env.filters["mdi"] = markdown_inline  # inside a heading: the line start is the "#"
    return env.get_template("report.md.j2").render(
        r=ctx, w=ctx["w"], blocks=outline, segs=segs, refs=refs, source_note=source_note)
