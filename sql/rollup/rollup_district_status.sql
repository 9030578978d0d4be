-- Grain: one row per child run: did it finish, and how many of its units were accepted,
-- rejected (quarantined) or missing.
with

runs as (
    select * from rollup_run
),

statuses as (
    select * from rollup_submission_status
),

counted as (
    select
        district_code,
        count(*) filter (where is_expected) as so_don_vi_du_kien,
        count(*) filter (where trang_thai = 'accepted') as so_chap_nhan,
        count(*) filter (where trang_thai = 'rejected') as so_tam_giu,
        count(*) filter (where trang_thai = 'missing') as so_chua_nop,
    from statuses
    group by district_code
),

final as (
    select
        runs.district_code,
        runs.trang_thai,
        runs.loi,
        coalesce(counted.so_don_vi_du_kien, 0) as so_don_vi_du_kien,
        coalesce(counted.so_chap_nhan, 0) as so_chap_nhan,
        coalesce(counted.so_tam_giu, 0) as so_tam_giu,
        coalesce(counted.so_chua_nop, 0) as so_chua_nop,
        runs.so_giay,
        runs.db_path,
    from runs
    left join counted
        on counted.district_code = runs.district_code
)

select * from final
