-- Which accepted file each unit's figure came from: the sources note under each figure.
select nam, unit_code, indicator_code, source_path
from mart_unit_indicators
where nam between $nam_dau and $nam_cuoi
