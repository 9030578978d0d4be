-- One row per accepted file version: the thong_tin sheet, typed.
create table if not exists stg_submission (
    file_version_id bigint primary key,
    nam integer not null,
    unit_code varchar not null,
    ten_don_vi varchar,
    nguoi_lap varchar,
    ngay_lap date
);
