-- One row per district and year while a yearly run owns the year's cycle (from its start until the
-- reviewer decides, or the run is cancelled, crashes or times out). The run it names is asked
-- for its Prefect state before anyone honours the row: a row naming a finished run is stale.
create table if not exists cycle_guard (
    district_code varchar not null,
    nam integer not null,
    flow_run_id varchar not null,        -- the Prefect flow run that holds the year
    flow_run_name varchar,
    api_url varchar,                     -- the Prefect API that knows that run (null: embedded server)
    run_id varchar not null,             -- the cycle run (run_log.run_id)
    hostname varchar not null,
    pid integer not null,
    taken_at timestamp not null,
    primary key (district_code, nam)
);
