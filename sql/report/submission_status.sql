-- Who submitted what in each year of the period: the coverage line of the report and the sources of the narrative.
select * from submission_status where nam between $nam_dau and $nam_cuoi
