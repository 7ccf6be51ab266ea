-- The initial schema on PostgreSQL: one table per record kind of crm_core::catalog::KINDS.
--
-- Every kind has `id` (uuid) and `version` (1 on creation, +1 per update), then its columns in
-- the order the core describes them, with native types: uuid, text COLLATE "C" (byte-wise
-- order, as on every adapter), bigint, numeric (exact), boolean, date, timestamptz, jsonb.
-- References (except historical mentions) are foreign keys checked at commit (DEFERRABLE
-- INITIALLY DEFERRED); unique rules of the core are unique indexes named as in the core.
-- Written by hand; the schema test in tests/schema.rs compares this file's result with the
-- core's descriptions.

CREATE TABLE "org_revision" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "note" text COLLATE "C" NOT NULL,
    CONSTRAINT "org_revision_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "department" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "parent_id" uuid,
    CONSTRAINT "department_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "department_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "department" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "department_parent" ON "department" ("parent_id");

CREATE TABLE "role" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "permissions" jsonb NOT NULL,
    "admin" boolean NOT NULL,
    CONSTRAINT "role_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "role_name" ON "role" ("name");

CREATE TABLE "employee" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "code" text COLLATE "C" NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "department_id" uuid NOT NULL,
    "manager_id" uuid,
    "role_ids" jsonb NOT NULL,
    "active" boolean NOT NULL,
    CONSTRAINT "employee_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "employee_department_id_fkey" FOREIGN KEY ("department_id") REFERENCES "department" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "employee_manager_id_fkey" FOREIGN KEY ("manager_id") REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "employee_code" ON "employee" ("code");
CREATE INDEX "employee_department" ON "employee" ("department_id");
CREATE INDEX "employee_manager" ON "employee" ("manager_id");

CREATE TABLE "setting_option" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "category" text COLLATE "C" NOT NULL,
    "value" text COLLATE "C" NOT NULL,
    "position" bigint NOT NULL,
    CONSTRAINT "setting_option_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "setting_option_value" ON "setting_option" ("category", "value");

CREATE TABLE "sequence" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "next" bigint NOT NULL,
    CONSTRAINT "sequence_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "sequence_name" ON "sequence" ("name");

CREATE TABLE "customer" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "short_name" text COLLATE "C",
    "name_key" text COLLATE "C" NOT NULL,
    "customer_type" text COLLATE "C",
    "level" text COLLATE "C",
    "industry" text COLLATE "C",
    "province" text COLLATE "C",
    "city" text COLLATE "C",
    "source" text COLLATE "C",
    "address" text COLLATE "C",
    "phone" text COLLATE "C",
    "website" text COLLATE "C",
    "credit_code" text COLLATE "C",
    "bank_name" text COLLATE "C",
    "bank_account" text COLLATE "C",
    "credit_limit" numeric,
    "owner_id" uuid NOT NULL,
    "tags" jsonb NOT NULL,
    "attributes" jsonb NOT NULL,
    "anniversaries" jsonb NOT NULL,
    "archived" boolean NOT NULL,
    "created_at" timestamptz NOT NULL,
    "created_by" uuid NOT NULL,
    "updated_at" timestamptz NOT NULL,
    "last_contact_at" timestamptz,
    "search_name" text COLLATE "C" NOT NULL,
    "search_contacts" text COLLATE "C" NOT NULL,
    CONSTRAINT "customer_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "customer_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "customer_name_key" ON "customer" ("name_key");
CREATE INDEX "customer_owner" ON "customer" ("owner_id");
CREATE INDEX "customer_credit_code" ON "customer" ("credit_code");
CREATE INDEX "customer_created_at" ON "customer" ("created_at");
CREATE INDEX "customer_region" ON "customer" ("province", "city");

CREATE TABLE "contact" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "customer_id" uuid NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "title" text COLLATE "C",
    "mobile" text COLLATE "C",
    "phone" text COLLATE "C",
    "email" text COLLATE "C",
    "birthday" date,
    "is_primary" boolean NOT NULL,
    "notes" text COLLATE "C",
    CONSTRAINT "contact_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "contact_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "contact_customer" ON "contact" ("customer_id");
CREATE INDEX "contact_mobile" ON "contact" ("mobile");

CREATE TABLE "customer_share" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "customer_id" uuid NOT NULL,
    "employee_id" uuid,
    "department_id" uuid,
    "access" text COLLATE "C" NOT NULL,
    CONSTRAINT "customer_share_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "customer_share_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "customer_share_employee_id_fkey" FOREIGN KEY ("employee_id") REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "customer_share_department_id_fkey" FOREIGN KEY ("department_id") REFERENCES "department" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "customer_share_customer" ON "customer_share" ("customer_id");
CREATE UNIQUE INDEX "customer_share_employee" ON "customer_share" ("employee_id", "customer_id");
CREATE UNIQUE INDEX "customer_share_department" ON "customer_share" ("department_id", "customer_id");

CREATE TABLE "contact_log" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "customer_id" uuid NOT NULL,
    "contact_id" uuid,
    "employee_id" uuid NOT NULL,
    "at" timestamptz NOT NULL,
    "channel" text COLLATE "C" NOT NULL,
    "summary" text COLLATE "C" NOT NULL,
    "result" text COLLATE "C",
    CONSTRAINT "contact_log_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "contact_log_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "contact_log_employee_id_fkey" FOREIGN KEY ("employee_id") REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "contact_log_customer" ON "contact_log" ("customer_id", "at");
CREATE INDEX "contact_log_employee" ON "contact_log" ("employee_id", "at");

CREATE TABLE "audit_entry" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "at" timestamptz NOT NULL,
    "actor_id" uuid NOT NULL,
    "action" text COLLATE "C" NOT NULL,
    "record_kind" text COLLATE "C" NOT NULL,
    "record_id" uuid,
    "outcome" text COLLATE "C" NOT NULL,
    "detail" jsonb NOT NULL,
    CONSTRAINT "audit_entry_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "audit_entry_record" ON "audit_entry" ("record_id");
CREATE INDEX "audit_entry_actor" ON "audit_entry" ("actor_id", "at");

