-- customer_owner (owner_id) is the leading column of customer_owner_province_level
-- (owner_id, province, level), which answers every look-up by owner as well; keeping both
-- cost every imported customer a second index insert. The catalogue still lists
-- customer_owner for sled; the SQL adapters leave out an index whose columns begin another
-- index of the same table (crm_storage_sql's documentation, "Schema").

DROP INDEX IF EXISTS "customer_owner";
