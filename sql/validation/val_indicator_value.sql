-- Grain: one row per chi_tieu row of the year's current submissions, plus one row per expected
-- indicator a submitting unit left out (is_present = false). Validated by
-- expectations/stg_indicator_value.json: each gia_tri_* column holds the value only where its
-- check applies, each is_* column is one cross-row check (true = passes).
with

indicator_values as (
    select * from stg_indicator_value
),

submissions as (
    select * from stg_submission
),

indicators as (
    select * from ref_indicator
),

unit_indicators as (
    select * from ref_unit_indicator
),

findings as (
    select * from finding
),

merged_units as (
    select * from int_merged_unit_values
),

this_year as (
    select * from indicator_values where nam = $nam
),

numbered as (
    select
        this_year.*,
        row_number() over (
            partition by this_year.file_version_id, this_year.indicator_code
            order by this_year.row_number
        ) as occurrence,
        min(this_year.row_number) over (
            partition by this_year.file_version_id, this_year.indicator_code
        ) as first_row_number,
    from this_year
),

-- The first row of each indicator in a file is the one other checks compare against.
first_values as (
    select * from numbered where occurrence = 1
),

ratio_pairs as (
    select distinct
        numerator_code,
        denominator_code,
    from indicators
    where numerator_code is not null
      and denominator_code is not null
      and numerator_code <> denominator_code
),

ratio_checks as (
    select
        numerator.file_version_id,
        numerator.row_number,
        bool_and(not (numerator.gia_tri > denominator.gia_tri)) as is_numerator_le_denominator,
        string_agg(
            numerator.indicator_code || ' = ' || numerator.gia_tri_text || ' > '
            || denominator.indicator_code || ' = ' || denominator.gia_tri_text,
            '; '
        ) filter (where numerator.gia_tri > denominator.gia_tri) as ratio_observed,
    from first_values as numerator
    inner join ratio_pairs
        on ratio_pairs.numerator_code = numerator.indicator_code
    inner join first_values as denominator
        on denominator.file_version_id = numerator.file_version_id
        and denominator.indicator_code = ratio_pairs.denominator_code
    group by numerator.file_version_id, numerator.row_number
),

-- "Accepted" earlier year: a staged file version without any critical finding.
accepted_earlier as (
    select
        submissions.unit_code,
        submissions.file_version_id,
        submissions.nam,
    from submissions
    where submissions.nam < $nam
      and not exists (
          select 1
          from findings
          where findings.file_version_id = submissions.file_version_id
            and findings.severity = 'critical'
      )
    qualify row_number() over (partition by submissions.unit_code order by submissions.nam desc) = 1
),

own_previous_values as (
    select
        accepted_earlier.unit_code,
        accepted_earlier.nam as previous_nam,
        indicator_values.indicator_code,
        indicator_values.gia_tri as previous_gia_tri,
        indicator_values.gia_tri_text as previous_gia_tri_text,
    from accepted_earlier
    inner join indicator_values
        on indicator_values.file_version_id = accepted_earlier.file_version_id
    where indicator_values.gia_tri is not null
    qualify row_number() over (
        partition by indicator_values.file_version_id, indicator_values.indicator_code
        order by indicator_values.row_number
    ) = 1
),

-- A merged unit without an earlier year of its own is compared with the sum of its predecessors
-- in their latest year before the merger (mart_merged_unit_indicators holds the same figures).
merged_previous_values as (
    select
        merged.unit_code,
        merged.nam_truoc as previous_nam,
        merged.indicator_code,
        merged.gia_tri_truoc as previous_gia_tri,
        merged.gia_tri_truoc_text || ' (' || merged.ghi_chu_ngan || ')' as previous_gia_tri_text,
    from merged_units as merged
    where merged.nam = $nam
      and merged.gia_tri_truoc is not null
),

previous_values as (
    select * from own_previous_values
    union all by name
    select merged_previous_values.*
    from merged_previous_values
    where not exists (
        select 1
        from accepted_earlier
        where accepted_earlier.unit_code = merged_previous_values.unit_code
    )
),

present as (
    select
        numbered.file_version_id,
        numbered.unit_code,
        numbered.sheet_name,
        numbered.row_number,
        numbered.indicator_code,
        indicators.ten_chi_tieu,
        indicators.value_type,
        numbered.gia_tri,
        numbered.gia_tri_text,
        true as is_present,
        numbered.indicator_code is not null
            and indicators.indicator_code is not null
            and indicators.reported_by is not null as is_known_indicator,
        indicators.indicator_code is null
            or indicators.reported_by is null
            or unit_indicators.unit_code is not null as is_reported_by_unit,
        numbered.occurrence = 1 or numbered.indicator_code is null as is_first_occurrence,
        numbered.first_row_number,
        numbered.gia_tri is not null as has_number,
        case when indicators.value_type in ('count', 'amount', 'index') then numbered.gia_tri end
            as gia_tri_khong_am,
        case when indicators.value_type = 'percent' then numbered.gia_tri end as gia_tri_phan_tram,
        case when indicators.value_type = 'flag' then numbered.gia_tri end as gia_tri_co,
        indicators.value_type is distinct from 'count'
            or numbered.gia_tri is null
            or numbered.gia_tri = floor(numbered.gia_tri) as is_whole_count,
        coalesce(ratio_checks.is_numerator_le_denominator, true) as is_numerator_le_denominator,
        ratio_checks.ratio_observed,
        previous_values.previous_nam,
        previous_values.previous_gia_tri_text,
        numbered.gia_tri is null
            or previous_values.previous_gia_tri is null
            or abs(previous_values.previous_gia_tri) < $min_base
            or abs(numbered.gia_tri - previous_values.previous_gia_tri)
                <= $threshold * abs(previous_values.previous_gia_tri) as is_within_yoy_change,
    from numbered
    left join indicators
        on indicators.indicator_code = numbered.indicator_code
    left join unit_indicators
        on unit_indicators.unit_code = numbered.unit_code
        and unit_indicators.indicator_code = numbered.indicator_code
    left join ratio_checks
        on ratio_checks.file_version_id = numbered.file_version_id
        and ratio_checks.row_number = numbered.row_number
    left join previous_values
        on previous_values.unit_code = numbered.unit_code
        and previous_values.indicator_code = numbered.indicator_code
),

left_out as (
    select
        submissions.file_version_id,
        submissions.unit_code,
        'chi_tieu' as sheet_name,
        cast(null as integer) as row_number,
        indicators.indicator_code,
        indicators.ten_chi_tieu,
        indicators.value_type,
        cast(null as double) as gia_tri,
        cast(null as varchar) as gia_tri_text,
        false as is_present,
        true as is_known_indicator,
        true as is_reported_by_unit,
        true as is_first_occurrence,
        cast(null as integer) as first_row_number,
        true as has_number,
        cast(null as double) as gia_tri_khong_am,
        cast(null as double) as gia_tri_phan_tram,
        cast(null as double) as gia_tri_co,
        true as is_whole_count,
        true as is_numerator_le_denominator,
        cast(null as varchar) as ratio_observed,
        cast(null as integer) as previous_nam,
        cast(null as varchar) as previous_gia_tri_text,
        true as is_within_yoy_change,
    from submissions
    inner join unit_indicators
        on unit_indicators.unit_code = submissions.unit_code
    inner join indicators
        on indicators.indicator_code = unit_indicators.indicator_code
    where submissions.nam = $nam
      and not exists (
          select 1
          from this_year
          where this_year.file_version_id = submissions.file_version_id
            and this_year.indicator_code = unit_indicators.indicator_code
      )
),

final as (
    select * from present
    union all by name
    select * from left_out
)

select * from final
order by unit_code, row_number nulls last, indicator_code
