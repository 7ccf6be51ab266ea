-- Each role's discount limit on sales orders (crm_core::org::Role::max_discount), a fraction
-- from 0 to 1. Existing roles get 0 (any discount needs approval) and administrator roles 1.

ALTER TABLE "role" ADD COLUMN "max_discount" INTEGER NOT NULL DEFAULT 0 /* decimal x 10^6 */;
UPDATE "role" SET "max_discount" = 1000000 WHERE "admin" = 1;
