-- The initial schema on SQLite: one STRICT table per record kind of crm_core::catalog::KINDS.
--
-- Every kind has `id` (hyphenated lower-case UUID text) and `version` (1 on creation, +1 per
-- update), then its columns in the order the core describes them. Encodings, chosen so that
-- SQLite's byte-wise text order and integer order are the port's order:
--   Id        TEXT     'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx', lower case
--   Text      TEXT     compared byte-wise (BINARY collation)
--   Int       INTEGER
--   Decimal   INTEGER  the value times 10^6 (exact; sum() stays exact; divide by 1000000 to read)
--   Bool      INTEGER  0 or 1
--   Date      TEXT     'YYYY-MM-DD'
--   Timestamp TEXT     'YYYY-MM-DDTHH:MM:SS.ffffffZ' in UTC, fixed width
--   Json      TEXT     compact JSON
-- References (except historical mentions) are foreign keys checked at commit; unique rules of
-- the core are unique indexes named as in the core. Written by hand; the schema test in
-- tests/schema.rs compares this file's result with the core's descriptions.

CREATE TABLE "org_revision" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "note" TEXT NOT NULL
) STRICT;

CREATE TABLE "department" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "parent_id" TEXT
        REFERENCES "department" ("id") DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE INDEX "department_parent" ON "department" ("parent_id");

CREATE TABLE "role" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "permissions" TEXT NOT NULL CHECK (json_valid("permissions")),
    "admin" INTEGER NOT NULL CHECK ("admin" IN (0, 1))
) STRICT;

CREATE UNIQUE INDEX "role_name" ON "role" ("name");

CREATE TABLE "employee" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "department_id" TEXT NOT NULL
        REFERENCES "department" ("id") DEFERRABLE INITIALLY DEFERRED,
    "manager_id" TEXT
        REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED,
    "role_ids" TEXT NOT NULL CHECK (json_valid("role_ids")),
    "active" INTEGER NOT NULL CHECK ("active" IN (0, 1))
) STRICT;

CREATE UNIQUE INDEX "employee_code" ON "employee" ("code");
CREATE INDEX "employee_department" ON "employee" ("department_id");
CREATE INDEX "employee_manager" ON "employee" ("manager_id");

CREATE TABLE "setting_option" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "category" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "position" INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX "setting_option_value" ON "setting_option" ("category", "value");

CREATE TABLE "sequence" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "next" INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX "sequence_name" ON "sequence" ("name");

CREATE TABLE "customer" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "short_name" TEXT,
    "name_key" TEXT NOT NULL,
    "customer_type" TEXT,
    "level" TEXT,
    "industry" TEXT,
    "province" TEXT,
    "city" TEXT,
    "source" TEXT,
    "address" TEXT,
    "phone" TEXT,
    "website" TEXT,
    "credit_code" TEXT,
    "bank_name" TEXT,
    "bank_account" TEXT,
    "credit_limit" INTEGER /* decimal x 10^6 */,
    "owner_id" TEXT NOT NULL
        REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED,
    "tags" TEXT NOT NULL CHECK (json_valid("tags")),
    "attributes" TEXT NOT NULL CHECK (json_valid("attributes")),
    "anniversaries" TEXT NOT NULL CHECK (json_valid("anniversaries")),
    "archived" INTEGER NOT NULL CHECK ("archived" IN (0, 1)),
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "created_by" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "last_contact_at" TEXT /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "search_name" TEXT NOT NULL,
    "search_contacts" TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX "customer_name_key" ON "customer" ("name_key");
CREATE INDEX "customer_owner" ON "customer" ("owner_id");
CREATE INDEX "customer_credit_code" ON "customer" ("credit_code");
CREATE INDEX "customer_created_at" ON "customer" ("created_at");
CREATE INDEX "customer_region" ON "customer" ("province", "city");

CREATE TABLE "contact" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "name" TEXT NOT NULL,
    "title" TEXT,
    "mobile" TEXT,
    "phone" TEXT,
    "email" TEXT,
    "birthday" TEXT /* YYYY-MM-DD */,
    "is_primary" INTEGER NOT NULL CHECK ("is_primary" IN (0, 1)),
    "notes" TEXT
) STRICT;

CREATE INDEX "contact_customer" ON "contact" ("customer_id");
CREATE INDEX "contact_mobile" ON "contact" ("mobile");

CREATE TABLE "customer_share" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "employee_id" TEXT
        REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED,
    "department_id" TEXT
        REFERENCES "department" ("id") DEFERRABLE INITIALLY DEFERRED,
    "access" TEXT NOT NULL
) STRICT;

CREATE INDEX "customer_share_customer" ON "customer_share" ("customer_id");
CREATE UNIQUE INDEX "customer_share_employee" ON "customer_share" ("employee_id", "customer_id");
CREATE UNIQUE INDEX "customer_share_department" ON "customer_share" ("department_id", "customer_id");

CREATE TABLE "contact_log" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "contact_id" TEXT,
    "employee_id" TEXT NOT NULL
        REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED,
    "at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "channel" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "result" TEXT
) STRICT;

CREATE INDEX "contact_log_customer" ON "contact_log" ("customer_id", "at");
CREATE INDEX "contact_log_employee" ON "contact_log" ("employee_id", "at");

CREATE TABLE "audit_entry" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "actor_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "record_kind" TEXT NOT NULL,
    "record_id" TEXT,
    "outcome" TEXT NOT NULL,
    "detail" TEXT NOT NULL CHECK (json_valid("detail"))
) STRICT;

CREATE INDEX "audit_entry_record" ON "audit_entry" ("record_id");
CREATE INDEX "audit_entry_actor" ON "audit_entry" ("actor_id", "at");

