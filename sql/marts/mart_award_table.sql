-- Grain: one row per year, hinh_thuc and doi_tuong (the standard combinations always present).
with

statuses as (
    select * from submission_status
),

awards as (
    select * from stg_award
),

years as (
    select distinct nam from statuses
),

-- The rows of the report's award table, in its order; a year without any still shows 0.
standard_rows as (
    select *
    from (values
        ('giay_khen', 'tap_the', 1, 'Giấy khen', 'Tập thể'),
        ('giay_khen', 'ca_nhan', 2, 'Giấy khen', 'Cá nhân'),
        ('lao_dong_tien_tien', 'tap_the', 3, 'Danh hiệu Lao động tiên tiến', 'Tập thể'),
        ('lao_dong_tien_tien', 'ca_nhan', 4, 'Danh hiệu Lao động tiên tiến', 'Cá nhân'),
        ('chien_si_tien_tien', 'tap_the', 5, 'Chiến sĩ tiên tiến', 'Tập thể'),
        ('chien_si_tien_tien', 'ca_nhan', 6, 'Chiến sĩ tiên tiến', 'Cá nhân'),
        ('chien_si_thi_dua_co_so', 'ca_nhan', 7, 'Chiến sĩ thi đua cấp cơ sở', 'Cá nhân')
    ) as t (hinh_thuc, doi_tuong, sort_order, ten_hinh_thuc, ten_doi_tuong)
),

accepted_awards as (
    select awards.*
    from awards
    inner join statuses
        on statuses.file_version_id = awards.file_version_id
        and statuses.trang_thai = 'accepted'
    where awards.hinh_thuc is not null
      and awards.doi_tuong is not null
),

counted as (
    select
        nam,
        hinh_thuc,
        doi_tuong,
        count(*) as so_luong,
        count(distinct unit_code) as so_don_vi,
    from accepted_awards
    group by nam, hinh_thuc, doi_tuong
),

grid as (
    select
        years.nam,
        standard_rows.hinh_thuc,
        standard_rows.doi_tuong,
    from years
    cross join standard_rows
),

-- A combination outside the standard grid (only possible before validation has run) is kept,
-- so the table's total always equals the accepted award rows.
final as (
    select
        coalesce(grid.nam, counted.nam) as nam,
        coalesce(grid.hinh_thuc, counted.hinh_thuc) as hinh_thuc,
        coalesce(grid.doi_tuong, counted.doi_tuong) as doi_tuong,
        coalesce(counted.so_luong, 0) as so_luong,
        coalesce(counted.so_don_vi, 0) as so_don_vi,
        standard_rows.ten_hinh_thuc,
        standard_rows.ten_doi_tuong,
        coalesce(standard_rows.sort_order, 99) as sort_order,
    from grid
    full outer join counted
        on counted.nam = grid.nam
        and counted.hinh_thuc = grid.hinh_thuc
        and counted.doi_tuong = grid.doi_tuong
    left join standard_rows
        on standard_rows.hinh_thuc = coalesce(grid.hinh_thuc, counted.hinh_thuc)
        and standard_rows.doi_tuong = coalesce(grid.doi_tuong, counted.doi_tuong)
)

select * from final
