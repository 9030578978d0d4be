-- Grain: one row per unit and year it is expected to submit, for every year the CLI accepts
-- (1900–2200). The one definition of "expected this year" in SQL (Unit.expected_in mirrors it);
-- from_year/to_year already carry the mergers of units.yaml (tasks/config.py derives them).
with

units as (
    select * from ref_unit
),

years as (
    select unnest(generate_series(1900, 2200)) as nam
),

final as (
    select
        units.unit_code,
        years.nam,
        units.ten_don_vi,
        units.kind,
        units.is_commune,
        units.sort_order,
    from units
    inner join years
        on (units.from_year is null or units.from_year <= years.nam)
        and (units.to_year is null or years.nam <= units.to_year)
)

select * from final
