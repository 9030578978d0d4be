-- Awards of the accepted submissions by year and form, up to the validated year: the award chart
-- of the validation summary page (before aggregation, so straight from staging). One label per
-- form over all the years (the label units typed most often).
with

accepted as (
    select awards.*
    from stg_award as awards
    inner join submission_status as statuses
        on statuses.file_version_id = awards.file_version_id
        and statuses.trang_thai = 'accepted'
    where awards.nam between $nam - 4 and $nam
      and awards.hinh_thuc is not null
),

labels as (
    select hinh_thuc, mode(hinh_thuc_text) as ten_hinh_thuc
    from accepted
    group by hinh_thuc
)

select accepted.nam, accepted.hinh_thuc, labels.ten_hinh_thuc, count(*) as so_luong
from accepted
inner join labels on labels.hinh_thuc = accepted.hinh_thuc
group by accepted.nam, accepted.hinh_thuc, labels.ten_hinh_thuc
order by accepted.hinh_thuc, accepted.nam
