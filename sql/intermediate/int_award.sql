-- Grain: one row per stg_award row. hinh_thuc is resolved from what the unit wrote (code, label
-- or alias of config/awards.yaml) and kept only in the years the award exists; null otherwise.
with

awards as (
    select * from stg_award
),

labels as (
    select * from ref_award_label
),

catalogue as (
    select * from ref_award
),

recognised as (
    select
        awards.* exclude (hinh_thuc),
        labels.hinh_thuc as hinh_thuc_nhan_dien,
    from awards
    left join labels
        on labels.nhan_chuan = lower(regexp_replace(trim(nfc_normalize(awards.hinh_thuc_text)), '\s+', ' ', 'g'))
),

final as (
    select
        recognised.* exclude (hinh_thuc_nhan_dien),
        case when exists (
            select 1
            from catalogue
            where catalogue.hinh_thuc = recognised.hinh_thuc_nhan_dien
              and (catalogue.from_year is null or catalogue.from_year <= recognised.nam)
              and (catalogue.to_year is null or recognised.nam <= catalogue.to_year)
        ) then recognised.hinh_thuc_nhan_dien end as hinh_thuc,
        recognised.hinh_thuc_nhan_dien is not null as is_known_award,
        recognised.hinh_thuc_nhan_dien is null
            or recognised.doi_tuong is null
            or exists (
                select 1
                from catalogue
                where catalogue.hinh_thuc = recognised.hinh_thuc_nhan_dien
                  and catalogue.doi_tuong = recognised.doi_tuong
            ) as is_recipient_allowed,
    from recognised
)

select * from final
