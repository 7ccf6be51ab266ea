-- The company's own details printed on quotes and contracts (crm_core::settings::CompanyProfile):
-- a single record.

CREATE TABLE "company_profile" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "address" text COLLATE "C",
    "phone" text COLLATE "C",
    "tax_id" text COLLATE "C",
    "bank_name" text COLLATE "C",
    "bank_account" text COLLATE "C",
    CONSTRAINT "company_profile_pkey" PRIMARY KEY ("id")
);

