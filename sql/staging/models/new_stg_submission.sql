-- stg_submission of the CSV folders staged by SQL: the thong_tin sheet, typed (import → typed → final).
with cells as (
    select file_key, row_number, lower(column_name) as col, value_text
    from new_raw_cell
    where sheet_name = 'thong_tin' and lower(column_name) in ('truong', 'gia_tri')
),
fields as (
    select file_key, row_number,
           lower(vn_trim(max(value_text) filter (where col = 'truong'))) as truong,
           max(value_text) filter (where col = 'gia_tri') as gia_tri
    from cells group by all
),
first_field as (
    select file_key, truong, first(gia_tri order by row_number) as gia_tri from fields group by all
),
picked as (
    select u.file_key,
           max(f.gia_tri) filter (where f.truong = 'ten_don_vi') as ten_don_vi,
           max(f.gia_tri) filter (where f.truong = 'nguoi_lap') as nguoi_lap,
           max(f.gia_tri) filter (where f.truong = 'ngay_lap') as ngay_lap
    from new_unit u left join first_field f using (file_key)
    group by u.file_key
),
final as (
    select file_key, vn_text(ten_don_vi) as ten_don_vi, vn_text(nguoi_lap) as nguoi_lap, vn_date(ngay_lap) as ngay_lap
    from picked
)
select * from final
