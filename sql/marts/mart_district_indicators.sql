-- Grain: one row per catalogue indicator per year with submissions (all indicators, always).
with

indicators as (
    select * from ref_indicator
),

reporters as (
    select * from int_indicator_reporters
),

statuses as (
    select * from submission_status
),

years as (
    select distinct nam from statuses
),

by_indicator as (
    select
        nam,
        indicator_code,
        count(*) as so_don_vi_du_kien,
        count(*) filter (where has_value) as so_don_vi_bao_cao,
        sum(gia_tri_don_vi) filter (where has_value) as tong_gia_tri,
        count(*) filter (where has_value and gia_tri_don_vi = 1) as so_don_vi_dat,
        sum(mau_so_don_vi) filter (where has_value) as tong_mau_so,
        string_agg(unit_code, ', ' order by unit_sort_order)
            filter (where trang_thai = 'missing') as don_vi_chua_nop,
        string_agg(unit_code, ', ' order by unit_sort_order)
            filter (where trang_thai = 'rejected') as don_vi_bi_tam_giu,
        string_agg(unit_code, ', ' order by unit_sort_order)
            filter (where trang_thai = 'accepted' and not has_value) as don_vi_khong_bao_cao,
        string_agg(ten_don_vi || ' (' || unit_code || ')', ', ' order by unit_sort_order)
            filter (where trang_thai = 'missing') as ten_chua_nop,
        string_agg(ten_don_vi || ' (' || unit_code || ')', ', ' order by unit_sort_order)
            filter (where trang_thai = 'rejected') as ten_bi_tam_giu,
        string_agg(ten_don_vi || ' (' || unit_code || ')', ', ' order by unit_sort_order)
            filter (where trang_thai = 'accepted' and not has_value) as ten_khong_bao_cao,
    from reporters
    group by nam, indicator_code
),

-- Every catalogue indicator gets a row every year, even with nobody expected to report it.
indicator_years as (
    select
        years.nam,
        indicators.indicator_code,
        indicators.ten_chi_tieu,
        indicators.don_vi_tinh,
        indicators.decimals,
        indicators.aggregation,
        indicators.sort_order,
        denominators.ten_chi_tieu as ten_mau_so,
        coalesce(by_indicator.so_don_vi_du_kien, 0) as so_don_vi_du_kien,
        coalesce(by_indicator.so_don_vi_bao_cao, 0) as so_don_vi_bao_cao,
        by_indicator.tong_gia_tri,
        by_indicator.so_don_vi_dat,
        by_indicator.tong_mau_so,
        by_indicator.don_vi_chua_nop,
        by_indicator.don_vi_bi_tam_giu,
        by_indicator.don_vi_khong_bao_cao,
        nullif(concat_ws('; ',
            'chưa nộp: ' || by_indicator.ten_chua_nop,
            'bị tạm giữ do lỗi nghiêm trọng: ' || by_indicator.ten_bi_tam_giu,
            'không báo cáo chỉ tiêu này: ' || by_indicator.ten_khong_bao_cao
        ), '') as thieu,
    from indicators
    cross join years
    left join indicators as denominators
        on denominators.indicator_code = indicators.denominator_code
    left join by_indicator
        on by_indicator.nam = years.nam
        and by_indicator.indicator_code = indicators.indicator_code
),

valued as (
    select
        *,
        case
            when so_don_vi_bao_cao = 0 then null
            when aggregation in ('ratio', 'fraction') then tong_gia_tri
        end as tu_so,
        case
            when so_don_vi_bao_cao = 0 then null
            when aggregation in ('ratio', 'fraction') then tong_mau_so
        end as mau_so,
        case
            when so_don_vi_bao_cao = 0 then null
            when aggregation in ('sum', 'fraction') then tong_gia_tri
            -- Never a mean of unit percentages: the units' numerators and denominators are
            -- summed first, so a large commune weighs as much as its households do.
            when aggregation = 'ratio' then 100 * tong_gia_tri / nullif(tong_mau_so, 0)
            when aggregation = 'count_true' then so_don_vi_dat
            when aggregation = 'single' and so_don_vi_bao_cao = 1 then tong_gia_tri
        end::double as gia_tri,
    from indicator_years
),

final as (
    select
        nam,
        indicator_code,
        ten_chi_tieu,
        don_vi_tinh,
        decimals,
        aggregation,
        gia_tri,
        tu_so,
        mau_so,
        so_don_vi_bao_cao,
        so_don_vi_du_kien,
        so_don_vi_du_kien > 0 and so_don_vi_bao_cao = so_don_vi_du_kien as is_day_du,
        don_vi_chua_nop,
        don_vi_bi_tam_giu,
        don_vi_khong_bao_cao,
        case
            when gia_tri is not null and thieu is null then null
            when gia_tri is not null then 'Số liệu chưa đầy đủ, thiếu: ' || thieu || '.'
            when so_don_vi_du_kien = 0
                then 'Không có giá trị: không đơn vị nào được giao báo cáo chỉ tiêu này năm ' || nam || '.'
            when so_don_vi_bao_cao = 0
                then 'Không có giá trị: chưa có số liệu được chấp nhận (' || thieu || ').'
            when aggregation = 'ratio'
                then 'Không tính được tỷ lệ: tổng mẫu số “' || ten_mau_so || '” bằng 0'
                    || coalesce('; thiếu: ' || thieu, '') || '.'
            else 'Không có giá trị: có ' || so_don_vi_bao_cao || ' đơn vị cùng báo cáo một chỉ tiêu chỉ do một đơn vị báo cáo.'
        end as ghi_chu,
        sort_order,
    from valued
)

select * from final
