-- The units' narrative lines of the report year, in registry order.
select * from mart_narrative where nam = $nam_cuoi order by unit_sort_order, row_number
