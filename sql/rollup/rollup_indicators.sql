-- Grain: one row per catalogue indicator per year, over every child run rolled up.
-- Values combine the children's numerators and denominators, never their percentages.
with

district_indicators as (
    select * from rollup_district_indicators
),

runs as (
    select * from rollup_run
),

failed_runs as (
    select string_agg(district_code, ', ' order by district_code) as codes
    from runs
    where trang_thai <> 'ok'
),

combined as (
    select
        nam,
        indicator_code,
        any_value(ten_chi_tieu) as ten_chi_tieu,
        any_value(don_vi_tinh) as don_vi_tinh,
        any_value(decimals) as decimals,
        any_value(aggregation) as aggregation,
        min(sort_order) as sort_order,
        count(*) as so_huyen,
        count(*) filter (where gia_tri is not null) as so_huyen_co_so_lieu,
        sum(gia_tri) as tong_gia_tri,
        sum(tu_so) as tong_tu_so,
        sum(mau_so) as tong_mau_so,
        sum(so_don_vi_bao_cao) as so_don_vi_bao_cao,
        sum(so_don_vi_du_kien) as so_don_vi_du_kien,
        string_agg(district_code, ', ' order by district_code)
            filter (where gia_tri is null and so_don_vi_du_kien > 0) as huyen_thieu_so_lieu,
    from district_indicators
    group by nam, indicator_code
),

valued as (
    select
        combined.*,
        case
            when aggregation in ('ratio', 'fraction') then tong_tu_so
        end as tu_so,
        case
            when aggregation in ('ratio', 'fraction') then tong_mau_so
        end as mau_so,
        case
            when so_huyen_co_so_lieu = 0 then null
            when aggregation in ('sum', 'count_true', 'fraction') then tong_gia_tri
            when aggregation = 'ratio' then 100 * tong_tu_so / nullif(tong_mau_so, 0)
            -- A single-unit figure (growth, income per head) has no meaningful sum over children.
            when aggregation = 'single' and so_huyen_co_so_lieu = 1 then tong_gia_tri
        end::double as gia_tri,
    from combined
),

final as (
    select
        valued.nam,
        valued.indicator_code,
        valued.ten_chi_tieu,
        valued.don_vi_tinh,
        valued.decimals,
        valued.aggregation,
        valued.gia_tri,
        valued.tu_so,
        valued.mau_so,
        valued.so_don_vi_bao_cao,
        valued.so_don_vi_du_kien,
        valued.so_huyen,
        valued.so_huyen_co_so_lieu,
        nullif(concat_ws(' ',
            case
                when valued.aggregation = 'single' and valued.so_huyen_co_so_lieu > 1
                    then 'Chỉ tiêu do một đơn vị của từng cấp dưới báo cáo, không cộng gộp; xem giá trị từng cấp dưới.'
            end,
            'Thiếu số liệu của: ' || valued.huyen_thieu_so_lieu || '.',
            'Lượt chạy bị lỗi, chưa có số liệu: ' || failed_runs.codes || '.'
        ), '') as ghi_chu,
        valued.sort_order,
    from valued
    cross join failed_runs
)

select * from final
