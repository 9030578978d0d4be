-- One row per chi_tieu row of an accepted file version. gia_tri is null where the text could
-- not be read as a number (an ingest finding says why).
create table if not exists stg_indicator_value (
    file_version_id bigint not null,
    nam integer not null,
    unit_code varchar not null,
    indicator_code varchar,
    gia_tri double,
    gia_tri_text varchar,
    ghi_chu varchar,
    sheet_name varchar not null,
    row_number integer not null
);
