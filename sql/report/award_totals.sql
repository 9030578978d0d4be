-- Awards of the period by year and form (both recipient kinds): the award chart and lead sentence.
select nam, hinh_thuc, any_value(ten_hinh_thuc) as ten_hinh_thuc, min(sort_order) as sort_order,
       sum(so_luong) as so_luong
from mart_award_table
where nam between $nam_dau and $nam_cuoi
group by nam, hinh_thuc
order by min(sort_order), hinh_thuc, nam
