-- Grain: one row per narrative paragraph of an accepted submission (year, section, unit, row).
with

statuses as (
    select * from submission_status
),

narrative as (
    select * from stg_narrative
),

units as (
    select * from ref_unit
),

final as (
    select
        narrative.nam,
        narrative.muc,
        narrative.unit_code,
        units.ten_don_vi,
        units.sort_order as unit_sort_order,
        narrative.noi_dung,
        narrative.row_number,
        narrative.sheet_name,
        narrative.file_version_id,
    from narrative
    inner join statuses
        on statuses.file_version_id = narrative.file_version_id
        and statuses.trang_thai = 'accepted'
    inner join units
        on units.unit_code = narrative.unit_code
    where narrative.muc is not null
      and narrative.noi_dung is not null
)

select * from final
order by nam, muc, unit_sort_order, row_number
