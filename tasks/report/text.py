"""Last line of defence for every writer: no bidirectional controls, no Markdown syntax in text."""

from __future__ import annotations

import re

from tasks.formatting import clean_text

# Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the invisible marks
# (U+200E, U+200F, U+061C) can make "1.000" display as "000.1" or hide a file name's real end.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def strip_bidi(text: object) -> str:
    return _BIDI.sub("", "" if text is None else str(text))


_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|#~])")
# At the start of a line: lists ("- ", "+ ", "1. ", "1) "), rules ("---", "==="), quotes, headings.
_MD_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+(?=[.)]))", re.MULTILINE)
# Bare addresses a Markdown renderer would turn into links.
_MD_AUTOLINK = re.compile(r"(?i)(://|www\.|@)")


def markdown_inline(text: str) -> str:
    """Escape what Markdown reads anywhere in a line; keeps the text's spaces."""
    text = _MD_INLINE.sub(r"\\\1", strip_bidi(text))
    return _MD_AUTOLINK.sub(lambda m: {"://": ":\\/\\/", "@": "\\@"}.get(m.group(1), m.group(1)[:3] + "\\."),
                            text)


def markdown_line_start(text: str) -> str:
    """Escape what Markdown reads at the start of a line (lists, rules, headings, quotes)."""
    return _MD_LINE_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit()
                                                      else "\\" + m.group(2)), text)


def markdown_escape(text: object) -> str:
    """Submitted text shown literally in Markdown: no links, emphasis, lists, rules, strike-through,
    tables or raw HTML."""
    return markdown_line_start(markdown_inline(clean_text(text)))
