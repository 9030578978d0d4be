"""The shipped 2016–2020 sample passes validation; the award rules flag only what the configuration says."""

from __future__ import annotations

import pytest

from tasks import rules
from tasks.config import load_config
from tasks.db import open_db

CONFIG = load_config()


def test_sample_raises_no_critical_finding_and_every_unit_is_accepted(sample_db):
    with open_db(sample_db) as con:
        critical = con.execute("select nam, unit_code, check_code from finding where severity = 'critical'").fetchall()
        statuses = con.execute("select distinct trang_thai from submission_status").fetchall()
    assert critical == []
    assert statuses == [("accepted",)]


def test_sample_raises_no_warning_while_the_share_cap_awaits_confirmation(sample_db):
    """The prerequisite holds for every CSTĐCS of the sample; the cap ships disabled (needs_confirmation)."""
    with open_db(sample_db) as con:
        warnings = con.execute("select distinct nam, check_code from finding where severity = 'warning'").fetchall()
    assert warnings == []
    assert [r.code for r in CONFIG.rules if not r.enabled] == ["cstdcs_toi_da_15_phan_tram"]


@pytest.mark.parametrize("year, awarded, base", [(2016, None, None), (2018, 212, 1093 + 147), (2019, 208, 1198 + 142)])
def test_district_share_of_chien_si_thi_dua_co_so_matches_the_seed(sample_db, year, awarded, base):
    """Once confirmed, the cap's level-wide share is the seed's; before its dates it is not listed."""
    confirmed = CONFIG.model_copy(update={"rules": tuple(
        r.model_copy(update={"enabled": True, "needs_confirmation": False}) for r in CONFIG.rules)})
    with open_db(sample_db) as con:
        awards = con.execute("select * from int_award where nam = ?", [year]).df()
    listed = {r["code"]: r for r in rules.rules_overview(confirmed, year, awards)}
    cap = listed.get("cstdcs_toi_da_15_phan_tram")
    if awarded is None:
        assert cap is None  # its dates begin with 1 October 2017
    else:
        assert (cap["share"]["so_duoc_tang"], cap["share"]["so_co_so"]) == (awarded, base)
