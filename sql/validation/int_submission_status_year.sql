-- Grain: one row per unit of year $nam in submission_status, with its Vietnamese name, in
-- registry order: what the summary page, the CSV and the Prefect artifact list.
with

statuses as (
    select * from submission_status
),

units as (
    select * from ref_unit
),

final as (
    select
        statuses.ma_don_vi,
        statuses.trang_thai,
        units.ten_don_vi,
        statuses.nam,
        statuses.so_loi_nghiem_trong,
        statuses.so_canh_bao,
        statuses.source_path,
        statuses.version,
        statuses.reason_vi,
        statuses.is_expected,
        statuses.file_version_id,
        units.sort_order,
    from statuses
    left join units
        on units.unit_code = statuses.ma_don_vi
    where statuses.nam = $nam
)

select * from final
order by sort_order nulls last, ma_don_vi
