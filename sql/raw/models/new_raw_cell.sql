-- raw_cell rows of the CSV sheets DuckDB read this run (tasks/csv_bulk.py), keyed by file_key
-- until the write gives each file version its id: every non-blank cell exactly as received, with
-- the header above it (new_header).
with header_cell as (
    select c.file_key, c.sheet_name, c.column_number, h.header_row, vn_trim(c.value_text) as column_name
    from new_cell c
    join new_header h on h.file_key = c.file_key and h.sheet_name = c.sheet_name and c.row_number = h.header_row
)
select c.file_key, c.sheet_name, c.row_number, c.column_number,
       case when c.row_number > h.header_row then h.column_name end as column_name,
       vn_column_letter(c.column_number) || c.row_number as cell_ref,
       c.value_text
from new_cell c
left join header_cell h
  on h.file_key = c.file_key and h.sheet_name = c.sheet_name and h.column_number = c.column_number
