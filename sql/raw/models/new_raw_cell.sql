-- raw_cell rows of the CSV sheets DuckDB read this run (tasks/csv_bulk.py), keyed by file_key
-- until the write gives each file version its id: every non-blank cell exactly as received, with
-- the header above it (the header is the first of the top five rows naming the sheet's first
-- column, as tasks/readers.find_header finds it).
with header as (
    select c.file_key, c.sheet_name, min(c.row_number) as header_row
    from new_cell c
    join contract_column k on k.sheet_name = c.sheet_name and k.position = 1
    where c.row_number <= 5 and lower(vn_trim(c.value_text)) = k.column_name
    group by all
),
header_cell as (
    select c.file_key, c.sheet_name, c.column_number, h.header_row, vn_trim(c.value_text) as column_name
    from new_cell c
    join header h on h.file_key = c.file_key and h.sheet_name = c.sheet_name and c.row_number = h.header_row
)
select c.file_key, c.sheet_name, c.row_number, c.column_number,
       case when c.row_number > h.header_row then h.column_name end as column_name,
       vn_column_letter(c.column_number) || c.row_number as cell_ref,
       c.value_text
from new_cell c
left join header_cell h
  on h.file_key = c.file_key and h.sheet_name = c.sheet_name and h.column_number = c.column_number
