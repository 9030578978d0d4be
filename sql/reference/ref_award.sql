-- The award catalogue of config/awards.yaml: one row per award and recipient kind, in table order.
create table if not exists ref_award (
    hinh_thuc varchar not null,
    doi_tuong varchar not null,          -- tap_the | ca_nhan: who may receive it
    ten_hinh_thuc varchar not null,      -- the award table's row label
    ten_doi_tuong varchar not null,
    from_year integer,                   -- first and last reporting year the award exists
    to_year integer,
    sort_order integer not null
);
