-- Grain: one row per finding of year $nam that still stands: raised on the unit's current file
-- version (not a superseded one), or on no file at all (a missing unit). What reviewers and
-- clerks are shown.
with

findings as (
    select * from finding
),

statuses as (
    select * from submission_status
),

units as (
    select * from ref_unit
),

final as (
    select
        findings.unit_code,
        units.ten_don_vi,
        findings.severity,
        findings.check_code,
        findings.stage,
        findings.source_path,
        findings.sheet_name,
        findings.row_number,
        findings.column_name,
        findings.cell_ref,
        findings.observed_value,
        findings.message_vi,
        findings.fix_vi,
        findings.run_id,
    from findings
    inner join statuses
        on statuses.ma_don_vi = findings.unit_code
        and statuses.nam = findings.nam
    left join units
        on units.unit_code = findings.unit_code
    where findings.nam = $nam
      and (findings.file_version_id is null or findings.file_version_id = statuses.file_version_id)
)

select * from final
order by
    unit_code,
    case severity when 'critical' then 0 else 1 end,
    sheet_name nulls first,
    row_number nulls first,
    check_code
