-- Quotes and sales orders (crm_core::sales): headers, their lines (one table per document
-- kind, so that an integrator's report is a plain GROUP BY over lines) and each customer's
-- last price per product. Encodings as in 0001.

CREATE TABLE "quote" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "owner_id" TEXT NOT NULL
        REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED,
    "state" TEXT NOT NULL,
    "quote_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "valid_until" TEXT NOT NULL /* YYYY-MM-DD */,
    "terms" TEXT,
    "currency" TEXT NOT NULL,
    "tax_rounding" TEXT NOT NULL,
    "net" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax" INTEGER NOT NULL /* decimal x 10^6 */,
    "gross" INTEGER NOT NULL /* decimal x 10^6 */,
    "copied_from" TEXT,
    "order_id" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "updated_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "quote_number" ON "quote" ("number");
CREATE INDEX "quote_customer" ON "quote" ("customer_id");
CREATE INDEX "quote_owner" ON "quote" ("owner_id");

CREATE TABLE "quote_line" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "quote_id" TEXT NOT NULL
        REFERENCES "quote" ("id") DEFERRABLE INITIALLY DEFERRED,
    "position" INTEGER NOT NULL,
    "customer_id" TEXT NOT NULL,
    "owner_id" TEXT NOT NULL,
    "doc_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "product_code" TEXT NOT NULL,
    "product_name" TEXT NOT NULL,
    "spec" TEXT,
    "unit" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_price" INTEGER NOT NULL /* decimal x 10^6 */,
    "price_includes_tax" INTEGER NOT NULL CHECK ("price_includes_tax" IN (0, 1)),
    "discount" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax_rate" INTEGER NOT NULL /* decimal x 10^6 */,
    "net" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax" INTEGER NOT NULL /* decimal x 10^6 */,
    "gross" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_price_exclusive" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_price_inclusive" INTEGER NOT NULL /* decimal x 10^6 */,
    "note" TEXT,
    "booked" INTEGER NOT NULL CHECK ("booked" IN (0, 1))
) STRICT;

CREATE INDEX "quote_line_doc" ON "quote_line" ("quote_id");
CREATE INDEX "quote_line_owner_date" ON "quote_line" ("owner_id", "doc_date");
CREATE INDEX "quote_line_product" ON "quote_line" ("product_id");

CREATE TABLE "sales_order" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "owner_id" TEXT NOT NULL
        REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED,
    "quote_id" TEXT
        REFERENCES "quote" ("id") DEFERRABLE INITIALLY DEFERRED,
    "state" TEXT NOT NULL,
    "order_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "delivery_date" TEXT /* YYYY-MM-DD */,
    "terms" TEXT,
    "currency" TEXT NOT NULL,
    "tax_rounding" TEXT NOT NULL,
    "net" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax" INTEGER NOT NULL /* decimal x 10^6 */,
    "gross" INTEGER NOT NULL /* decimal x 10^6 */,
    "max_discount" INTEGER NOT NULL /* decimal x 10^6 */,
    "approved_by" TEXT,
    "approved_at" TEXT /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "updated_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "sales_order_number" ON "sales_order" ("number");
CREATE INDEX "sales_order_customer" ON "sales_order" ("customer_id");
CREATE INDEX "sales_order_owner" ON "sales_order" ("owner_id");
CREATE INDEX "sales_order_quote" ON "sales_order" ("quote_id");

CREATE TABLE "sales_order_line" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "order_id" TEXT NOT NULL
        REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "position" INTEGER NOT NULL,
    "customer_id" TEXT NOT NULL,
    "owner_id" TEXT NOT NULL,
    "doc_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "product_code" TEXT NOT NULL,
    "product_name" TEXT NOT NULL,
    "spec" TEXT,
    "unit" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_price" INTEGER NOT NULL /* decimal x 10^6 */,
    "price_includes_tax" INTEGER NOT NULL CHECK ("price_includes_tax" IN (0, 1)),
    "discount" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax_rate" INTEGER NOT NULL /* decimal x 10^6 */,
    "net" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax" INTEGER NOT NULL /* decimal x 10^6 */,
    "gross" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_price_exclusive" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_price_inclusive" INTEGER NOT NULL /* decimal x 10^6 */,
    "note" TEXT,
    "booked" INTEGER NOT NULL CHECK ("booked" IN (0, 1))
) STRICT;

CREATE INDEX "sales_order_line_doc" ON "sales_order_line" ("order_id");
CREATE INDEX "sales_order_line_owner_date" ON "sales_order_line" ("owner_id", "doc_date");
CREATE INDEX "sales_order_line_product" ON "sales_order_line" ("product_id");

CREATE TABLE "last_price" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "unit_price" INTEGER NOT NULL /* decimal x 10^6 */,
    "price_includes_tax" INTEGER NOT NULL CHECK ("price_includes_tax" IN (0, 1)),
    "discount" INTEGER NOT NULL /* decimal x 10^6 */,
    "order_id" TEXT NOT NULL
        REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "last_price_customer_product" ON "last_price" ("customer_id", "product_id");
