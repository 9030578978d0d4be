-- Grain: zero or one row: the approval that locks year $nam, unless a later reopening lifted it.
with

approvals as (
    select * from sign_off where nam = $nam and decision = 'approve'
),

latest as (
    select * from approvals order by decided_at desc limit 1
),

reopened as (
    select max(reopened_at) as reopened_at from year_reopen where nam = $nam
),

final as (
    select latest.sign_off_id, latest.run_id, latest.flow_run_id, latest.draft_version,
           latest.reviewer_name, latest.decided_at,
           (select count(*) from approvals) as approvals
    from latest, reopened
    where reopened.reopened_at is null or latest.decided_at > reopened.reopened_at
)

select * from final
