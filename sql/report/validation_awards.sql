-- Awards of the accepted submissions by year and form, up to the validated year: the award chart
-- of the validation summary page (before aggregation, so straight from staging).
select
    awards.nam,
    awards.hinh_thuc,
    mode(awards.hinh_thuc_text) as ten_hinh_thuc,
    count(*) as so_luong,
from stg_award as awards
inner join submission_status as statuses
    on statuses.file_version_id = awards.file_version_id
    and statuses.trang_thai = 'accepted'
where awards.nam between $nam - 4 and $nam
  and awards.hinh_thuc is not null
group by awards.nam, awards.hinh_thuc
order by awards.hinh_thuc, awards.nam
