-- One row per report draft of a year: its version folder, and what it was built from.
-- max_file_version_id marks which file versions the draft had seen, so the next draft can name
-- the units whose files arrived after it.
create table if not exists draft (
    run_id varchar primary key,          -- the cycle run that wrote it
    nam integer not null,
    version integer not null,            -- 1, 2, ... per year
    period_years integer not null,
    created_at timestamp not null,
    flow_run_id varchar,
    validation_run_id varchar,           -- the year's validation run the draft was built after
    max_file_version_id bigint,
    folder varchar not null,             -- <out>/<year>/drafts/<version>
    outputs json not null                -- [{path, sha256}] of the files copied into the folder
);
