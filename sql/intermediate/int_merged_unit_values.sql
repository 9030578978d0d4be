-- Grain: one row per merged unit, year from its merger on, and summable indicator it reports
-- (value_type count or amount): the sum of its predecessors' values in their latest year before
-- the merger in which every predecessor's submission was accepted. The year-over-year check
-- (val_indicator_value.sql) and mart_merged_unit_indicators compare the merged unit with it.
with

units as (
    select * from ref_unit
),

predecessors as (
    select * from ref_unit_predecessor
),

indicators as (
    select * from ref_indicator
),

unit_indicators as (
    select * from ref_unit_indicator
),

statuses as (
    select * from submission_status
),

indicator_values as (
    select * from stg_indicator_value
),

years as (
    select distinct nam from statuses
),

mergers as (
    select
        predecessors.unit_code,
        any_value(predecessors.merged_on) as merged_on,
        count(*) as so_don_vi_truoc,
        string_agg(predecessor_units.ten_don_vi || ' (' || predecessors.predecessor_code || ')', ', '
            order by predecessors.sort_order) as ten_don_vi_truoc,
    from predecessors
    inner join units as predecessor_units
        on predecessor_units.unit_code = predecessors.predecessor_code
    group by predecessors.unit_code
),

-- The latest year before the merger in which every predecessor was accepted.
comparison_year as (
    select
        mergers.unit_code,
        max(statuses.nam) as nam_truoc,
    from mergers
    inner join predecessors
        on predecessors.unit_code = mergers.unit_code
    inner join statuses
        on statuses.ma_don_vi = predecessors.predecessor_code
        and statuses.trang_thai = 'accepted'
        and statuses.nam < year(mergers.merged_on)
    group by mergers.unit_code, statuses.nam, mergers.so_don_vi_truoc
    having count(distinct predecessors.predecessor_code) = mergers.so_don_vi_truoc
    qualify row_number() over (partition by mergers.unit_code order by statuses.nam desc) = 1
),

predecessor_values as (
    select
        predecessors.unit_code,
        indicator_values.indicator_code,
        count(distinct predecessors.predecessor_code) as so_don_vi_co_so_lieu,
        sum(indicator_values.gia_tri) as gia_tri_truoc,
    from predecessors
    inner join comparison_year
        on comparison_year.unit_code = predecessors.unit_code
    inner join statuses
        on statuses.ma_don_vi = predecessors.predecessor_code
        and statuses.nam = comparison_year.nam_truoc
        and statuses.trang_thai = 'accepted'
    inner join indicator_values
        on indicator_values.file_version_id = statuses.file_version_id
        and indicator_values.gia_tri is not null
    group by predecessors.unit_code, indicator_values.indicator_code
),

summable as (
    select
        unit_indicators.unit_code,
        indicators.indicator_code,
        indicators.sort_order,
    from unit_indicators
    inner join indicators
        on indicators.indicator_code = unit_indicators.indicator_code
    where indicators.value_type in ('count', 'amount')
),

final as (
    select
        mergers.unit_code,
        units.ten_don_vi,
        years.nam,
        summable.indicator_code,
        summable.sort_order,
        mergers.merged_on,
        mergers.ten_don_vi_truoc,
        comparison_year.nam_truoc,
        -- A partial sum would be a false comparison: only when every predecessor reported it.
        case when predecessor_values.so_don_vi_co_so_lieu = mergers.so_don_vi_truoc
            then predecessor_values.gia_tri_truoc end as gia_tri_truoc,
        case when predecessor_values.so_don_vi_co_so_lieu = mergers.so_don_vi_truoc then
            case when predecessor_values.gia_tri_truoc = floor(predecessor_values.gia_tri_truoc)
                then replace(format('{:,d}', predecessor_values.gia_tri_truoc::bigint), ',', '.')
                else replace(predecessor_values.gia_tri_truoc::varchar, '.', ',')
            end
        end as gia_tri_truoc_text,
        'tổng của ' || mergers.ten_don_vi_truoc || ' năm ' || comparison_year.nam_truoc
            || ', trước khi hợp nhất từ ngày ' || strftime(mergers.merged_on, '%d/%m/%Y') as ghi_chu_ngan,
    from mergers
    inner join units
        on units.unit_code = mergers.unit_code
    inner join years
        on years.nam >= year(mergers.merged_on)
    inner join summable
        on summable.unit_code = mergers.unit_code
    left join comparison_year
        on comparison_year.unit_code = mergers.unit_code
    left join predecessor_values
        on predecessor_values.unit_code = mergers.unit_code
        and predecessor_values.indicator_code = summable.indicator_code
)

select * from final
