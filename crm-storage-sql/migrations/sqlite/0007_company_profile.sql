-- The company's own details printed on quotes and contracts (crm_core::settings::CompanyProfile):
-- a single record.
-- Encodings as in 0001.

CREATE TABLE "company_profile" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "address" TEXT,
    "phone" TEXT,
    "tax_id" TEXT,
    "bank_name" TEXT,
    "bank_account" TEXT
) STRICT;

