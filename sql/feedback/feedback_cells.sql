-- Grain: one row per cell of a unit's current file version for year $nam that a feedback workbook
-- quotes: the cells on and above the header (sheet and column names, for near-miss hints) and each
-- row's indicator code; a unit whose file held no cell still has one row, with its file's format.
with

statuses as (
    select * from submission_status
),

file_versions as (
    select * from raw_file_version
),

cells as (
    select * from raw_cell
),

current_files as (
    select
        statuses.ma_don_vi as unit_code,
        file_versions.file_version_id,
        file_versions.file_format,
        file_versions.source_path,
    from statuses
    inner join file_versions
        on file_versions.file_version_id = statuses.file_version_id
    where statuses.nam = $nam
),

quoted_cells as (
    select *
    from cells
    where (cells.column_name is null and cells.row_number <= $header_rows)
       or cells.column_name = 'ma_chi_tieu'
),

final as (
    select
        current_files.unit_code,
        current_files.file_format,
        current_files.source_path,
        quoted_cells.sheet_name,
        quoted_cells.row_number,
        quoted_cells.cell_ref,
        quoted_cells.column_name,
        quoted_cells.value_text,
    from current_files
    left join quoted_cells
        on quoted_cells.file_version_id = current_files.file_version_id
)

select * from final
order by unit_code, sheet_name, row_number, cell_ref
