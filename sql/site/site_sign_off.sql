-- Grain: one row per reviewer decision on a draft of year $nam, latest first.
with

decisions as (
    select * from sign_off
),

final as (
    select
        decisions.sign_off_id,
        decisions.decision,
        decisions.reviewer_name,
        decisions.comment,
        decisions.decided_at,
        decisions.draft_version,
        decisions.period_years,
        decisions.flow_run_id,
    from decisions
    where decisions.nam = $nam
)

select * from final
order by decided_at desc
