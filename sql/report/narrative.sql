-- The units' narrative lines of every year of the report's period, in registry order.
select * from mart_narrative
where nam between $nam_dau and $nam_cuoi
order by unit_sort_order, nam, row_number
