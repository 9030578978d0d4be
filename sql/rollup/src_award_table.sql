-- Grain: one row per hinh_thuc and doi_tuong of one child run's year, read from `src`.
with

awards as (
    select * from src.mart_award_table
),

final as (
    select
        $district_code as district_code,
        awards.*,
    from awards
    where awards.nam = $nam
)

select * from final
