-- stg_narrative of the CSV folders staged by SQL: one row per noi_dung row under the header with
-- a contract column filled (import → typed → final).
with cells as (
    select file_key, sheet_name, row_number, lower(column_name) as col, value_text
    from new_raw_cell
    where sheet_name = 'noi_dung' and lower(column_name) in ('muc', 'noi_dung')
),
final as (
    select file_key, vn_text(max(value_text) filter (where col = 'muc')) as muc,
           vn_text(max(value_text) filter (where col = 'noi_dung')) as noi_dung, sheet_name, row_number,
           case when vn_maybe_personal(max(value_text) filter (where col = 'noi_dung')) then 'noi_dung' end
               as python_reason
    from cells group by file_key, sheet_name, row_number
)
select * from final
