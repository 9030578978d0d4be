-- One row per fact about the file itself: `schema` (hash of the DDL it was created with) and
-- `reference` (hash of the registry and catalogues last loaded); tasks/db.py skips work they show done.
create table if not exists thidua_meta (
    name varchar primary key,
    value varchar not null
);
