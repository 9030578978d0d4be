-- Every problem found in a submission, at ingest or validation, with its place and severity.
-- severity: critical (quarantines the unit's submission for the year) | warning (shown to reviewers).
create table if not exists finding (
    run_id varchar not null,             -- ingest or validation run that found it
    stage varchar not null,              -- ingest | validate
    check_code varchar not null,         -- stable code of the check, e.g. so_khong_hop_le
    severity varchar not null,           -- critical | warning
    nam integer not null,
    unit_code varchar not null,
    file_version_id bigint,              -- null for completeness (missing unit) findings
    source_path varchar,
    sheet_name varchar,
    row_number integer,
    column_name varchar,
    cell_ref varchar,
    observed_value varchar,
    message_vi varchar not null,         -- what is wrong, in Vietnamese, for the unit's clerk
    fix_vi varchar,                      -- how to fix it
    found_at timestamp not null default current_timestamp
);
