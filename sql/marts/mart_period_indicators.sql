-- Grain: one row per catalogue indicator for the period of $so_nam years ending with $nam_cuoi.
with

indicators as (
    select * from ref_indicator
),

district as (
    select * from mart_district_indicators
),

period as (
    select
        ($nam_cuoi - $so_nam + 1)::integer as nam_dau,
        ($nam_cuoi)::integer as nam_cuoi,
        ($so_nam)::integer as so_nam,
),

-- A ratio or a fraction has no rule of its own: its numerator and its denominator each follow
-- theirs (cases solved and cases are flows, households are a stock).
rules as (
    select
        indicators.indicator_code,
        indicators.ten_chi_tieu,
        indicators.don_vi_tinh,
        indicators.decimals,
        indicators.aggregation,
        indicators.sort_order,
        case when indicators.aggregation <> 'ratio' then indicators.period_rule end as quy_tac_gia_tri,
        numerators.period_rule as quy_tac_tu_so,
        denominators.period_rule as quy_tac_mau_so,
    from indicators
    left join indicators as numerators
        on numerators.indicator_code = indicators.numerator_code
    left join indicators as denominators
        on denominators.indicator_code = indicators.denominator_code
),

-- Mergers that took effect inside the period: its earlier years hold the predecessors.
mergers_in_period as (
    select
        string_agg(distinct strftime(predecessors.merged_on, '%d/%m/%Y'), ', ') as ngay_hop_nhat,
        string_agg(distinct predecessors.unit_code, ', ' order by predecessors.unit_code) as don_vi_hop_nhat,
    from ref_unit_predecessor as predecessors
    cross join period
    where year(predecessors.merged_on) > period.nam_dau
      and year(predecessors.merged_on) <= period.nam_cuoi
    having count(*) > 0
),

period_years as (
    select unnest(generate_series(nam_dau, nam_cuoi)) as nam
    from period
),

-- Every year of the period for every indicator, so a year nobody submitted for shows as missing.
in_period as (
    select
        rules.indicator_code,
        period_years.nam,
        district.gia_tri,
        district.tu_so,
        district.mau_so,
        district.so_don_vi_du_kien,
        district.ghi_chu,
        case
            when rules.aggregation in ('ratio', 'fraction') then district.tu_so is null or district.mau_so is null
            else district.gia_tri is null
        end as is_thieu,
    from rules
    cross join period_years
    left join district
        on district.indicator_code = rules.indicator_code
        and district.nam = period_years.nam
),

combined as (
    select
        in_period.indicator_code,
        count(in_period.gia_tri) as so_nam_co_gia_tri,
        count(in_period.tu_so) as so_nam_co_tu_so,
        count(in_period.mau_so) as so_nam_co_mau_so,
        sum(in_period.gia_tri) as tong_gia_tri,
        sum(in_period.tu_so) as tong_tu_so,
        sum(in_period.mau_so) as tong_mau_so,
        max(in_period.gia_tri) filter (where in_period.nam = period.nam_cuoi) as cuoi_gia_tri,
        max(in_period.tu_so) filter (where in_period.nam = period.nam_cuoi) as cuoi_tu_so,
        max(in_period.mau_so) filter (where in_period.nam = period.nam_cuoi) as cuoi_mau_so,
        max(in_period.so_don_vi_du_kien) filter (where in_period.nam = period.nam_cuoi)
            as so_don_vi_du_kien_cuoi,
        max(in_period.ghi_chu) filter (where in_period.nam = period.nam_cuoi) as ghi_chu_nam_cuoi,
        string_agg(in_period.nam::varchar, ', ' order by in_period.nam)
            filter (where in_period.is_thieu) as nam_thieu_so_lieu,
        string_agg('Năm ' || in_period.nam || ': ' || in_period.ghi_chu, ' ' order by in_period.nam)
            filter (where in_period.ghi_chu is not null) as ghi_chu_cac_nam,
        count(*) filter (where not in_period.is_thieu) as so_nam_co_so_lieu,
    from in_period
    cross join period
    group by in_period.indicator_code
),

picked as (
    select
        rules.*,
        period.nam_dau,
        period.nam_cuoi,
        period.so_nam,
        combined.so_nam_co_so_lieu,
        combined.ghi_chu_nam_cuoi,
        combined.so_don_vi_du_kien_cuoi,
        combined.nam_thieu_so_lieu,
        combined.ghi_chu_cac_nam,
        -- A period total over a year without a value would silently be short: no total then.
        case rules.quy_tac_gia_tri
            when 'sum' then case when combined.so_nam_co_gia_tri = period.so_nam then combined.tong_gia_tri end
            when 'last' then combined.cuoi_gia_tri
        end as gia_tri_ky,
        case rules.quy_tac_tu_so
            when 'sum' then case when combined.so_nam_co_tu_so = period.so_nam then combined.tong_tu_so end
            when 'last' then combined.cuoi_tu_so
        end as tu_so_ky,
        case rules.quy_tac_mau_so
            when 'sum' then case when combined.so_nam_co_mau_so = period.so_nam then combined.tong_mau_so end
            when 'last' then combined.cuoi_mau_so
        end as mau_so_ky,
    from rules
    cross join period
    inner join combined
        on combined.indicator_code = rules.indicator_code
),

valued as (
    select
        *,
        case when aggregation in ('ratio', 'fraction') then tu_so_ky end as tu_so,
        case when aggregation in ('ratio', 'fraction') then mau_so_ky end as mau_so,
        case
            when aggregation = 'ratio' then 100 * tu_so_ky / nullif(mau_so_ky, 0)
            when aggregation = 'fraction' then tu_so_ky
            else gia_tri_ky
        end::double as gia_tri,
        coalesce(quy_tac_gia_tri, case when quy_tac_tu_so = quy_tac_mau_so then quy_tac_tu_so else 'mixed' end)
            as quy_tac_ky,
    from picked
),

final as (
    select
        nam_dau,
        nam_cuoi,
        indicator_code,
        ten_chi_tieu,
        don_vi_tinh,
        decimals,
        aggregation,
        quy_tac_ky,
        gia_tri,
        tu_so,
        mau_so,
        case when aggregation = 'count_true' then so_don_vi_du_kien_cuoi end as so_don_vi_du_kien,
        so_nam_co_so_lieu,
        case
            when gia_tri is null and aggregation = 'ratio' and mau_so_ky = 0
                then 'Không tính được tỷ lệ: tổng mẫu số của giai đoạn bằng 0.'
            when gia_tri is null and quy_tac_ky = 'last'
                then 'Không có giá trị năm ' || nam_cuoi || ' (năm cuối giai đoạn).'
                    || coalesce(' ' || ghi_chu_nam_cuoi, '')
            when gia_tri is null
                then 'Không cộng được cả giai đoạn: thiếu số liệu năm '
                    || coalesce(nam_thieu_so_lieu, '') || '.' || coalesce(' ' || ghi_chu_cac_nam, '')
            when quy_tac_ky = 'last' then ghi_chu_nam_cuoi
            else ghi_chu_cac_nam
        end as ghi_chu,
        -- One note the report can print under a period table spanning a merger (mart_unit_merger
        -- has one per merged unit).
        'Các năm trước ngày hợp nhất (' || mergers_in_period.ngay_hop_nhat || ') gồm số liệu của các đơn vị cũ, '
            || 'nay là ' || mergers_in_period.don_vi_hop_nhat || '; mỗi năm cộng các đơn vị được giao báo cáo năm đó.'
            as ghi_chu_hop_nhat,
        sort_order,
    from valued
    left join mergers_in_period
        on true
)

select * from final
