-- The unit registry of config/units.yaml, reloaded at the start of every run.
create table if not exists ref_unit (
    unit_code varchar primary key,
    ten_don_vi varchar not null,
    kind varchar not null,               -- thi_tran | xa | phong_ban | doan_the | luc_luong_vu_trang
    is_commune boolean not null,
    from_year integer,
    to_year integer,
    sort_order integer not null          -- registry order, used in reports
);
