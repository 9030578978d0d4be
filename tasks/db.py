"""DuckDB access: open the district's file offline, create the layers, run the files in sql/."""

from __future__ import annotations

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
    con = connect(db_path)
    try:
        yield con
    finally:
        con.close()


@cache
def sql_text(name: str) -> str:
    """The text of sql/<name>.sql, e.g. sql_text("marts/mart_award_table")."""
    path = SQL_DIR / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for layer in DDL_LAYERS:
        for path in sorted((SQL_DIR / layer).glob("*.sql")):
            text = path.read_text(encoding="utf-8")
            if _is_ddl(text):
                con.execute(text)


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
    """Replace the reference tables with the registry and catalogues of this run's config."""
    from tasks.config import RECIPIENTS, reports
    from tasks.parsing import normalise_label

    units = pd.DataFrame(
        [(u.code, u.name, u.kind, u.is_commune, u.from_year, u.to_year, u.group, u.merged_into, u.merged_on, n)
         for n, u in enumerate(config.units, start=1)],
        columns=["unit_code", "ten_don_vi", "kind", "is_commune", "from_year", "to_year", "group_code",
                 "merged_into", "merged_on", "sort_order"],
    )
    predecessors = pd.DataFrame(
        [(u.code, p, u.merged_on, n) for u in config.units for n, p in enumerate(u.merged_from, start=1)],
        columns=["unit_code", "predecessor_code", "merged_on", "sort_order"],
    )
    groups = pd.DataFrame([(g.code, g.name, n) for n, g in enumerate(config.groups, start=1)],
                          columns=["group_code", "ten_nhom", "sort_order"])
    indicators = pd.DataFrame(
        [(i.code, i.name, i.unit, i.decimals, i.value_type, i.reported_by, i.aggregation, i.numerator, i.denominator,
          i.period, n) for n, i in enumerate(config.indicators, start=1)],
        columns=["indicator_code", "ten_chi_tieu", "don_vi_tinh", "decimals", "value_type", "reported_by",
                 "aggregation", "numerator_code", "denominator_code", "period_rule", "sort_order"],
    )
    pairs = pd.DataFrame(
        [(u.code, i.code) for u in config.units for i in config.indicators if reports(i, u)],
        columns=["unit_code", "indicator_code"],
    )
    award_rows = [(a.code, r, a.table_label or a.name, RECIPIENTS[r], a.from_year, a.to_year)
                  for a in config.awards for r in a.recipients]
    awards = pd.DataFrame([(*row, n) for n, row in enumerate(award_rows, start=1)],
                          columns=["hinh_thuc", "doi_tuong", "ten_hinh_thuc", "ten_doi_tuong", "from_year",
                                   "to_year", "sort_order"])
    labels = {normalise_label(text): a.code for a in reversed(config.awards)
              for text in (a.code, a.name, a.table_label or a.name, *a.aliases)}
    award_labels = pd.DataFrame(list(labels.items()), columns=["nhan_chuan", "hinh_thuc"])
    # One transaction and one bulk insert per table: a province registry has thousands of rows.
    # Each table is recreated from its DDL so a database from an older release gets new columns.
    con.execute("begin transaction")
    try:
        for table, frame in (("ref_unit", units), ("ref_unit_predecessor", predecessors),
                             ("ref_unit_group", groups), ("ref_indicator", indicators),
                             ("ref_unit_indicator", pairs), ("ref_award", awards),
                             ("ref_award_label", award_labels)):
            con.execute(f"drop table if exists {table}")
            con.execute(sql_text(f"reference/{table}"))
            con.register("_frame", frame)
            con.execute(f"insert into {table} by name select * from _frame")
            con.unregister("_frame")
        materialize(con, "intermediate/int_expected_unit_years")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
