-- The header row of each CSV sheet DuckDB read this run: the first of the top five rows naming the
-- sheet's first column, as tasks/readers.find_header finds it.
select c.file_key, c.sheet_name, min(c.row_number) as header_row
from new_cell c
join contract_column k on k.sheet_name = c.sheet_name and k.position = 1
where c.row_number <= 5 and lower(vn_trim(c.value_text)) = k.column_name
group by all
