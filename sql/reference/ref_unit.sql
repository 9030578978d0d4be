-- The unit registry of config/units.yaml, reloaded at the start of every run.
create table if not exists ref_unit (
    unit_code varchar primary key,
    ten_don_vi varchar not null,
    kind varchar not null,               -- a UnitKind of tasks/config.py (xa, phuong, so_ban_nganh, ...)
    is_commune boolean not null,         -- a commune-level kind: reports what `reported_by: communes` names
    from_year integer,                   -- first year expected (a merged unit: the year its merger took effect)
    to_year integer,                     -- last year expected (a predecessor: the year before its merger)
    group_code varchar,                  -- its cụm/khối thi đua, if any
    merged_into varchar,                 -- a predecessor: the unit it became part of
    merged_on date,                      -- a merged unit: the date its merger took effect
    sort_order integer not null          -- registry order, used in reports
);
