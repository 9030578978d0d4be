-- Every way a unit may write an award in hinh_thuc (code, label, aliases), normalised the way
-- tasks/parsing.normalise_label compares labels (NFC, lower case, single spaces).
create table if not exists ref_award_label (
    nhan_chuan varchar primary key,
    hinh_thuc varchar not null
);
