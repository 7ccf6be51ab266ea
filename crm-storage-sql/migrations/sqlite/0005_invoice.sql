-- VAT invoices (crm_core::sales::Invoice): blue and red-letter, numbers unique within their
-- code, and their lines, each a quantity of one sales order line.
-- Encodings as in 0001.

CREATE TABLE "invoice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "order_id" TEXT NOT NULL
        REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "owner_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "issue_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "red_of" TEXT
        REFERENCES "invoice" ("id") DEFERRABLE INITIALLY DEFERRED,
    "reason" TEXT,
    "net" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax" INTEGER NOT NULL /* decimal x 10^6 */,
    "gross" INTEGER NOT NULL /* decimal x 10^6 */,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "invoice_code_number" ON "invoice" ("code", "number");
CREATE INDEX "invoice_order" ON "invoice" ("order_id");
CREATE INDEX "invoice_customer" ON "invoice" ("customer_id");

CREATE TABLE "invoice_line" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "invoice_id" TEXT NOT NULL
        REFERENCES "invoice" ("id") DEFERRABLE INITIALLY DEFERRED,
    "order_id" TEXT NOT NULL,
    "order_line_id" TEXT NOT NULL
        REFERENCES "sales_order_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    "blue_line_id" TEXT
        REFERENCES "invoice_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    "position" INTEGER NOT NULL,
    "product_id" TEXT NOT NULL,
    "product_name" TEXT NOT NULL,
    "spec" TEXT,
    "unit" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_price_exclusive" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax_rate" INTEGER NOT NULL /* decimal x 10^6 */,
    "net" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax" INTEGER NOT NULL /* decimal x 10^6 */,
    "gross" INTEGER NOT NULL /* decimal x 10^6 */
) STRICT;

CREATE INDEX "invoice_line_invoice" ON "invoice_line" ("invoice_id");
CREATE INDEX "invoice_line_order" ON "invoice_line" ("order_id");
