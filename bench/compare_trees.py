"""Compare two thidua trees: every table of two DuckDB files, or every file of two output folders.

    uv run python bench/compare_trees.py DB_A DB_B [--ignore-columns COL ...] [--show N]
    uv run python bench/compare_trees.py WORK_A WORK_B     # every *.duckdb under them, paired by path
    uv run python bench/compare_trees.py --dirs OUT_A OUT_B

Prints, per table (or file), the rows of A and B and whether they are the same, with the first
differing rows; exits 1 if anything differs. What differs between two honest runs of the same inputs
is masked, and named here:

- columns in VOLATILE_COLUMNS (run ids, timestamps, ids made from uuids, paths that name the tree);
- in text files and json columns, the strings VOLATILE_TEXT matches (the same ids and times) and the
  tree's own folder; in json columns also the sha256 of written files (run_log.detail, draft.outputs:
  a DOCX/XLSX holds its creation time);
- in DOCX/XLSX, the members in VOLATILE_ZIP_MEMBERS (created/modified times);
- files named in VOLATILE_FILES (GX's random store ids), and DuckDB files (compared as tables).

File version ids come from a sequence, so they depend on the order in which a year's files were
written, which a new ingest may change without changing anything a person sees. Every column named
`file_version_id` or `*_file_version_id` is therefore compared as the version it names,
`unit_code/nam/vN`, looked up in the same file's `raw_file_version`.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import hashlib
import re
import sys
import zipfile
from pathlib import Path

import duckdb

VOLATILE_COLUMNS = ["run_id", "*_run_id", "*_at", "sign_off_id", "reopen_id",
                    "gx_project_dir", "data_docs_path", "db_path"]
VOLATILE_TEXT = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # uuid (Prefect flow runs)
    r"|\b[a-z_]+-\d{4}-(?:\d{8}T\d{6}-)?[0-9a-f]{6,32}\b"            # thidua run ids: ingest-2020-3f2a…
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"  # ISO timestamps
    r"|\d{8}T\d{6}(?:\.\d+)?Z?"                                        # GX run names
    r"|\b1\d{9}\.\d+\b"                                                 # epoch seconds (GX sort keys)
    r"|\d\d:\d\d ngày \d\d/\d\d/\d{4}")                                   # Vietnamese wall time
JSON_SHA256 = r'|"sha256": "[0-9a-f]{64}"'
VOLATILE_FILES = {".ge_store_backend_id"}
VOLATILE_ZIP_MEMBERS = ["docProps/core.xml", "docProps/app.xml"]
TEXT_SUFFIXES = {".csv", ".md", ".html", ".json", ".txt", ".yml", ".yaml", ".xml", ".css", ".js"}
ZIP_SUFFIXES = {".docx", ".xlsx"}


def is_volatile(column: str, extra: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(column, pattern) for pattern in VOLATILE_COLUMNS + extra)


def table_columns(con, db: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'main' order by table_name, ordinal_position", [db]).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def masked_select(db: str, table: str, columns: list[tuple[str, str]], has_versions: bool, root: Path) -> str:
    """A select of `table` with volatile columns left out, version ids named, every value as text."""
    joins, exprs = [], []
    for i, (column, data_type) in enumerate(columns):
        ref = f't."{column}"'
        if has_versions and (column == "file_version_id" or column.endswith("_file_version_id")):
            joins.append(f'left join {db}.raw_file_version v{i} on v{i}.file_version_id = {ref}')
            ref = f"v{i}.unit_code || '/' || v{i}.nam || '/v' || v{i}.version"
        elif data_type.upper() == "JSON":
            folder = str(root.resolve()).replace("'", "''")
            ref = (f"regexp_replace(replace({ref}::varchar, '{folder}', '<root>'), "
                   f"'{VOLATILE_TEXT.pattern}{JSON_SHA256}', '<volatile>', 'g')")
        exprs.append(f'({ref})::varchar as "{column}"')
    return f'select {", ".join(exprs)} from {db}."{table}" t {" ".join(joins)}'


def compare_databases(path_a: Path, path_b: Path, ignore: list[str], show: int) -> bool:
    con = duckdb.connect()
    con.execute(f"attach '{path_a}' as a (read_only)")
    con.execute(f"attach '{path_b}' as b (read_only)")
    tables = {"a": table_columns(con, "a"), "b": table_columns(con, "b")}
    same_everywhere = True
    print(f"{'table':34} {'rows A':>10} {'rows B':>10}  result")
    for table in sorted(set(tables["a"]) | set(tables["b"])):
        if table not in tables["a"] or table not in tables["b"]:
            side = "A" if table in tables["a"] else "B"
            rows = con.execute(f'select count(*) from {side.lower()}."{table}"').fetchone()[0]
            print(f"{table:34} {rows if side == 'A' else '-':>10} {rows if side == 'B' else '-':>10}  only in {side}")
            same_everywhere = False
            continue
        kept = {db: [c for c in tables[db][table] if not is_volatile(c[0], ignore)] for db in "ab"}
        names_a, names_b = [c[0] for c in kept["a"]], [c[0] for c in kept["b"]]
        common = [c for c in names_a if c in names_b]
        selects = {db: masked_select(db, table, [c for c in kept[db] if c[0] in common],
                                     "raw_file_version" in tables[db], path.parent)
                   for db, path in (("a", path_a), ("b", path_b))}
        count = {db: con.execute(f"select count(*) from ({selects[db]})").fetchone()[0] for db in "ab"}
        order = ", ".join(str(i + 1) for i in range(len(common)))
        only = {db: con.execute(f"select * from ({selects[db]} except all {selects[other]}) order by {order} "
                                f"limit {show}").fetchall() for db, other in (("a", "b"), ("b", "a"))}
        schema_note = "" if names_a == names_b else f" (columns differ: A {names_a}, B {names_b})"
        same = not only["a"] and not only["b"] and count["a"] == count["b"] and not schema_note
        same_everywhere &= same
        print(f"{table:34} {count['a']:>10} {count['b']:>10}  {'same' if same else 'DIFFERENT'}{schema_note}")
        for db in "ab":
            for row in only[db]:
                print(f"    only in {db.upper()}: {dict(zip(common, row))}")
    return same_everywhere


def mask_text(text: str, root: Path) -> str:
    return VOLATILE_TEXT.sub("<volatile>", text.replace(str(root.resolve()), "<root>").replace(str(root), "<root>"))


def file_digest(path: Path, root: Path) -> list[str]:
    """What is compared of one file: masked lines of text, per-member hashes of a zip, else its sha256."""
    if path.suffix.lower() in TEXT_SUFFIXES:
        return mask_text(path.read_text(encoding="utf-8", errors="replace"), root).splitlines()
    if path.suffix.lower() in ZIP_SUFFIXES and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return [f"{name} {hashlib.sha256(z.read(name)).hexdigest()}" for name in sorted(z.namelist())
                    if name not in VOLATILE_ZIP_MEMBERS]
    return [hashlib.sha256(path.read_bytes()).hexdigest()]


def compare_dirs(dir_a: Path, dir_b: Path, show: int) -> bool:
    """Every file by its masked relative path (GX names result folders by run id and time)."""
    files = {}
    for side, root in (("a", dir_a), ("b", dir_b)):
        files[side] = {}
        for p in sorted(root.rglob("*")):
            if p.is_file() and p.suffix not in {".duckdb", ".wal", ".pyc"} and p.name not in VOLATILE_FILES:
                files[side].setdefault(mask_text(p.relative_to(root).as_posix(), root), []).append(p)
    same_everywhere = True
    for name in sorted(set(files["a"]) | set(files["b"])):
        paths_a, paths_b = files["a"].get(name, []), files["b"].get(name, [])
        if len(paths_a) != len(paths_b):
            print(f"{name}: {len(paths_a)} in A, {len(paths_b)} in B")
            same_everywhere = False
            continue
        for pa, pb in zip(paths_a, paths_b):
            da, db = file_digest(pa, dir_a), file_digest(pb, dir_b)
            if da != db:
                same_everywhere = False
                print(f"{name}: DIFFERENT")
                diff = list(difflib.unified_diff(da, db, "A", "B", lineterm="", n=0))[2:]
                for line in diff[:show * 2]:
                    print(f"    {line[:200]}")
    print(f"{len(set(files['a']) | set(files['b']))} files compared: {'same' if same_everywhere else 'DIFFERENT'}")
    return same_everywhere


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--dirs", action="store_true", help="compare two output folders file by file")
    parser.add_argument("--ignore-columns", nargs="*", default=[], metavar="COL",
                        help="more columns to leave out (glob patterns), beside VOLATILE_COLUMNS")
    parser.add_argument("--show", type=int, default=5, help="differing rows (or lines) shown per table (file)")
    args = parser.parse_args(argv)
    if args.dirs:
        return 0 if compare_dirs(args.a, args.b, args.show) else 1
    if not args.a.is_dir():
        return 0 if compare_databases(args.a, args.b, args.ignore_columns, args.show) else 1
    found = {side: {p.relative_to(root): p for p in root.rglob("*.duckdb")} for side, root in (("a", args.a), ("b", args.b))}
    same = found["a"].keys() == found["b"].keys()
    for name in sorted(found["a"].keys() | found["b"].keys()):
        print(f"\n== {name}")
        if name in found["a"] and name in found["b"]:
            same &= compare_databases(found["a"][name], found["b"][name], args.ignore_columns, args.show)
        else:
            print(f"only in {'A' if name in found['a'] else 'B'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
