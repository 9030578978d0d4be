-- Grain: one row per year, unit and indicator, from accepted submissions only.
with

statuses as (
    select * from submission_status
),

indicator_values as (
    select * from stg_indicator_value
),

file_versions as (
    select * from raw_file_version
),

unit_indicators as (
    select * from ref_unit_indicator
),

accepted as (
    select
        file_version_id,
    from statuses
    where trang_thai = 'accepted'
),

joined as (
    select
        indicator_values.nam,
        indicator_values.unit_code,
        indicator_values.indicator_code,
        indicator_values.gia_tri,
        indicator_values.file_version_id,
        file_versions.source_path,
        indicator_values.sheet_name,
        indicator_values.row_number,
    from indicator_values
    inner join accepted
        on accepted.file_version_id = indicator_values.file_version_id
    inner join file_versions
        on file_versions.file_version_id = indicator_values.file_version_id
    -- A code the catalogue does not assign to this unit is validation's to flag, not ours to add.
    inner join unit_indicators
        on unit_indicators.unit_code = indicator_values.unit_code
        and unit_indicators.indicator_code = indicator_values.indicator_code
    where indicator_values.gia_tri is not null
),

final as (
    select *
    from joined
    -- The same code twice is a critical finding (the unit is quarantined); this only keeps the
    -- grain true in the window before validation has run.
    qualify row_number() over (
        partition by nam, unit_code, indicator_code order by row_number
    ) = 1
)

select * from final
