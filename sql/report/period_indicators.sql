-- The report's figures for the whole period (the "cả kỳ" column of a multi-year report).
select * from mart_period_indicators where nam_dau = $nam_dau and nam_cuoi = $nam_cuoi
