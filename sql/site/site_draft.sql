-- Grain: one row per report draft of year $nam, latest first.
with

drafts as (
    select * from draft
),

final as (
    select
        drafts.version,
        drafts.period_years,
        drafts.created_at,
        drafts.validation_run_id,
        drafts.flow_run_id,
    from drafts
    where drafts.nam = $nam
)

select * from final
order by version desc
