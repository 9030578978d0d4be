-- Which unit is expected to report which indicator (derived from the two registries).
create table if not exists ref_unit_indicator (
    unit_code varchar not null,
    indicator_code varchar not null
);
