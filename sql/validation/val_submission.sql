-- Grain: one row per unit expected in the year or that sent a file for it. Validated by
-- expectations/stg_submission.json (completeness: anything received); tasks/rules.py adds the award-cap column.
with

units as (
    select * from ref_unit
),

file_versions as (
    select * from raw_file_version
),

awards as (
    select * from stg_award
),

expected as (
    select *
    from units
    where (units.from_year is null or units.from_year <= $nam)
      and (units.to_year is null or $nam <= units.to_year)
),

-- Anything received counts as submitted, even a file rejected at ingest (that has its own finding).
this_year as (
    select *
    from file_versions
    where nam = $nam
      and status <> 'superseded'
    qualify row_number() over (partition by unit_code order by version desc) = 1
),

-- Individuals per title, the figures the award cap is a share of.
award_counts as (
    select
        file_version_id,
        count(*) filter (where hinh_thuc = 'chien_si_thi_dua_co_so') as so_cstdcs_ca_nhan,
        count(*) filter (where hinh_thuc = 'lao_dong_tien_tien') as so_ldtt_ca_nhan,
        count(*) filter (where hinh_thuc = 'chien_si_tien_tien') as so_cstt_ca_nhan,
    from awards
    where nam = $nam
      and doi_tuong = 'ca_nhan'
    group by file_version_id
),

combined as (
    select
        coalesce(expected.unit_code, this_year.unit_code) as unit_code,
        this_year.file_version_id,
        this_year.file_version_id is not null as has_submission,
        coalesce(award_counts.so_cstdcs_ca_nhan, 0) as so_cstdcs_ca_nhan,
        coalesce(award_counts.so_ldtt_ca_nhan, 0) as so_ldtt_ca_nhan,
        coalesce(award_counts.so_cstt_ca_nhan, 0) as so_cstt_ca_nhan,
    from expected
    full outer join this_year
        on this_year.unit_code = expected.unit_code
    left join award_counts
        on award_counts.file_version_id = this_year.file_version_id
),

final as (
    select
        combined.unit_code,
        units.ten_don_vi,
        units.kind as unit_kind,
        combined.file_version_id,
        case when combined.has_submission then 'khen_thuong' end as sheet_name,
        cast(null as integer) as row_number,
        combined.has_submission,
        combined.so_cstdcs_ca_nhan,
        combined.so_ldtt_ca_nhan,
        combined.so_cstt_ca_nhan,
    from combined
    left join units
        on units.unit_code = combined.unit_code
)

select * from final
order by unit_code
