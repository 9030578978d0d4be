-- Grain: one row per indicator of one child run's year, read from its file attached as `src`.
with

district_indicators as (
    select * from src.mart_district_indicators
),

final as (
    select
        $district_code as district_code,
        district_indicators.*,
    from district_indicators
    where district_indicators.nam = $nam
)

select * from final
