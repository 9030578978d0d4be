"""The report draft in parts: context (figures and sources) → outline (walked once) → one writer
per format (word.py, html.py, markdown.py), plus charts.py and sources.py (nguon_so_lieu xlsx)."""
