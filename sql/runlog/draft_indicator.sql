-- Grain: one row per draft, year of its period and indicator: the district figures as drafted,
-- so a later draft can say which figures moved.
create table if not exists draft_indicator (
    run_id varchar not null,
    nam integer not null,
    indicator_code varchar not null,
    gia_tri double
);
