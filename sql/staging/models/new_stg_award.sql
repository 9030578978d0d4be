-- stg_award of the CSV folders staged by SQL: one row per khen_thuong row under the header with a
-- contract column filled (import → typed → final). The award codes come from `award_label`, the
-- Python mapping of the year's distinct labels (tasks/parsing.hinh_thuc_code / doi_tuong_code).
with cells as (
    select file_key, sheet_name, row_number, lower(column_name) as col, value_text
    from new_raw_cell
    where sheet_name = 'khen_thuong'
      and lower(column_name) in ('hinh_thuc', 'doi_tuong', 'ten', 'so_quyet_dinh', 'ngay_quyet_dinh', 'ghi_chu')
),
rows as (
    select file_key, sheet_name, row_number,
           coalesce(vn_text(max(value_text) filter (where col = 'hinh_thuc')), '') as hinh_thuc_text,
           coalesce(vn_text(max(value_text) filter (where col = 'doi_tuong')), '') as doi_tuong_text,
           vn_text(max(value_text) filter (where col = 'ten')) as ten,
           vn_text(max(value_text) filter (where col = 'so_quyet_dinh')) as so_quyet_dinh,
           max(value_text) filter (where col = 'ngay_quyet_dinh') as ngay_quyet_dinh,
           max(value_text) filter (where col = 'ghi_chu') as ghi_chu
    from cells group by all
),
typed as (
    select *, vn_date(ngay_quyet_dinh) as ngay, vn_blank(ngay_quyet_dinh) as ngay_trong from rows
),
final as (
    select r.file_key, h.code as hinh_thuc, d.code as doi_tuong, r.hinh_thuc_text, r.doi_tuong_text, r.ten,
           r.so_quyet_dinh, r.ngay as ngay_quyet_dinh, vn_text(r.ghi_chu) as ghi_chu, r.sheet_name, r.row_number,
           case
               when not r.ngay_trong and r.ngay is null then 'ngay_quyet_dinh'
               when vn_maybe_personal(r.ghi_chu) then 'ghi_chu'
           end as python_reason
    from typed r
    left join award_label h on h.kind = 'hinh_thuc' and h.label = r.hinh_thuc_text
    left join award_label d on d.kind = 'doi_tuong' and d.label = r.doi_tuong_text
)
select * from final
