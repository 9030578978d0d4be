-- Grain: one row per khen_thuong row of the year's current submissions. Validated by
-- expectations/stg_award.json; tasks/rules.py adds the legal-rule columns before validation.
with

awards as (
    select * from int_award
),

units as (
    select * from ref_unit
),

catalogue as (
    select * from ref_award
),

-- What a clerk may write this year, for the message on an unknown title.
year_catalogue as (
    select string_agg(distinct ten_hinh_thuc, ', ') as danh_muc_nam
    from catalogue
    where (from_year is null or from_year <= $nam)
      and (to_year is null or $nam <= to_year)
),

this_year as (
    select
        awards.*,
        -- Names are compared the way a reader would: same letters, any case or spacing.
        nullif(lower(regexp_replace(trim(nfc_normalize(awards.ten)), '\s+', ' ', 'g')), '') as ten_chuan,
    from awards
    where awards.nam = $nam
),

numbered as (
    select
        this_year.*,
        row_number() over (
            partition by this_year.file_version_id, this_year.hinh_thuc, this_year.doi_tuong, this_year.ten_chuan
            order by this_year.row_number
        ) as occurrence,
        min(this_year.row_number) over (
            partition by this_year.file_version_id, this_year.hinh_thuc, this_year.doi_tuong, this_year.ten_chuan
        ) as first_row_number,
    from this_year
),

final as (
    select
        numbered.file_version_id,
        numbered.unit_code,
        units.kind as unit_kind,
        numbered.nam,
        numbered.sheet_name,
        numbered.row_number,
        numbered.hinh_thuc,
        numbered.doi_tuong,
        numbered.hinh_thuc_text,
        numbered.doi_tuong_text,
        numbered.ten,
        numbered.ten_chuan,
        numbered.so_quyet_dinh,
        strftime(numbered.ngay_quyet_dinh, '%d/%m/%Y') as ngay_quyet_dinh_text,
        year(numbered.ngay_quyet_dinh) as nam_quyet_dinh,
        numbered.ngay_quyet_dinh,
        numbered.is_known_award,
        numbered.is_recipient_allowed,
        numbered.occurrence = 1
            or numbered.ten_chuan is null
            or numbered.hinh_thuc is null
            or numbered.doi_tuong is null as is_first_for_recipient,
        numbered.first_row_number,
        year_catalogue.danh_muc_nam,
    from numbered
    cross join year_catalogue
    left join units
        on units.unit_code = numbered.unit_code
)

select * from final
order by unit_code, row_number
