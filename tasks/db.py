"""DuckDB access: open the district's file offline, create the layers, run the files in sql/."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from tasks.config import PROJECT_ROOT, Config

SQL_DIR = PROJECT_ROOT / "sql"
# Layers holding `create table if not exists` files, in dependency order.
DDL_LAYERS = ("reference", "raw", "staging", "validation", "runlog")


class DatabaseError(Exception):
    """The DuckDB file cannot be opened (locked by another run, unreadable)."""


def connect(db_path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open (or create) the district's DuckDB file with every network-reaching feature off."""
    db_path = str(db_path)
    if db_path != ":memory:":
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(
            db_path,
            config={
                "autoinstall_known_extensions": "false",
                "autoload_known_extensions": "false",
            },
        )
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseError(
                f"{db_path}: đang được một lượt chạy khác sử dụng (the database is locked by another run); "
                "wait for it to finish and run again"
            ) from None
        raise DatabaseError(f"{db_path}: cannot open the database ({exc})") from None
    ensure_schema(con)
    return con


@contextmanager
def open_db(db_path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the file for one stage: its own, or the one `session` holds for the run."""
    shared = _SESSIONS.get(_session_key(db_path))
    if shared is not None:
        yield shared
        return
    con = connect(db_path)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def session(db_path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """One connection for every `open_db(db_path)` inside the block, for stages run one after another.

    Each connection costs ≈ 0.1 s (opening the file; closing checkpoints it), and a district's
    cycle opened the file five times. Each stage still works on its own outside a session.
    """
    key = _session_key(db_path)
    if key in _SESSIONS:
        yield _SESSIONS[key]
        return
    con = connect(db_path)
    _SESSIONS[key] = con
    try:
        yield con
    finally:
        del _SESSIONS[key]
        con.close()


_SESSIONS: dict[str, duckdb.DuckDBPyConnection] = {}


def _session_key(db_path: Path | str) -> str:
    return str(db_path) if str(db_path) == ":memory:" else str(Path(db_path).resolve())


@cache
def sql_text(name: str) -> str:
    """The text of sql/<name>.sql, e.g. sql_text("marts/mart_award_table")."""
    path = SQL_DIR / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every layer's tables, unless this file already holds this release's schema.

    Running the `create table if not exists` files cost ≈ 30 ms per connection (measured), and every
    stage connects; the hash of their text stored in `thidua_meta` makes it one select. The check
    reads the file itself, so a file replaced or created by another process is checked again.
    """
    statements, digest = _ddl()
    if _meta(con, "schema") == digest:
        return
    for text in statements:
        con.execute(text)
    _set_meta(con, "schema", digest)


@cache
def _ddl() -> tuple[tuple[str, ...], str]:
    """The DDL files of DDL_LAYERS in order (read once per process) and the hash of their text."""
    statements = tuple(
        text for layer in DDL_LAYERS for path in sorted((SQL_DIR / layer).glob("*.sql"))
        if _is_ddl(text := path.read_text(encoding="utf-8"))
    )
    return statements, hashlib.sha256("\0".join(statements).encode()).hexdigest()


def _meta(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    try:
        row = con.execute("select value from thidua_meta where name = ?", [name]).fetchone()
    except duckdb.CatalogException:  # a new file, or one from before thidua_meta
        return None
    return row[0] if row else None


def _set_meta(con: duckdb.DuckDBPyConnection, name: str, value: str) -> None:
    con.execute(sql_text("runlog/thidua_meta"))  # a connection not made by connect() may lack it
    con.execute("insert or replace into thidua_meta values (?, ?)", [name, value])


def _is_ddl(text: str) -> bool:
    body = "\n".join(l for l in text.splitlines() if not l.strip().startswith("--")).strip().lower()
    return body.startswith("create ")


def materialize(con: duckdb.DuckDBPyConnection, name: str, params: list | dict | None = None) -> None:
    """Wrap sql/<name>.sql (a select) in `create or replace table <file stem> as (...)`."""
    table = Path(name).name
    con.execute(f"create or replace table {table} as (\n{sql_text(name)}\n)", params or None)


def query(con: duckdb.DuckDBPyConnection, name: str, params: list | dict | None = None):
    """Run the select in sql/<name>.sql with bound parameters and return a relation's rows as dicts."""
    cur = con.execute(sql_text(name), params or None)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def load_reference(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Replace the reference tables with the registry and catalogues of this run's config.

    Every stage calls it; when the file already holds exactly these rows (their hash, with the
    tables' DDL, is kept in `thidua_meta`), nothing is rewritten.
    """
    rows = _reference_rows(config)
    digest = hashlib.sha256(repr((rows, [sql_text(f"reference/{t}") for t in rows],
                                  sql_text("intermediate/int_expected_unit_years"))).encode()).hexdigest()
    if _meta(con, "reference") == digest:
        return
    # One transaction and one bulk insert per table: a province registry has thousands of rows.
    # Each table is recreated from its DDL so a database from an older release gets new columns.
    con.execute("begin transaction")
    try:
        for table, (columns, values) in rows.items():
            con.execute(f"drop table if exists {table}")
            con.execute(sql_text(f"reference/{table}"))
            con.register("_frame", pd.DataFrame(values, columns=columns))
            con.execute(f"insert into {table} by name select * from _frame")
            con.unregister("_frame")
        materialize(con, "intermediate/int_expected_unit_years")
        _set_meta(con, "reference", digest)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _reference_rows(config: Config) -> dict[str, tuple[list[str], list[tuple]]]:
    """Each reference table's (columns, rows) for this config."""
    from tasks.config import RECIPIENTS, reports
    from tasks.parsing import normalise_label

    award_rows = [(a.code, r, a.table_label or a.name, RECIPIENTS[r], a.from_year, a.to_year)
                  for a in config.awards for r in a.recipients]
    labels = {normalise_label(text): a.code for a in reversed(config.awards)
              for text in (a.code, a.name, a.table_label or a.name, *a.aliases)}
    return {
        "ref_unit": (
            ["unit_code", "ten_don_vi", "kind", "is_commune", "from_year", "to_year", "group_code",
             "merged_into", "merged_on", "sort_order"],
            [(u.code, u.name, u.kind, u.is_commune, u.from_year, u.to_year, u.group, u.merged_into, u.merged_on, n)
             for n, u in enumerate(config.units, start=1)],
        ),
        "ref_unit_predecessor": (
            ["unit_code", "predecessor_code", "merged_on", "sort_order"],
            [(u.code, p, u.merged_on, n) for u in config.units for n, p in enumerate(u.merged_from, start=1)],
        ),
        "ref_unit_group": (
            ["group_code", "ten_nhom", "sort_order"],
            [(g.code, g.name, n) for n, g in enumerate(config.groups, start=1)],
        ),
        "ref_indicator": (
            ["indicator_code", "ten_chi_tieu", "don_vi_tinh", "decimals", "value_type", "reported_by",
             "aggregation", "numerator_code", "denominator_code", "period_rule", "sort_order"],
            [(i.code, i.name, i.unit, i.decimals, i.value_type, i.reported_by, i.aggregation, i.numerator,
              i.denominator, i.period, n) for n, i in enumerate(config.indicators, start=1)],
        ),
        "ref_unit_indicator": (
            ["unit_code", "indicator_code"],
            [(u.code, i.code) for u in config.units for i in config.indicators if reports(i, u)],
        ),
        "ref_award": (
            ["hinh_thuc", "doi_tuong", "ten_hinh_thuc", "ten_doi_tuong", "from_year", "to_year", "sort_order"],
            [(*row, n) for n, row in enumerate(award_rows, start=1)],
        ),
        "ref_award_label": (["nhan_chuan", "hinh_thuc"], list(labels.items())),
    }
