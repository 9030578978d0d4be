-- Section III: the award table, one row per year, title and recipient kind.
select * from mart_award_table where nam between $nam_dau and $nam_cuoi
