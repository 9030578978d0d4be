-- Grain: one row per noi_dung row of the year's current submissions. Validated by
-- expectations/stg_narrative.json.
with

narrative as (
    select * from stg_narrative
),

final as (
    select
        narrative.file_version_id,
        narrative.unit_code,
        narrative.sheet_name,
        narrative.row_number,
        narrative.muc,
        narrative.noi_dung,
    from narrative
    where narrative.nam = $nam
)

select * from final
order by unit_code, row_number
