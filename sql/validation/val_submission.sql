-- Grain: one row per unit expected in the year or that sent a file for it. Validated by
-- expectations/stg_submission.json (completeness: anything received); tasks/rules.py adds the share-cap columns.
with

units as (
    select * from ref_unit
),

expected_units as (
    select * from int_expected_unit_years
),

file_versions as (
    select * from raw_file_version
),

expected as (
    select unit_code from expected_units where nam = $nam
),

-- Anything received counts as submitted, even a file rejected at ingest (that has its own finding).
this_year as (
    select *
    from file_versions
    where nam = $nam
      and status <> 'superseded'
    qualify row_number() over (partition by unit_code order by version desc) = 1
),

combined as (
    select
        coalesce(expected.unit_code, this_year.unit_code) as unit_code,
        this_year.file_version_id,
        this_year.file_version_id is not null as has_submission,
    from expected
    full outer join this_year
        on this_year.unit_code = expected.unit_code
),

final as (
    select
        combined.unit_code,
        units.ten_don_vi,
        units.kind as unit_kind,
        combined.file_version_id,
        case when combined.has_submission then 'khen_thuong' end as sheet_name,
        cast(null as integer) as row_number,
        combined.has_submission,
    from combined
    left join units
        on units.unit_code = combined.unit_code
)

select * from final
order by unit_code
