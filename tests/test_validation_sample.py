"""The shipped 2016–2020 sample passes validation; the award rules flag only what the law says."""

from __future__ import annotations


import pytest

from tasks import rules
from tasks.db import open_db
from tasks.publish import rules_counts_sql

YEARS = range(2016, 2021)



def test_sample_raises_no_critical_finding_and_every_unit_is_accepted(sample_db):
    with open_db(sample_db) as con:
        critical = con.execute("select nam, unit_code, check_code from finding where severity = 'critical'").fetchall()
        statuses = con.execute("select distinct trang_thai from submission_status").fetchall()
    assert critical == []
    assert statuses == [("accepted",)]


def test_sample_warnings_are_only_the_15_percent_cap_in_years_the_decree_was_in_force(sample_db):
    with open_db(sample_db) as con:
        warnings = con.execute("select nam, unit_code, check_code from finding where severity = 'warning' "
                               "order by all").fetchall()
    # The one unit of the sample above the cap: the education department, 62/181 in 2018 and 46/206 in 2019.
    assert warnings == [(2018, "GDDT", "cstdcs_vuot_15_phan_tram"), (2019, "GDDT", "cstdcs_vuot_15_phan_tram")]
    assert all(rules.in_force(rules.CAP_RULES, year) for year, _, _ in warnings)


@pytest.mark.parametrize("year, awarded, base", [(2016, 144, 890 + 121), (2018, 212, 1093 + 147), (2019, 208, 1198 + 142)])
def test_district_share_of_chien_si_thi_dua_co_so_matches_the_seed(sample_db, year, awarded, base):
    with open_db(sample_db) as con:
        counts = con.execute(rules_counts_sql(), [year]).df().to_dict("records")
    overview = rules.cap_overview(counts, year=year)
    if year < 2017:
        assert overview is None  # Nghị định 91/2017 was not yet in force
    else:
        assert (overview["so_cstdcs"], overview["so_co_so"]) == (awarded, base)
