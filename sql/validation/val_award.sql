-- Grain: one row per khen_thuong row of the year's current submissions. Validated by
-- expectations/stg_award.json; tasks/rules.py adds the legal-rule columns before validation.
with

awards as (
    select * from stg_award
),

units as (
    select * from ref_unit
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
        coalesce(
            not (numbered.hinh_thuc = 'chien_si_thi_dua_co_so' and numbered.doi_tuong = 'tap_the'),
            true
        ) as is_not_cstdcs_to_collective,
        numbered.occurrence = 1
            or numbered.ten_chuan is null
            or numbered.hinh_thuc is null
            or numbered.doi_tuong is null as is_first_for_recipient,
        numbered.first_row_number,
    from numbered
    left join units
        on units.unit_code = numbered.unit_code
)

select * from final
order by unit_code, row_number
