-- One row per reopening of a signed year: who reopened it and why. A year is locked while its
-- latest approval is newer than its latest reopening (sql/runlog/year_lock.sql).
create table if not exists year_reopen (
    reopen_id varchar primary key,
    nam integer not null,
    reopened_at timestamp not null,      -- Asia/Ho_Chi_Minh wall time
    reopened_by varchar not null,
    reason varchar not null,
    sign_off_id varchar not null,        -- the approval it lifts
    flow_run_id varchar
);
