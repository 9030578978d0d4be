-- Grain: one row per year, unit group (cụm/khối thi đua of units.yaml) and catalogue indicator
-- some unit of the group is expected to report: the group's value, formed as the level's is
-- (sum, 100 × Σ numerator ÷ Σ denominator, count of 1s, Σ numerator of a fraction).
with

reporters as (
    select * from int_indicator_reporters
),

indicators as (
    select * from ref_indicator
),

units as (
    select * from ref_unit
),

groups as (
    select * from ref_unit_group
),

by_group as (
    select
        reporters.nam,
        units.group_code,
        reporters.indicator_code,
        count(*) as so_don_vi_du_kien,
        count(*) filter (where reporters.has_value) as so_don_vi_bao_cao,
        sum(reporters.gia_tri_don_vi) filter (where reporters.has_value) as tong_gia_tri,
        sum(reporters.mau_so_don_vi) filter (where reporters.has_value) as tong_mau_so,
        count(*) filter (where reporters.has_value and reporters.gia_tri_don_vi = 1) as so_don_vi_dat,
    from reporters
    inner join units
        on units.unit_code = reporters.unit_code
    where units.group_code is not null
    group by reporters.nam, units.group_code, reporters.indicator_code
),

final as (
    select
        by_group.nam,
        by_group.group_code,
        groups.ten_nhom,
        by_group.indicator_code,
        indicators.ten_chi_tieu,
        indicators.aggregation,
        case
            when by_group.so_don_vi_bao_cao = 0 then null
            when indicators.aggregation in ('sum', 'fraction', 'single') then by_group.tong_gia_tri
            when indicators.aggregation = 'ratio' then 100 * by_group.tong_gia_tri / nullif(by_group.tong_mau_so, 0)
            when indicators.aggregation = 'count_true' then by_group.so_don_vi_dat
        end::double as gia_tri,
        case when indicators.aggregation in ('ratio', 'fraction') then by_group.tong_gia_tri end as tu_so,
        case when indicators.aggregation in ('ratio', 'fraction') then by_group.tong_mau_so end as mau_so,
        by_group.so_don_vi_bao_cao,
        by_group.so_don_vi_du_kien,
        groups.sort_order as group_sort_order,
        indicators.sort_order,
    from by_group
    inner join groups
        on groups.group_code = by_group.group_code
    inner join indicators
        on indicators.indicator_code = by_group.indicator_code
)

select * from final
