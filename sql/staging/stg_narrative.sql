-- One row per noi_dung row of an accepted file version: narrative for a report section.
create table if not exists stg_narrative (
    file_version_id bigint not null,
    nam integer not null,
    unit_code varchar not null,
    muc varchar,
    noi_dung varchar,
    sheet_name varchar not null,
    row_number integer not null
);
