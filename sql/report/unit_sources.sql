-- Which accepted file, sheet and row each unit's figure came from: the HTML footnotes and
-- nguon_so_lieu_<year>.xlsx.
select nam, unit_code, indicator_code, gia_tri, source_path, sheet_name, row_number
from mart_unit_indicators
where nam between $nam_dau and $nam_cuoi
