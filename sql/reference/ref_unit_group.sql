-- The cụm/khối thi đua of config/units.yaml (`groups`).
create table if not exists ref_unit_group (
    group_code varchar primary key,
    ten_nhom varchar not null,
    sort_order integer not null
);
