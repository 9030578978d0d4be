-- One row per reviewer decision on a draft: who decided what, on which validation run and which
-- exact files (sha256), so a signed report can be traced back to the data behind it.
create table if not exists sign_off (
    sign_off_id varchar primary key,
    run_id varchar not null,             -- the cycle run (draft.run_id)
    flow_run_id varchar,
    nam integer not null,
    period_years integer not null,
    draft_version integer,
    decision varchar not null,           -- approve | reject
    reviewer_name varchar not null,
    comment varchar,
    decided_at timestamp not null,
    validation_run_id varchar,
    outputs json not null                -- [{path, sha256}] of the draft the reviewer read
);
