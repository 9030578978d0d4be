-- Grain: one row per year in which unit $unit_code has a status: what its clerk sees first.
with

statuses as (
    select * from submission_status
),

final as (
    select
        statuses.nam,
        statuses.trang_thai,
        statuses.so_loi_nghiem_trong,
        statuses.so_canh_bao,
        statuses.version,
        statuses.reason_vi,
    from statuses
    where statuses.ma_don_vi = $unit_code
)

select * from final
order by nam desc
