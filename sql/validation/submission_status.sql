-- Grain: one row per unit and year, for every expected unit and every unit that sent a file.
-- trang_thai: accepted | rejected (unreadable, or a critical finding) | missing (nothing received).
with

expected_units as (
    select * from int_expected_unit_years
),

years as (
    select distinct nam from raw_file_version
    union
    select distinct nam from finding
),

expected as (
    select
        expected_units.unit_code,
        expected_units.nam,
    from expected_units
    inner join years
        on years.nam = expected_units.nam
),

current_versions as (
    select *
    from raw_file_version
    where status <> 'superseded'
    qualify row_number() over (partition by nam, unit_code order by version desc) = 1
),

critical_counts as (
    select
        file_version_id,
        count(*) filter (where severity = 'critical') as so_loi_nghiem_trong,
        count(*) filter (where severity = 'warning') as so_canh_bao,
    from finding
    where file_version_id is not null
    group by file_version_id
),

combined as (
    select
        coalesce(expected.unit_code, current_versions.unit_code) as unit_code,
        coalesce(expected.nam, current_versions.nam) as nam,
        expected.unit_code is not null as is_expected,
        current_versions.file_version_id,
        current_versions.source_path,
        current_versions.version,
        current_versions.status as file_status,
        current_versions.reason_vi,
        coalesce(critical_counts.so_loi_nghiem_trong, 0) as so_loi_nghiem_trong,
        coalesce(critical_counts.so_canh_bao, 0) as so_canh_bao,
    from expected
    full outer join current_versions
        on expected.unit_code = current_versions.unit_code
        and expected.nam = current_versions.nam
    left join critical_counts
        on critical_counts.file_version_id = current_versions.file_version_id
),

final as (
    select
        unit_code as ma_don_vi,
        nam,
        case
            when file_version_id is null then 'missing'
            when file_status = 'rejected' or so_loi_nghiem_trong > 0 then 'rejected'
            else 'accepted'
        end as trang_thai,
        is_expected,
        file_version_id,
        source_path,
        version,
        so_loi_nghiem_trong,
        so_canh_bao,
        reason_vi,
    from combined
)

select * from final
