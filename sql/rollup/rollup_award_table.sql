-- Grain: one row per year, hinh_thuc and doi_tuong over every child run rolled up.
-- Reconciles: the total of so_luong equals the total of the children's award tables.
with

awards as (
    select * from rollup_district_awards
),

final as (
    select
        nam,
        hinh_thuc,
        doi_tuong,
        sum(so_luong) as so_luong,
        sum(so_don_vi) as so_don_vi,
        count(distinct district_code) filter (where so_luong > 0) as so_huyen,
        any_value(ten_hinh_thuc) as ten_hinh_thuc,
        any_value(ten_doi_tuong) as ten_doi_tuong,
        min(sort_order) as sort_order,
    from awards
    group by nam, hinh_thuc, doi_tuong
)

select * from final
