-- Grain: one row per district-like run of a roll-up (one child DuckDB file each), written by
-- tasks/rollup.py before the marts below; a failed run is kept here with its reason.
create or replace table rollup_run (
    district_code varchar primary key,
    folder varchar not null,
    db_path varchar,
    trang_thai varchar not null,         -- ok | failed
    loi varchar,                         -- why the run failed, for the operator
    so_giay double
);
