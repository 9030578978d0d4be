-- The award table's label and order of each form, for charts drawn outside the report.
select hinh_thuc, min(sort_order) as sort_order, any_value(ten_hinh_thuc) as ten_hinh_thuc
from mart_award_table
group by hinh_thuc
