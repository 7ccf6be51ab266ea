-- The usual salesperson's customer search (their customers, some provinces, some levels)
-- answered from the index instead of by reading every customer of theirs
-- (crm_core::customer::CUSTOMER, index customer_owner_province_level).

CREATE INDEX "customer_owner_province_level" ON "customer" ("owner_id", "province", "level");
