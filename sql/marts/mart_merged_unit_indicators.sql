-- Grain: one row per merged unit, year from its merger on, and indicator it can be compared on:
-- its own accepted value beside the sum of its predecessors before the merger. A ratio is
-- 100 × Σ numerator ÷ Σ denominator on each side (never a mean of the predecessors' ratios).
with

merged as (
    select * from int_merged_unit_values
),

unit_values as (
    select * from mart_unit_indicators
),

indicators as (
    select * from ref_indicator
),

reported as (
    select
        merged.unit_code,
        merged.ten_don_vi,
        merged.nam,
        merged.indicator_code,
        merged.sort_order,
        merged.nam_truoc,
        unit_values.gia_tri,
        merged.gia_tri_truoc,
        cast(null as double) as tu_so,
        cast(null as double) as mau_so,
        cast(null as double) as tu_so_truoc,
        cast(null as double) as mau_so_truoc,
        merged.ghi_chu_ngan,
    from merged
    left join unit_values
        on unit_values.unit_code = merged.unit_code
        and unit_values.nam = merged.nam
        and unit_values.indicator_code = merged.indicator_code
),

ratios as (
    select
        numerators.unit_code,
        numerators.ten_don_vi,
        numerators.nam,
        indicators.indicator_code,
        indicators.sort_order,
        numerators.nam_truoc,
        100 * numerators.gia_tri / nullif(denominators.gia_tri, 0) as gia_tri,
        100 * numerators.gia_tri_truoc / nullif(denominators.gia_tri_truoc, 0) as gia_tri_truoc,
        numerators.gia_tri as tu_so,
        denominators.gia_tri as mau_so,
        numerators.gia_tri_truoc as tu_so_truoc,
        denominators.gia_tri_truoc as mau_so_truoc,
        numerators.ghi_chu_ngan,
    from indicators
    inner join reported as numerators
        on numerators.indicator_code = indicators.numerator_code
    inner join reported as denominators
        on denominators.indicator_code = indicators.denominator_code
        and denominators.unit_code = numerators.unit_code
        and denominators.nam = numerators.nam
    where indicators.aggregation = 'ratio'
),

final as (
    select
        unit_code,
        ten_don_vi,
        nam,
        indicator_code,
        gia_tri,
        nam_truoc,
        gia_tri_truoc,
        gia_tri - gia_tri_truoc as chenh_lech,
        tu_so,
        mau_so,
        tu_so_truoc,
        mau_so_truoc,
        'So với ' || ghi_chu_ngan || '.' as ghi_chu,
        sort_order,
    from (
        select * from reported
        union all by name
        select * from ratios
    )
)

select * from final
