-- The report's district figures for each year of its period.
select * from mart_district_indicators where nam between $nam_dau and $nam_cuoi
