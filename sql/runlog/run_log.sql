-- One row per stage run: which run read which file versions and produced which outputs.
create table if not exists run_log (
    run_id varchar not null,
    stage varchar not null,              -- ingest | validate | aggregate | render | sign_off
    nam integer,
    started_at timestamp not null,
    finished_at timestamp,
    flow_run_id varchar,
    detail json                          -- parameters, counts, output files with sha256
);
