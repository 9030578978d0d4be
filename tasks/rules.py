"""The kinds of legal award rule. Which rules exist, their sources, dates and figures are data:
config/rules.yaml (read by tasks/config.py); nothing here states a legal fact.

Each kind adds columns to a validation frame: a boolean (true = the row passes, or no rule of that
kind applies to it), the rule's wording, its citation and its severity; an expectation in
expectations/ turns a false into a finding whose message quotes them. A rule applies to an award
by its decision date (ngay_quyet_dinh); an award without one counts as decided on 31 December of
its reporting year. A disabled rule never applies; the validation page lists it as such.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tasks.config import Config, Rule


def enabled(config: Config, kind: str) -> list[Rule]:
    """The enabled rules of one kind; each judges only the awards decided within its dates."""
    return [r for r in config.rules if r.enabled and r.kind == kind]


def applied(config: Config, year: int, awards: pd.DataFrame | None = None) -> list[Rule]:
    """The enabled rules that apply to a reporting year: in force on one of its days, or on the
    decision date of one of its awards (the awards of a year may be decided early the next)."""
    return [r for r in _touching(config, year, awards) if r.enabled]


def _touching(config: Config, year: int, awards: pd.DataFrame | None) -> list[Rule]:
    dates = _decided_on(awards, year) if awards is not None and not awards.empty else None
    return [r for r in config.rules
            if r.in_force_during(year) or (dates is not None and bool(_in_force(r, dates).any()))]


def _decided_on(frame: pd.DataFrame, year: int) -> pd.Series:
    """Each award's decision date, or 31 December of the reporting year where it has none."""
    dates = pd.to_datetime(frame["ngay_quyet_dinh"], errors="coerce")
    return dates.fillna(pd.Timestamp(dt.date(year, 12, 31)))


def _in_force(rule: Rule, dates: pd.Series) -> pd.Series:
    ok = dates >= pd.Timestamp(rule.effective_from)
    if rule.effective_to is not None:
        ok &= dates <= pd.Timestamp(rule.effective_to)
    return ok


def add_prerequisite_columns(awards: pd.DataFrame, *, year: int, config: Config) -> pd.DataFrame:
    """Add `dat_tieu_chuan_tien_quyet`, `quy_tac_tien_quyet`, `can_cu_tien_quyet`, `muc_do_tien_quyet`
    to the frame of val_award.sql."""
    awards = awards.copy()
    awards["dat_tieu_chuan_tien_quyet"] = True
    for column in ("quy_tac_tien_quyet", "can_cu_tien_quyet", "muc_do_tien_quyet"):
        awards[column] = None
    if awards.empty:
        return awards
    # Set membership on (file version, name) keys instead of iterrows: 18,000 award rows of a
    # 120-unit province took 11 s row by row, and take milliseconds this way.
    people = awards[(awards["doi_tuong"] == "ca_nhan") & awards["ten_chuan"].notna()]
    keys = pd.MultiIndex.from_frame(awards[["file_version_id", "ten_chuan"]])
    decided = _decided_on(awards, year)

    def holds(titles) -> pd.Series:
        held = people[people["hinh_thuc"].isin(list(titles))]
        return pd.Series(keys.isin(pd.MultiIndex.from_frame(held[["file_version_id", "ten_chuan"]])),
                         index=awards.index)

    for rule in enabled(config, "prerequisite"):
        params = rule.params
        ok = holds(params["prerequisites"])
        for kind, titles in (params.get("prerequisites_by_kind") or {}).items():
            ok |= (awards["unit_kind"] == kind) & holds(titles)
        judged = ((awards["hinh_thuc"] == params["title"]) & (awards["doi_tuong"] == "ca_nhan")
                  & awards["ten_chuan"].notna() & _in_force(rule, decided))
        failed = judged & ~ok
        awards.loc[failed, "dat_tieu_chuan_tien_quyet"] = False
        awards.loc[failed, "quy_tac_tien_quyet"] = rule.name_vi
        awards.loc[failed, "can_cu_tien_quyet"] = rule.cite_vi
        awards.loc[failed, "muc_do_tien_quyet"] = rule.severity
    return awards


def _share_counts(awards: pd.DataFrame, rule: Rule, year: int) -> pd.DataFrame:
    """Per file version: individuals given the capped title within the rule's dates, and the base."""
    people = awards[awards["doi_tuong"] == "ca_nhan"]
    title = people["hinh_thuc"] == rule.params["title"]
    awarded = people[title & _in_force(rule, _decided_on(people, year))]
    base = people[people["hinh_thuc"].isin(list(rule.params["base_titles"]))]
    return pd.DataFrame({
        "awarded": awarded.groupby("file_version_id").size(),
        "base": base.groupby("file_version_id").size(),
    }).fillna(0).astype(int)


def add_cap_columns(submissions: pd.DataFrame, *, year: int, config: Config, awards: pd.DataFrame) -> pd.DataFrame:
    """Add `trong_han_muc`, `ty_le_han_muc`, `quy_tac_han_muc`, `can_cu_han_muc`, `muc_do_han_muc`
    to the frame of val_submission.sql; `awards` are the year's int_award rows."""
    submissions = submissions.copy()
    submissions["trong_han_muc"] = True
    for column in ("ty_le_han_muc", "quy_tac_han_muc", "can_cu_han_muc", "muc_do_han_muc"):
        submissions[column] = None
    for rule in enabled(config, "share_cap"):
        counts = _share_counts(awards, rule, year)
        for index, row in submissions.iterrows():
            if pd.isna(row["file_version_id"]) or int(row["file_version_id"]) not in counts.index:
                continue
            awarded, base = counts.loc[int(row["file_version_id"])]
            if awarded == 0 or awarded <= rule.params["share"] * base:
                continue
            share = f"{awarded}/{base}" + (f" = {awarded / base:.1%}".replace(".", ",") if base else "")
            submissions.at[index, "trong_han_muc"] = False
            submissions.at[index, "ty_le_han_muc"] = share
            submissions.at[index, "quy_tac_han_muc"] = rule.name_vi
            submissions.at[index, "can_cu_han_muc"] = rule.cite_vi
            submissions.at[index, "muc_do_han_muc"] = rule.severity
    return submissions


def rules_overview(config: Config, year: int, awards: pd.DataFrame) -> list[dict]:
    """Every configured rule whose dates touch the year or its awards' decision dates, for the
    reviewer's summary: applied or not, its source and dates, and for a share cap the level's share."""
    out = []
    for rule in _touching(config, year, awards):
        entry = {
            "code": rule.code,
            "name_vi": rule.name_vi,
            "can_cu": rule.cite_vi,
            "tu_ngay": rule.effective_from,
            "den_ngay": rule.effective_to,
            "severity": rule.severity,
            "enabled": rule.enabled,
            "needs_confirmation": rule.needs_confirmation,
            "note": rule.note,
            "share": None,
        }
        if rule.kind == "share_cap" and rule.enabled:
            counts = _share_counts(awards, rule, year)
            awarded, base = int(counts["awarded"].sum()), int(counts["base"].sum())
            entry["share"] = {"han_muc_pct": rule.params["share"] * 100, "so_duoc_tang": awarded, "so_co_so": base,
                              "ty_le_pct": 100 * awarded / base if base else None}
        out.append(entry)
    return out
