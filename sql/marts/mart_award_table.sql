-- Grain: one row per year, hinh_thuc and doi_tuong: every row of config/awards.yaml in its order,
-- in the years the award exists (0 when nobody received it), plus any combination counted outside.
with

statuses as (
    select * from submission_status
),

awards as (
    select * from int_award
),

catalogue as (
    select * from ref_award
),

years as (
    select distinct nam from statuses
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
        catalogue.hinh_thuc,
        catalogue.doi_tuong,
    from years
    inner join catalogue
        on (catalogue.from_year is null or catalogue.from_year <= years.nam)
        and (catalogue.to_year is null or years.nam <= catalogue.to_year)
),

-- A combination outside the catalogue's rows (only possible before validation has run) is kept,
-- so the table's total always equals the accepted award rows.
final as (
    select
        coalesce(grid.nam, counted.nam) as nam,
        coalesce(grid.hinh_thuc, counted.hinh_thuc) as hinh_thuc,
        coalesce(grid.doi_tuong, counted.doi_tuong) as doi_tuong,
        coalesce(counted.so_luong, 0) as so_luong,
        coalesce(counted.so_don_vi, 0) as so_don_vi,
        catalogue.ten_hinh_thuc,
        catalogue.ten_doi_tuong,
        coalesce(catalogue.sort_order, 999) as sort_order,
    from grid
    full outer join counted
        on counted.nam = grid.nam
        and counted.hinh_thuc = grid.hinh_thuc
        and counted.doi_tuong = grid.doi_tuong
    left join catalogue
        on catalogue.hinh_thuc = coalesce(grid.hinh_thuc, counted.hinh_thuc)
        and catalogue.doi_tuong = coalesce(grid.doi_tuong, counted.doi_tuong)
)

select * from final
