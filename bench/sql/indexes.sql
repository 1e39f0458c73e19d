-- The secondary indexes of the tables loaded in bulk (:tables): dropped before the load and built
-- again after it, which is much faster than keeping them up to date row by row. Indexes that back
-- a constraint (primary keys, unique keys) stay.
select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
from pg_index i
where i.indrelid = any(:tables::regclass[]) and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid);
