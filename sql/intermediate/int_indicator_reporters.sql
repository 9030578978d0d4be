-- Grain: one row per year, catalogue indicator and unit expected to report it (a ratio's
-- reporters are the units expected to report both its numerator and its denominator).
with

indicators as (
    select * from ref_indicator
),

expected_units as (
    select * from int_expected_unit_years
),

unit_indicators as (
    select * from ref_unit_indicator
),

statuses as (
    select * from submission_status
),

unit_values as (
    select * from mart_unit_indicators
),

years as (
    select distinct nam from statuses
),

-- Which reported codes feed each indicator: its own value, or a numerator and a denominator.
inputs as (
    select
        indicator_code,
        aggregation,
        case when aggregation = 'ratio' then numerator_code else indicator_code end as value_code,
        case when aggregation in ('ratio', 'fraction') then denominator_code end as denominator_code,
    from indicators
),

expected as (
    select
        years.nam,
        inputs.indicator_code,
        inputs.aggregation,
        inputs.value_code,
        inputs.denominator_code,
        units.unit_code,
        units.ten_don_vi,
        units.sort_order as unit_sort_order,
    from inputs
    cross join years
    inner join unit_indicators as value_reporters
        on value_reporters.indicator_code = inputs.value_code
    inner join expected_units as units
        on units.unit_code = value_reporters.unit_code
        and units.nam = years.nam
    where (
          inputs.denominator_code is null
          or exists (
              select 1
              from unit_indicators as denominator_reporters
              where denominator_reporters.unit_code = units.unit_code
                and denominator_reporters.indicator_code = inputs.denominator_code
          )
      )
),

final as (
    select
        expected.nam,
        expected.indicator_code,
        expected.aggregation,
        expected.unit_code,
        expected.ten_don_vi,
        expected.unit_sort_order,
        coalesce(statuses.trang_thai, 'missing') as trang_thai,
        statuses.source_path,
        value_rows.gia_tri as gia_tri_don_vi,
        denominator_rows.gia_tri as mau_so_don_vi,
        coalesce(statuses.trang_thai, 'missing') = 'accepted'
            and value_rows.gia_tri is not null
            and (expected.denominator_code is null or denominator_rows.gia_tri is not null)
            as has_value,
    from expected
    left join statuses
        on statuses.ma_don_vi = expected.unit_code
        and statuses.nam = expected.nam
    left join unit_values as value_rows
        on value_rows.nam = expected.nam
        and value_rows.unit_code = expected.unit_code
        and value_rows.indicator_code = expected.value_code
    left join unit_values as denominator_rows
        on denominator_rows.nam = expected.nam
        and denominator_rows.unit_code = expected.unit_code
        and denominator_rows.indicator_code = expected.denominator_code
)

select * from final
