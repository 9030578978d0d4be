-- Why a CSV folder read by DuckDB must be read by the Python path instead: one row per reason.
-- Everything SQL does not type plainly goes there, where each problem becomes the clerk's finding;
-- an empty result means the folder is staged by the models beside this file with no finding at all.
with labels as (
    select c.file_key, c.sheet_name, lower(vn_trim(c.value_text)) as label, count(*) as times
    from new_cell c join new_header h using (file_key, sheet_name)
    where c.row_number = h.header_row
    group by all
),
info as (
    select file_key, row_number, lower(vn_trim(max(value_text) filter (where lower(column_name) = 'truong'))) as truong,
           max(value_text) filter (where lower(column_name) = 'gia_tri') as gia_tri,
           bool_and(vn_ascii(value_text)) filter (where lower(column_name) = 'truong') as ascii_truong
    from new_raw_cell
    where sheet_name = 'thong_tin' and lower(column_name) in ('truong', 'gia_tri')
    group by file_key, row_number
),
fields as (
    select file_key, truong, count(*) as times, first(gia_tri order by row_number) as gia_tri
    from info group by all
)
select file_key, 'khong_thay_dong_tieu_de ' || p.sheet_name as reason
from new_part p anti join new_header h using (file_key, sheet_name)
union all
select l.file_key, 'cot_trung ' || l.sheet_name
from labels l join contract_column k on k.sheet_name = l.sheet_name and k.column_name = l.label
where l.times > 1
union all
select p.file_key, 'thieu_cot ' || k.column_name
from new_part p
join contract_column k on k.sheet_name = p.sheet_name and k.required
anti join labels l on l.file_key = p.file_key and l.sheet_name = p.sheet_name and l.label = k.column_name
union all
select file_key, 'truong_khong_phai_ascii' from info where not coalesce(ascii_truong, true)
union all
select file_key, 'truong_dinh_danh_lap_lai' from fields where truong in ('ma_don_vi', 'nam') and times > 1
union all
select u.file_key, 'ma_don_vi'
from new_unit u left join fields f on f.file_key = u.file_key and f.truong = 'ma_don_vi'
where f.gia_tri is null or not vn_ascii(f.gia_tri) or upper(vn_trim(f.gia_tri)) <> u.unit_code
union all
select u.file_key, 'nam'
from new_unit u left join fields f on f.file_key = u.file_key and f.truong = 'nam'
where f.gia_tri is null or vn_number(f.gia_tri) is distinct from $nam
union all
select file_key, 'ngay_lap' from fields
where truong = 'ngay_lap' and not vn_blank(gia_tri) and vn_date(gia_tri) is null
