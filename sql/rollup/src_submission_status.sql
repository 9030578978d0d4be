-- Grain: one row per unit of one child run's year, read from `src`.
with

statuses as (
    select * from src.submission_status
),

final as (
    select
        $district_code as district_code,
        statuses.*,
    from statuses
    where statuses.nam = $nam
)

select * from final
