-- One row per validation run of a year: when, what it found, and where GX keeps its results.
create table if not exists validation_run (
    run_id varchar primary key,
    nam integer not null,
    started_at timestamp not null,
    finished_at timestamp not null,
    so_don_vi_du_kien integer not null,  -- expected units
    so_chap_nhan integer not null,       -- accepted
    so_tu_choi integer not null,         -- rejected (quarantined)
    so_thieu integer not null,           -- missing
    so_loi_nghiem_trong integer not null, -- critical findings of the year (ingest + validate)
    so_canh_bao integer not null,        -- warning findings of the year
    gx_success boolean not null,         -- every expectation of every suite passed
    gx_project_dir varchar not null,     -- GX file context holding this run's results
    data_docs_path varchar,              -- index.html of the Data Docs, set by publish
    flow_run_id varchar
);
