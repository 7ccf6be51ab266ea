-- Goods (进销存): purchasing (crm_core::purchase) — suppliers with contacts and their
-- price history, requests for quotation with their lines, suppliers and answers, purchase
-- orders and their lines, payments to suppliers, input invoices and supplier openings — then
-- inventory (crm_core::inventory) — warehouses, shipping notices and their lines, the balance
-- of each product in each warehouse, stock documents and their lines, the append-only stock
-- ledger, and stocktakes with their counted lines.
-- Encodings as in 0001. The people and department written on documents, a ledger entry's
-- "doc_line_id" and a supplier price's "source_id" (a request for quotation or a purchase
-- order) are historical mentions, not foreign keys.

CREATE TABLE "supplier" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "name_key" TEXT NOT NULL,
    "credit_code" TEXT,
    "phone" TEXT,
    "address" TEXT,
    "bank_account" TEXT,
    "active" INTEGER NOT NULL CHECK ("active" IN (0, 1)),
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "supplier_code" ON "supplier" ("code");
CREATE UNIQUE INDEX "supplier_name_key" ON "supplier" ("name_key");

CREATE TABLE "supplier_contact" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "supplier_id" TEXT NOT NULL
        REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    "name" TEXT NOT NULL,
    "mobile" TEXT,
    "email" TEXT,
    "title" TEXT
) STRICT;

CREATE INDEX "supplier_contact_supplier" ON "supplier_contact" ("supplier_id");

CREATE TABLE "supplier_price" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "supplier_id" TEXT NOT NULL
        REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "unit_price" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax_rate" INTEGER NOT NULL /* decimal x 10^6 */,
    "quoted_on" TEXT NOT NULL /* YYYY-MM-DD */,
    "source" TEXT NOT NULL,
    "source_id" TEXT NOT NULL
) STRICT;

CREATE INDEX "supplier_price_product" ON "supplier_price" ("product_id", "supplier_id", "quoted_on");

CREATE TABLE "rfq" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "rfq_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "due_date" TEXT /* YYYY-MM-DD */,
    "closed" INTEGER NOT NULL CHECK ("closed" IN (0, 1)),
    "note" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "rfq_number" ON "rfq" ("number");

CREATE TABLE "rfq_line" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "rfq_id" TEXT NOT NULL
        REFERENCES "rfq" ("id") DEFERRABLE INITIALLY DEFERRED,
    "position" INTEGER NOT NULL,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */
) STRICT;

CREATE INDEX "rfq_line_rfq" ON "rfq_line" ("rfq_id", "position");

CREATE TABLE "rfq_supplier" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "rfq_id" TEXT NOT NULL
        REFERENCES "rfq" ("id") DEFERRABLE INITIALLY DEFERRED,
    "supplier_id" TEXT NOT NULL
        REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    "answered_at" TEXT /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "rfq_supplier_pair" ON "rfq_supplier" ("rfq_id", "supplier_id");

CREATE TABLE "rfq_answer" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "rfq_id" TEXT NOT NULL
        REFERENCES "rfq" ("id") DEFERRABLE INITIALLY DEFERRED,
    "rfq_line_id" TEXT NOT NULL
        REFERENCES "rfq_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    "supplier_id" TEXT NOT NULL
        REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    "unit_price" INTEGER NOT NULL /* decimal x 10^6 */,
    "price_includes_tax" INTEGER NOT NULL CHECK ("price_includes_tax" IN (0, 1)),
    "tax_rate" INTEGER NOT NULL /* decimal x 10^6 */,
    "lead_days" INTEGER
) STRICT;

CREATE UNIQUE INDEX "rfq_answer_line_supplier" ON "rfq_answer" ("rfq_line_id", "supplier_id");
CREATE INDEX "rfq_answer_rfq" ON "rfq_answer" ("rfq_id");

CREATE TABLE "purchase_order" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "supplier_id" TEXT NOT NULL
        REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    "rfq_id" TEXT
        REFERENCES "rfq" ("id") DEFERRABLE INITIALLY DEFERRED,
    "state" TEXT NOT NULL,
    "order_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "expected_date" TEXT /* YYYY-MM-DD */,
    "tax_rounding" TEXT NOT NULL,
    "net" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax" INTEGER NOT NULL /* decimal x 10^6 */,
    "gross" INTEGER NOT NULL /* decimal x 10^6 */,
    "approved_by" TEXT,
    "approved_at" TEXT /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "updated_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "purchase_order_number" ON "purchase_order" ("number");
CREATE INDEX "purchase_order_supplier" ON "purchase_order" ("supplier_id");

CREATE TABLE "purchase_line" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "order_id" TEXT NOT NULL
        REFERENCES "purchase_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "position" INTEGER NOT NULL,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "product_code" TEXT NOT NULL,
    "product_name" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_price" INTEGER NOT NULL /* decimal x 10^6 */,
    "price_includes_tax" INTEGER NOT NULL CHECK ("price_includes_tax" IN (0, 1)),
    "tax_rate" INTEGER NOT NULL /* decimal x 10^6 */,
    "net" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax" INTEGER NOT NULL /* decimal x 10^6 */,
    "gross" INTEGER NOT NULL /* decimal x 10^6 */
) STRICT;

CREATE INDEX "purchase_line_order" ON "purchase_line" ("order_id", "position");

CREATE TABLE "supplier_payment" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "supplier_id" TEXT NOT NULL
        REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    "order_id" TEXT
        REFERENCES "purchase_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "account_id" TEXT NOT NULL
        REFERENCES "cash_account" ("id") DEFERRABLE INITIALLY DEFERRED,
    "method" TEXT NOT NULL,
    "pay_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "amount" INTEGER NOT NULL /* decimal x 10^6 */,
    "note" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "supplier_payment_number" ON "supplier_payment" ("number");
CREATE INDEX "supplier_payment_supplier" ON "supplier_payment" ("supplier_id");

CREATE TABLE "supplier_invoice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "supplier_id" TEXT NOT NULL
        REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    "order_id" TEXT NOT NULL
        REFERENCES "purchase_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "kind" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "issue_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "net" INTEGER NOT NULL /* decimal x 10^6 */,
    "tax" INTEGER NOT NULL /* decimal x 10^6 */,
    "gross" INTEGER NOT NULL /* decimal x 10^6 */,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "supplier_invoice_code_number" ON "supplier_invoice" ("code", "number");
CREATE INDEX "supplier_invoice_supplier" ON "supplier_invoice" ("supplier_id");

CREATE TABLE "supplier_opening" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "supplier_id" TEXT NOT NULL
        REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    "as_of" TEXT NOT NULL /* YYYY-MM-DD */,
    "amount" INTEGER NOT NULL /* decimal x 10^6 */
) STRICT;

CREATE UNIQUE INDEX "supplier_opening_supplier" ON "supplier_opening" ("supplier_id");

CREATE TABLE "warehouse" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "allow_negative" INTEGER NOT NULL CHECK ("allow_negative" IN (0, 1)),
    "active" INTEGER NOT NULL CHECK ("active" IN (0, 1)),
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "warehouse_code" ON "warehouse" ("code");

CREATE TABLE "shipping_notice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "owner_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "notice_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "hold_reason" TEXT,
    "released_by" TEXT,
    "released_at" TEXT /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "note" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "shipping_notice_number" ON "shipping_notice" ("number");
CREATE INDEX "shipping_notice_customer" ON "shipping_notice" ("customer_id");

CREATE TABLE "shipping_notice_line" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "notice_id" TEXT NOT NULL
        REFERENCES "shipping_notice" ("id") DEFERRABLE INITIALLY DEFERRED,
    "position" INTEGER NOT NULL,
    "order_id" TEXT NOT NULL
        REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "order_line_id" TEXT NOT NULL
        REFERENCES "sales_order_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "shipped" INTEGER NOT NULL /* decimal x 10^6 */
) STRICT;

CREATE INDEX "shipping_notice_line_notice" ON "shipping_notice_line" ("notice_id", "position");
CREATE INDEX "shipping_notice_line_order" ON "shipping_notice_line" ("order_id");

CREATE TABLE "stock_balance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "warehouse_id" TEXT NOT NULL
        REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "value" INTEGER NOT NULL /* decimal x 10^6 */,
    "last_cost" INTEGER NOT NULL /* decimal x 10^6 */,
    "updated_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "stock_balance_product_warehouse" ON "stock_balance" ("product_id", "warehouse_id");
CREATE INDEX "stock_balance_warehouse" ON "stock_balance" ("warehouse_id");

CREATE TABLE "stock_doc" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "doc_type" TEXT NOT NULL,
    "doc_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "customer_id" TEXT
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "owner_id" TEXT,
    "supplier_id" TEXT
        REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    "notice_id" TEXT
        REFERENCES "shipping_notice" ("id") DEFERRABLE INITIALLY DEFERRED,
    "department_id" TEXT,
    "project" TEXT,
    "carrier" TEXT,
    "tracking_number" TEXT,
    "note" TEXT,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "stock_doc_number" ON "stock_doc" ("number");
CREATE INDEX "stock_doc_customer" ON "stock_doc" ("customer_id");
CREATE INDEX "stock_doc_type_date" ON "stock_doc" ("doc_type", "doc_date");

CREATE TABLE "stock_doc_line" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "doc_id" TEXT NOT NULL
        REFERENCES "stock_doc" ("id") DEFERRABLE INITIALLY DEFERRED,
    "doc_type" TEXT NOT NULL,
    "doc_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "position" INTEGER NOT NULL,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "warehouse_id" TEXT NOT NULL
        REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED,
    "to_warehouse_id" TEXT
        REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_cost" INTEGER NOT NULL /* decimal x 10^6 */,
    "value" INTEGER NOT NULL /* decimal x 10^6 */,
    "order_id" TEXT
        REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "order_line_id" TEXT
        REFERENCES "sales_order_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    "customer_id" TEXT
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "purchase_order_id" TEXT
        REFERENCES "purchase_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "purchase_line_id" TEXT
        REFERENCES "purchase_line" ("id") DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE INDEX "stock_doc_line_doc" ON "stock_doc_line" ("doc_id", "position");
CREATE INDEX "stock_doc_line_order" ON "stock_doc_line" ("order_id");
CREATE INDEX "stock_doc_line_purchase_order" ON "stock_doc_line" ("purchase_order_id");

CREATE TABLE "stock_move" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "warehouse_id" TEXT NOT NULL
        REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED,
    "move_type" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "unit_cost" INTEGER NOT NULL /* decimal x 10^6 */,
    "value" INTEGER NOT NULL /* decimal x 10^6 */,
    "balance_quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "balance_value" INTEGER NOT NULL /* decimal x 10^6 */,
    "doc_id" TEXT NOT NULL
        REFERENCES "stock_doc" ("id") DEFERRABLE INITIALLY DEFERRED,
    "doc_type" TEXT NOT NULL,
    "doc_line_id" TEXT,
    "move_date" TEXT NOT NULL /* YYYY-MM-DD */,
    "at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "created_by" TEXT NOT NULL
) STRICT;

CREATE INDEX "stock_move_product_warehouse" ON "stock_move" ("product_id", "warehouse_id", "at");
CREATE INDEX "stock_move_doc" ON "stock_move" ("doc_id");
CREATE INDEX "stock_move_date" ON "stock_move" ("move_date");

CREATE TABLE "stocktake" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "number" TEXT NOT NULL,
    "warehouse_id" TEXT NOT NULL
        REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED,
    "state" TEXT NOT NULL,
    "frozen_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "posted_doc_id" TEXT
        REFERENCES "stock_doc" ("id") DEFERRABLE INITIALLY DEFERRED,
    "created_by" TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX "stocktake_number" ON "stocktake" ("number");

CREATE TABLE "stocktake_line" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "stocktake_id" TEXT NOT NULL
        REFERENCES "stocktake" ("id") DEFERRABLE INITIALLY DEFERRED,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "book_quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "counted" INTEGER /* decimal x 10^6 */
) STRICT;

CREATE UNIQUE INDEX "stocktake_line_product" ON "stocktake_line" ("stocktake_id", "product_id");
