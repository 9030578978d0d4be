"""Legal award rules with their source and the years they apply to: the one place to add a decree.

Each rule adds one boolean column to a validation frame (true = the row passes, or no rule of that
kind is in force that year); an expectation in expectations/ turns a false into a warning finding
whose message names the rule's source (column `can_cu_*`). Years are reporting years: the awards
of year Y are decided at the end of Y, so a text applies to Y when it was in force on 31 December
of Y. docs/validation.md explains the choice of years.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

CSTDCS = "chien_si_thi_dua_co_so"
LDTT = "lao_dong_tien_tien"
CSTT = "chien_si_tien_tien"


@dataclass(frozen=True)
class PrerequisiteRule:
    """A title may go only to a person who holds one of the prerequisite titles the same year."""

    code: str
    source_vi: str
    from_year: int
    to_year: int | None
    title: str
    prerequisites: tuple[str, ...]
    # Titles accepted as prerequisite only in units of these kinds (armed forces: chiến sĩ tiên tiến).
    prerequisites_by_kind: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def applies_in(self, year: int) -> bool:
        return self.from_year <= year and (self.to_year is None or year <= self.to_year)


@dataclass(frozen=True)
class CapRule:
    """At most `share` of a unit's individuals holding the base titles may receive `title`."""

    code: str
    source_vi: str
    from_year: int
    to_year: int | None
    title: str
    base_titles: tuple[str, ...]
    share: float

    def applies_in(self, year: int) -> bool:
        return self.from_year <= year and (self.to_year is None or year <= self.to_year)


_ARMED_FORCES_PREREQUISITES = {"luc_luong_vu_trang": (CSTT,)}

PREREQUISITE_RULES: tuple[PrerequisiteRule, ...] = (
    PrerequisiteRule(
        code="cstdcs_can_ldtt_2003",
        source_vi="Điều 23 Luật Thi đua, khen thưởng năm 2003 (sửa đổi 2005, 2013)",
        from_year=2004,  # the 2003 law took effect on 1 July 2004
        to_year=2023,
        title=CSTDCS,
        prerequisites=(LDTT,),
        prerequisites_by_kind=_ARMED_FORCES_PREREQUISITES,
    ),
    PrerequisiteRule(
        code="cstdcs_can_ldtt_2022",
        source_vi="Điều 23 Luật Thi đua, khen thưởng năm 2022 (số 06/2022/QH15)",
        from_year=2024,  # in force from 1 January 2024
        to_year=None,
        title=CSTDCS,
        prerequisites=(LDTT,),
        prerequisites_by_kind=_ARMED_FORCES_PREREQUISITES,
    ),
)

CAP_RULES: tuple[CapRule, ...] = (
    CapRule(
        code="cstdcs_toi_da_15_phan_tram",
        source_vi="khoản 3 Điều 9 Nghị định 91/2017/NĐ-CP",
        # Signed 31 July 2017, in force 1 October 2017 (so for the 2017 awards decided at year
        # end); replaced on 1 January 2024 when the 2022 law and Nghị định 98/2023/NĐ-CP took effect.
        from_year=2017,
        to_year=2023,
        title=CSTDCS,
        base_titles=(LDTT, CSTT),
        share=0.15,
    ),
)


def in_force(rules, year: int):
    """The rules of one kind that apply to a reporting year (none, or one per title)."""
    return [r for r in rules if r.applies_in(year)]


def add_prerequisite_columns(awards: pd.DataFrame, *, year: int) -> pd.DataFrame:
    """Add `dat_tieu_chuan_tien_quyet` and `can_cu_tien_quyet` to the frame of val_award.sql."""
    awards = awards.copy()
    awards["dat_tieu_chuan_tien_quyet"] = True
    awards["can_cu_tien_quyet"] = None
    if awards.empty:
        return awards
    # Set membership on (file version, name) keys instead of iterrows: 18,000 award rows of a
    # 120-unit province took 11 s row by row, and take milliseconds this way.
    people = awards[(awards["doi_tuong"] == "ca_nhan") & awards["ten_chuan"].notna()]
    keys = pd.MultiIndex.from_frame(awards[["file_version_id", "ten_chuan"]])

    def holds(titles) -> pd.Series:
        held = people[people["hinh_thuc"].isin(list(titles))]
        return pd.Series(keys.isin(pd.MultiIndex.from_frame(held[["file_version_id", "ten_chuan"]])),
                         index=awards.index)

    for rule in in_force(PREREQUISITE_RULES, year):
        ok = holds(rule.prerequisites)
        for kind, titles in rule.prerequisites_by_kind.items():
            ok |= (awards["unit_kind"] == kind) & holds(titles)
        judged = (awards["hinh_thuc"] == rule.title) & (awards["doi_tuong"] == "ca_nhan") & awards["ten_chuan"].notna()
        failed = judged & ~ok
        awards.loc[failed, "dat_tieu_chuan_tien_quyet"] = False
        awards.loc[failed, "can_cu_tien_quyet"] = rule.source_vi
    return awards


def add_cap_columns(submissions: pd.DataFrame, *, year: int) -> pd.DataFrame:
    """Add `trong_han_muc_cstdcs`, `ty_le_cstdcs` and `can_cu_han_muc` to the frame of val_submission.sql."""
    submissions = submissions.copy()
    submissions["trong_han_muc_cstdcs"] = True
    submissions["ty_le_cstdcs"] = None
    submissions["can_cu_han_muc"] = None
    counts = {CSTDCS: "so_cstdcs_ca_nhan", LDTT: "so_ldtt_ca_nhan", CSTT: "so_cstt_ca_nhan"}
    for rule in in_force(CAP_RULES, year):
        for index, row in submissions.iterrows():
            awarded = int(row[counts[rule.title]])
            base = sum(int(row[counts[t]]) for t in rule.base_titles)
            if awarded == 0:
                continue
            if awarded > rule.share * base:
                share = f"{awarded}/{base}" + (f" = {awarded / base:.1%}".replace(".", ",") if base else "")
                submissions.at[index, "trong_han_muc_cstdcs"] = False
                submissions.at[index, "ty_le_cstdcs"] = share
                submissions.at[index, "can_cu_han_muc"] = rule.source_vi
    return submissions


def cap_overview(counts: list[dict], *, year: int) -> dict | None:
    """The district-wide share for the reviewer's summary, with the cap in force (None if none)."""
    rules = in_force(CAP_RULES, year)
    if not rules:
        return None
    rule = rules[0]
    awarded = sum(c["so_cstdcs_ca_nhan"] for c in counts)
    base = sum(c["so_ldtt_ca_nhan"] + c["so_cstt_ca_nhan"] for c in counts)
    return {
        "can_cu": rule.source_vi,
        "han_muc_pct": rule.share * 100,
        "so_cstdcs": awarded,
        "so_co_so": base,
        "ty_le_pct": 100 * awarded / base if base else None,
    }
