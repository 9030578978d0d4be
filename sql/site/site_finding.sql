-- Grain: one row per finding of year $nam that still stands (as validation/int_finding_current),
-- for unit $unit_code or every unit when it is null, with the name of the indicator whose
-- chi_tieu row the finding sits on: what the site shows a clerk instead of codes.
with

findings as (
    select * from finding
),

statuses as (
    select * from submission_status
),

indicator_cells as (
    select * from raw_cell
    where sheet_name = 'chi_tieu'
      and column_name = 'ma_chi_tieu'
),

indicators as (
    select * from ref_indicator
),

units as (
    select * from ref_unit
),

standing as (
    select findings.*
    from findings
    inner join statuses
        on statuses.ma_don_vi = findings.unit_code
        and statuses.nam = findings.nam
    where findings.nam = $nam
      and ($unit_code is null or findings.unit_code = $unit_code)
      and (findings.file_version_id is null or findings.file_version_id = statuses.file_version_id)
),

final as (
    select
        standing.unit_code,
        units.ten_don_vi,
        standing.severity,
        standing.check_code,
        standing.sheet_name,
        standing.row_number,
        standing.column_name,
        standing.cell_ref,
        standing.observed_value,
        standing.message_vi,
        standing.fix_vi,
        indicators.indicator_code,
        indicators.ten_chi_tieu,
    from standing
    left join indicator_cells
        on indicator_cells.file_version_id = standing.file_version_id
        and indicator_cells.row_number = standing.row_number
        and standing.sheet_name = 'chi_tieu'
    left join indicators
        on indicators.indicator_code = lower(trim(indicator_cells.value_text))
    left join units
        on units.unit_code = standing.unit_code
)

select * from final
order by
    unit_code,
    case severity when 'critical' then 0 else 1 end,
    sheet_name nulls first,
    row_number nulls first,
    check_code
