-- Grain: the latest validation run of year $nam (one row, or none before the first check).
with

runs as (
    select * from validation_run
),

final as (
    select
        runs.run_id,
        runs.finished_at,
    from runs
    where runs.nam = $nam
)

select * from final
order by finished_at desc
limit 1
