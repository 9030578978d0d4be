-- stg_indicator_value of the CSV folders staged by SQL: one row per chi_tieu row under the header
-- with a contract column filled (import → typed → final). `python_reason` names what SQL does not
-- type plainly; a folder with any such row is read by the Python path instead (tasks/csv_bulk.py).
with cells as (
    select file_key, sheet_name, row_number, lower(column_name) as col, value_text
    from new_raw_cell
    where sheet_name = 'chi_tieu' and lower(column_name) in ('ma_chi_tieu', 'gia_tri', 'ghi_chu')
),
rows as (
    select file_key, sheet_name, row_number,
           max(value_text) filter (where col = 'ma_chi_tieu') as ma_chi_tieu,
           max(value_text) filter (where col = 'gia_tri') as gia_tri,
           max(value_text) filter (where col = 'ghi_chu') as ghi_chu
    from cells group by all
),
typed as (
    select r.*, lower(vn_text(r.ma_chi_tieu)) as indicator_code, vn_number(r.gia_tri) as number,
           bool_or(vn_decimal_point(r.gia_tri)) over (partition by r.file_key) as sheet_uses_decimal_point
    from rows r
),
final as (
    select t.file_key, t.indicator_code, t.number as gia_tri, t.gia_tri as gia_tri_text, vn_text(t.ghi_chu) as ghi_chu,
           t.sheet_name, t.row_number,
           case
               when t.ma_chi_tieu is not null and not vn_ascii(t.ma_chi_tieu) then 'ma_chi_tieu'
               when t.gia_tri is null then 'gia_tri_trong'
               when t.number is null or isinf(t.number) then 'gia_tri'
               when t.sheet_uses_decimal_point and vn_either_way(t.gia_tri) then 'doc_hai_cach'
               when t.number < b.low or t.number > b.high then 'ngoai_khoang'
               when vn_maybe_personal(t.ghi_chu) then 'ghi_chu'
           end as python_reason
    from typed t left join indicator_bound b on b.indicator_code = t.indicator_code
    -- A code left without a value is not reported (validation says what is missing).
    where not (t.indicator_code is not null and t.gia_tri is null)
)
select * from final
