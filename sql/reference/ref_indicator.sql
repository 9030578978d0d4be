-- The indicator catalogue of config/indicators.yaml, reloaded at the start of every run.
create table if not exists ref_indicator (
    indicator_code varchar primary key,
    ten_chi_tieu varchar not null,
    don_vi_tinh varchar not null,
    decimals integer not null,
    value_type varchar,                  -- null for derived ratios
    reported_by varchar,                 -- communes | a unit code | null (derived)
    aggregation varchar not null,        -- sum | ratio | count_true | single | fraction
    numerator_code varchar,
    denominator_code varchar,
    period_rule varchar,                 -- sum | last | null (follows numerator/denominator)
    sort_order integer not null
);
