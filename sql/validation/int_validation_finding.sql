-- Grain: one row per GX failure of a validation run (the registered frame `validation_failure`),
-- placed in its file and cell. A place ingest already reported (e.g. text that is not a number)
-- is left out, so a clerk sees each problem once.
with

failures as (
    select * from validation_failure
),

file_versions as (
    select * from raw_file_version
),

cells as (
    select * from raw_cell
),

ingest_findings as (
    select * from finding where stage = 'ingest'
),

-- Blank cells are not in raw_cell, so a column's position comes from any cell under its header.
column_positions as (
    select
        file_version_id,
        sheet_name,
        column_name,
        min(column_number) as column_number,
    from cells
    where column_name is not null
    group by file_version_id, sheet_name, column_name
),

header_positions as (
    select
        file_version_id,
        sheet_name,
        value_text as column_name,
        min(column_number) as column_number,
    from cells
    where column_name is null
    group by file_version_id, sheet_name, value_text
),

located as (
    select
        failures.*,
        file_versions.source_path,
        coalesce(column_positions.column_number, header_positions.column_number) as column_number,
    from failures
    left join file_versions
        on file_versions.file_version_id = failures.file_version_id
    left join column_positions
        on column_positions.file_version_id = failures.file_version_id
        and column_positions.sheet_name = failures.sheet_name
        and column_positions.column_name = failures.column_name
    left join header_positions
        on header_positions.file_version_id = failures.file_version_id
        and header_positions.sheet_name = failures.sheet_name
        and header_positions.column_name = failures.column_name
),

final as (
    select *
    from located
    where not exists (
        select 1
        from ingest_findings
        where ingest_findings.file_version_id = located.file_version_id
          and ingest_findings.sheet_name is not distinct from located.sheet_name
          and ingest_findings.row_number is not distinct from located.row_number
          and ingest_findings.column_name is not distinct from located.column_name
          and located.row_number is not null
    )
)

select * from final
