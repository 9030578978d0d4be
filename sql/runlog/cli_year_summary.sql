-- Grain: one row per year of the asked range: what the CLI prints after a run.
with

status as (
    select * from submission_status
),

staged as (
    select nam, count(*) as rows_staged from stg_indicator_value group by nam
    union all
    select nam, count(*) from stg_award group by nam
    union all
    select nam, count(*) from stg_narrative group by nam
),

final as (
    select
        status.nam,
        count(*) filter (where trang_thai = 'accepted') as accepted,
        count(*) filter (where trang_thai = 'rejected') as rejected,
        count(*) filter (where trang_thai = 'missing') as missing,
        string_agg(ma_don_vi, ', ' order by ma_don_vi) filter (where trang_thai = 'rejected') as rejected_units,
        string_agg(ma_don_vi, ', ' order by ma_don_vi) filter (where trang_thai = 'missing') as missing_units,
        (select coalesce(sum(rows_staged), 0) from staged where staged.nam = status.nam) as rows_staged,
    from status
    where status.nam between $first_year and $last_year
    group by status.nam
)

select * from final order by nam
