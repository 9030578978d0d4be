-- The Vietnamese reading of the text a clerk types, as SQL (DESIGN "Numbers"), for the CSV folders
-- that DuckDB reads itself (tasks/csv_bulk.py). Each macro either gives the same value as its
-- Python twin in tasks/parsing.py or NULL, meaning "not one of the plain forms": that unit's file
-- is then read by the Python path, which gives the value or the clerk's message.
-- tests/test_properties.py proves it on every text Hypothesis generates.
--
-- Whitespace: the files staged by SQL hold no hidden characters (tasks/csv_bulk.py checks), so
-- Python's str.strip() is trim() of space, tab, CR and LF.
create or replace temp macro vn_trim(t) as trim(t, ' ' || chr(9) || chr(10) || chr(13));

create or replace temp macro vn_blank(t) as t is null or vn_trim(t) = '';

-- Python's text(): stripped, or NULL when nothing is left.
create or replace temp macro vn_text(t) as nullif(vn_trim(t), '');

-- A plain number: optional sign, then "2.780" / "2780" / "4,97" / "2.780,5" (dots group thousands
-- in threes, the comma marks decimals), or software's decimal point "707.2" (a dot that cannot
-- group thousands), then an optional "%". Group 1 is the sign, group 2 the digits.
create or replace temp macro vn_number_pattern() as
    '^[ \t\n\r]*([+-]?)[ \t\n\r]*((?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?|[0-9]+\.(?:[0-9]{1,2}|[0-9]{4,}))[ \t\n\r]*(?:%[ \t\n\r]*)?$';

create or replace temp macro vn_number_digits(t) as
    case when regexp_matches(t, vn_number_pattern()) then regexp_extract(t, vn_number_pattern(), 2) end;

-- Software's decimal point ("707.2"): the sheet it appears in reads "1.234" as ambiguous.
create or replace temp macro vn_decimal_point(t) as
    coalesce(regexp_full_match(vn_number_digits(t), '[0-9]+\.(?:[0-9]{1,2}|[0-9]{4,})'), false);

-- "1.234" or "1,093": readable either way once the sheet uses the decimal point.
create or replace temp macro vn_either_way(t) as
    coalesce(regexp_full_match(vn_number_digits(t), '[0-9]{1,3}[.,][0-9]{3}'), false);

-- The number (parse_number's value, -0.0 included), or NULL: not a plain form, or too large.
create or replace temp macro vn_number(t) as (
    case when vn_number_digits(t) is not null then
        (case when regexp_extract(t, vn_number_pattern(), 1) = '-' then -1 else 1 end)
        * try_cast(case when vn_decimal_point(t) then vn_number_digits(t)
                        else replace(replace(vn_number_digits(t), '.', ''), ',', '.') end as double)
    end
);

-- parse_date's forms: ISO 2020-12-15 or day/month/year 15/12/2020; NULL for anything else.
create or replace temp macro vn_date(t) as (
    case
        when regexp_full_match(vn_trim(t), '[0-9]{4}-[0-9]{2}-[0-9]{2}')
            and cast(left(vn_trim(t), 4) as integer) >= 1
            then try(make_date(cast(left(vn_trim(t), 4) as bigint), cast(substr(vn_trim(t), 6, 2) as bigint),
                               cast(substr(vn_trim(t), 9, 2) as bigint)))
        when regexp_full_match(vn_trim(t), '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}')
            and cast(split_part(vn_trim(t), '/', 3) as integer) >= 1
            then try(make_date(cast(split_part(vn_trim(t), '/', 3) as bigint),
                               cast(split_part(vn_trim(t), '/', 2) as bigint),
                               cast(split_part(vn_trim(t), '/', 1) as bigint)))
    end
);

-- Nine digits in a row, single spaces, dots or dashes allowed between them: every ID or phone
-- number redact_personal() removes has this shape (it decides; SQL only sends such text to it).
create or replace temp macro vn_maybe_personal(t) as coalesce(regexp_matches(t, '[0-9](?:[ .-]?[0-9]){8}'), false);

create or replace temp macro vn_ascii(t) as not coalesce(regexp_matches(t, '[^\x01-\x7f]'), false);

-- Excel's column letters (A … ZZ).
create or replace temp macro vn_column_letter(n) as
    case when n <= 26 then chr(64 + n) else chr(64 + (n - 1) // 26) || chr(65 + (n - 1) % 26) end;
