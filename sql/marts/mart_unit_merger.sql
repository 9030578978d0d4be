-- Grain: one row per merged unit of config/units.yaml (`merged_from`): the note a report or a
-- table prints wherever the unit is compared with a year before its merger.
with

units as (
    select * from ref_unit
),

predecessors as (
    select * from ref_unit_predecessor
),

comparison as (
    select distinct unit_code, nam_truoc from int_merged_unit_values
),

listed as (
    select
        predecessors.unit_code,
        any_value(predecessors.merged_on) as merged_on,
        string_agg(predecessors.predecessor_code, ', ' order by predecessors.sort_order) as ma_don_vi_truoc,
        string_agg(predecessor_units.ten_don_vi || ' (' || predecessors.predecessor_code || ')', ', '
            order by predecessors.sort_order) as ten_don_vi_truoc,
    from predecessors
    inner join units as predecessor_units
        on predecessor_units.unit_code = predecessors.predecessor_code
    group by predecessors.unit_code
),

final as (
    select
        listed.unit_code,
        units.ten_don_vi,
        listed.merged_on,
        listed.ma_don_vi_truoc,
        listed.ten_don_vi_truoc,
        comparison.nam_truoc,
        units.ten_don_vi || ' (' || listed.unit_code || ') được hợp nhất từ ' || listed.ten_don_vi_truoc
            || ' từ ngày ' || strftime(listed.merged_on, '%d/%m/%Y') || '; '
            || case
                when comparison.nam_truoc is null
                    then 'chưa có năm nào trước hợp nhất mà tất cả các đơn vị này đều có số liệu được chấp nhận để so sánh.'
                else 'số liệu so sánh năm ' || comparison.nam_truoc
                    || ' là tổng số liệu của các đơn vị này (tỷ lệ tính từ tổng tử số và tổng mẫu số).'
            end as ghi_chu,
        units.sort_order,
    from listed
    inner join units
        on units.unit_code = listed.unit_code
    left join comparison
        on comparison.unit_code = listed.unit_code
)

select * from final
