-- Mergers of config/units.yaml (`merged_from`): one row per merged unit and predecessor.
create table if not exists ref_unit_predecessor (
    unit_code varchar not null,
    predecessor_code varchar not null,
    merged_on date not null,
    sort_order integer not null          -- order of merged_from
);
