-- Receipts and receivables (crm_core::finance): bank and cash accounts, exchange rates by date,
-- receipts with their CNY value, fee and exchange difference, their allocation over orders,
-- and customer opening balances.
-- Encodings as in 0001.

CREATE TABLE "cash_account" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "is_bank" INTEGER NOT NULL CHECK ("is_bank" IN (0, 1)),
    "currency" TEXT NOT NULL,
    "account_number" TEXT,
    "active" INTEGER NOT NULL CHECK ("active" IN (0, 1))
) STRICT;

CREATE UNIQUE INDEX "cash_account_name" ON "cash_account" ("name");

CREATE TABLE "exchange_rate" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "date" TEXT NOT NULL /* YYYY-MM-DD */,
    "cny_per_unit" INTEGER NOT NULL /* decimal x 10^6 */
) STRICT;

CREATE UNIQUE INDEX "exchange_rate_currency_date" ON "exchange_rate" ("currency", "date");

CREATE TABLE "receipt" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "owner_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL
        REFERENCES "cash_account" ("id") DEFERRABLE INITIALLY DEFERRED,
    "method" TEXT NOT NULL,
    "receipt_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "currency" TEXT NOT NULL,
    "amount" INTEGER NOT NULL /* decimal x 10^6 */,
    "rate" INTEGER NOT NULL /* decimal x 10^6 */,
    "amount_cny" INTEGER NOT NULL /* decimal x 10^6 */,
    "fee_cny" INTEGER NOT NULL /* decimal x 10^6 */,
    "received_cny" INTEGER NOT NULL /* decimal x 10^6 */,
    "exchange_difference" INTEGER NOT NULL /* decimal x 10^6 */,
    "allocated_cny" INTEGER NOT NULL /* decimal x 10^6 */,
    "note" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "receipt_number" ON "receipt" ("number");
CREATE INDEX "receipt_customer" ON "receipt" ("customer_id");

CREATE TABLE "receipt_allocation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "receipt_id" TEXT NOT NULL
        REFERENCES "receipt" ("id") DEFERRABLE INITIALLY DEFERRED,
    "order_id" TEXT NOT NULL
        REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "customer_id" TEXT NOT NULL,
    "amount_cny" INTEGER NOT NULL /* decimal x 10^6 */,
    "applied_on" TEXT NOT NULL /* YYYY-MM-DD */
) STRICT;

CREATE INDEX "receipt_allocation_receipt" ON "receipt_allocation" ("receipt_id");
CREATE INDEX "receipt_allocation_order" ON "receipt_allocation" ("order_id");
CREATE INDEX "receipt_allocation_customer" ON "receipt_allocation" ("customer_id");

CREATE TABLE "opening_balance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "amount_cny" INTEGER NOT NULL /* decimal x 10^6 */,
    "as_of" TEXT NOT NULL /* YYYY-MM-DD */
) STRICT;

CREATE UNIQUE INDEX "opening_balance_customer" ON "opening_balance" ("customer_id");
