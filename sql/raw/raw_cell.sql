-- Every non-empty cell of every file version exactly as received, as text, with its place.
create table if not exists raw_cell (
    file_version_id bigint not null,
    sheet_name varchar not null,
    row_number integer not null,         -- 1-based, as Excel (or a text editor for CSV) shows it
    column_number integer not null,      -- 1-based
    column_name varchar,                 -- the header above this cell, null on header/label rows
    cell_ref varchar not null,           -- Excel reference, e.g. B7
    value_text varchar not null
);
