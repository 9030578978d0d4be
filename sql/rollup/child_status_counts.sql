-- Grain: one row for one child file's year: how many units were accepted, rejected, missing.
with

statuses as (
    select * from submission_status
),

final as (
    select
        count(*) filter (where trang_thai = 'accepted') as accepted,
        count(*) filter (where trang_thai = 'rejected') as rejected,
        count(*) filter (where trang_thai = 'missing') as missing,
    from statuses
    where nam = $nam
)

select * from final
