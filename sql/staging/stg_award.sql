-- One row per khen_thuong row of an accepted file version. hinh_thuc / doi_tuong hold the
-- canonical code, or null where the label was not recognised (an ingest finding says why).
create table if not exists stg_award (
    file_version_id bigint not null,
    nam integer not null,
    unit_code varchar not null,
    hinh_thuc varchar,
    doi_tuong varchar,
    hinh_thuc_text varchar,
    doi_tuong_text varchar,
    ten varchar,
    so_quyet_dinh varchar,
    ngay_quyet_dinh date,
    ghi_chu varchar,
    sheet_name varchar not null,
    row_number integer not null
);
