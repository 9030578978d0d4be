-- One row per file version received: a new row whenever a unit's file changes (new sha256).
-- status: accepted (read and typed), rejected (could not be read as a submission), superseded
-- (a later version of the same unit and year arrived). Nothing is ever deleted.
create sequence if not exists seq_file_version_id start 1;
create table if not exists raw_file_version (
    file_version_id bigint primary key default nextval('seq_file_version_id'),
    nam integer not null,
    unit_code varchar not null,          -- from the file or folder name, upper-cased
    source_path varchar not null,        -- relative to the submissions folder, e.g. 2020/TTT.xlsx
    file_format varchar not null,        -- xlsx | csv
    sha256 varchar not null,
    size_bytes bigint not null,
    version integer not null,            -- 1, 2, ... per unit and year
    status varchar not null,             -- accepted | rejected | superseded
    reason_vi varchar,                   -- why rejected, for people
    ingest_run_id varchar not null,
    received_at timestamp not null default current_timestamp
);
