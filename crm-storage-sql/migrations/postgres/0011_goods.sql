-- Goods (进销存): purchasing (crm_core::purchase) — suppliers with contacts and their price
-- history, requests for quotation with their lines, suppliers and answers, purchase orders and
-- their lines, payments to suppliers, input invoices and supplier openings — then inventory
-- (crm_core::inventory) — warehouses, shipping notices and their lines, the balance of each
-- product in each warehouse, stock documents and their lines, the append-only stock ledger,
-- and stocktakes with their counted lines.
-- The people and department written on documents, a ledger entry's "doc_line_id" and a
-- supplier price's "source_id" (a request for quotation or a purchase order) are historical
-- mentions, not foreign keys.

CREATE TABLE "supplier" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "code" text COLLATE "C" NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "name_key" text COLLATE "C" NOT NULL,
    "credit_code" text COLLATE "C",
    "phone" text COLLATE "C",
    "address" text COLLATE "C",
    "bank_account" text COLLATE "C",
    "active" boolean NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "supplier_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "supplier_code" ON "supplier" ("code");
CREATE UNIQUE INDEX "supplier_name_key" ON "supplier" ("name_key");

CREATE TABLE "supplier_contact" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "supplier_id" uuid NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "mobile" text COLLATE "C",
    "email" text COLLATE "C",
    "title" text COLLATE "C",
    CONSTRAINT "supplier_contact_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "supplier_contact_supplier_id_fkey" FOREIGN KEY ("supplier_id") REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "supplier_contact_supplier" ON "supplier_contact" ("supplier_id");

CREATE TABLE "supplier_price" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "supplier_id" uuid NOT NULL,
    "product_id" uuid NOT NULL,
    "unit_price" numeric NOT NULL,
    "tax_rate" numeric NOT NULL,
    "quoted_on" date NOT NULL,
    "source" text COLLATE "C" NOT NULL,
    "source_id" uuid NOT NULL,
    CONSTRAINT "supplier_price_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "supplier_price_supplier_id_fkey" FOREIGN KEY ("supplier_id") REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "supplier_price_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "supplier_price_product" ON "supplier_price" ("product_id", "supplier_id", "quoted_on");

CREATE TABLE "rfq" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "rfq_date" date NOT NULL,
    "due_date" date,
    "closed" boolean NOT NULL,
    "note" text COLLATE "C",
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "rfq_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "rfq_number" ON "rfq" ("number");

CREATE TABLE "rfq_line" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "rfq_id" uuid NOT NULL,
    "position" bigint NOT NULL,
    "product_id" uuid NOT NULL,
    "quantity" numeric NOT NULL,
    CONSTRAINT "rfq_line_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "rfq_line_rfq_id_fkey" FOREIGN KEY ("rfq_id") REFERENCES "rfq" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "rfq_line_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "rfq_line_rfq" ON "rfq_line" ("rfq_id", "position");

CREATE TABLE "rfq_supplier" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "rfq_id" uuid NOT NULL,
    "supplier_id" uuid NOT NULL,
    "answered_at" timestamptz,
    CONSTRAINT "rfq_supplier_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "rfq_supplier_rfq_id_fkey" FOREIGN KEY ("rfq_id") REFERENCES "rfq" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "rfq_supplier_supplier_id_fkey" FOREIGN KEY ("supplier_id") REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "rfq_supplier_pair" ON "rfq_supplier" ("rfq_id", "supplier_id");

CREATE TABLE "rfq_answer" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "rfq_id" uuid NOT NULL,
    "rfq_line_id" uuid NOT NULL,
    "supplier_id" uuid NOT NULL,
    "unit_price" numeric NOT NULL,
    "price_includes_tax" boolean NOT NULL,
    "tax_rate" numeric NOT NULL,
    "lead_days" bigint,
    CONSTRAINT "rfq_answer_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "rfq_answer_rfq_id_fkey" FOREIGN KEY ("rfq_id") REFERENCES "rfq" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "rfq_answer_rfq_line_id_fkey" FOREIGN KEY ("rfq_line_id") REFERENCES "rfq_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "rfq_answer_supplier_id_fkey" FOREIGN KEY ("supplier_id") REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "rfq_answer_line_supplier" ON "rfq_answer" ("rfq_line_id", "supplier_id");
CREATE INDEX "rfq_answer_rfq" ON "rfq_answer" ("rfq_id");

CREATE TABLE "purchase_order" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "supplier_id" uuid NOT NULL,
    "rfq_id" uuid,
    "state" text COLLATE "C" NOT NULL,
    "order_date" date NOT NULL,
    "expected_date" date,
    "tax_rounding" text COLLATE "C" NOT NULL,
    "net" numeric NOT NULL,
    "tax" numeric NOT NULL,
    "gross" numeric NOT NULL,
    "approved_by" uuid,
    "approved_at" timestamptz,
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    "updated_at" timestamptz NOT NULL,
    CONSTRAINT "purchase_order_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "purchase_order_supplier_id_fkey" FOREIGN KEY ("supplier_id") REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "purchase_order_rfq_id_fkey" FOREIGN KEY ("rfq_id") REFERENCES "rfq" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "purchase_order_number" ON "purchase_order" ("number");
CREATE INDEX "purchase_order_supplier" ON "purchase_order" ("supplier_id");

CREATE TABLE "purchase_line" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "order_id" uuid NOT NULL,
    "position" bigint NOT NULL,
    "product_id" uuid NOT NULL,
    "product_code" text COLLATE "C" NOT NULL,
    "product_name" text COLLATE "C" NOT NULL,
    "unit" text COLLATE "C" NOT NULL,
    "quantity" numeric NOT NULL,
    "unit_price" numeric NOT NULL,
    "price_includes_tax" boolean NOT NULL,
    "tax_rate" numeric NOT NULL,
    "net" numeric NOT NULL,
    "tax" numeric NOT NULL,
    "gross" numeric NOT NULL,
    CONSTRAINT "purchase_line_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "purchase_line_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "purchase_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "purchase_line_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "purchase_line_order" ON "purchase_line" ("order_id", "position");

CREATE TABLE "supplier_payment" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "supplier_id" uuid NOT NULL,
    "order_id" uuid,
    "account_id" uuid NOT NULL,
    "method" text COLLATE "C" NOT NULL,
    "pay_date" date NOT NULL,
    "amount" numeric NOT NULL,
    "note" text COLLATE "C",
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "supplier_payment_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "supplier_payment_supplier_id_fkey" FOREIGN KEY ("supplier_id") REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "supplier_payment_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "purchase_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "supplier_payment_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "cash_account" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "supplier_payment_number" ON "supplier_payment" ("number");
CREATE INDEX "supplier_payment_supplier" ON "supplier_payment" ("supplier_id");

CREATE TABLE "supplier_invoice" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "supplier_id" uuid NOT NULL,
    "order_id" uuid NOT NULL,
    "kind" text COLLATE "C" NOT NULL,
    "code" text COLLATE "C" NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "issue_date" date NOT NULL,
    "net" numeric NOT NULL,
    "tax" numeric NOT NULL,
    "gross" numeric NOT NULL,
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "supplier_invoice_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "supplier_invoice_supplier_id_fkey" FOREIGN KEY ("supplier_id") REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "supplier_invoice_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "purchase_order" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "supplier_invoice_code_number" ON "supplier_invoice" ("code", "number");
CREATE INDEX "supplier_invoice_supplier" ON "supplier_invoice" ("supplier_id");

CREATE TABLE "supplier_opening" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "supplier_id" uuid NOT NULL,
    "as_of" date NOT NULL,
    "amount" numeric NOT NULL,
    CONSTRAINT "supplier_opening_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "supplier_opening_supplier_id_fkey" FOREIGN KEY ("supplier_id") REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "supplier_opening_supplier" ON "supplier_opening" ("supplier_id");

CREATE TABLE "warehouse" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "code" text COLLATE "C" NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "allow_negative" boolean NOT NULL,
    "active" boolean NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "warehouse_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "warehouse_code" ON "warehouse" ("code");

CREATE TABLE "shipping_notice" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "customer_id" uuid NOT NULL,
    "owner_id" uuid NOT NULL,
    "state" text COLLATE "C" NOT NULL,
    "notice_date" date NOT NULL,
    "hold_reason" text COLLATE "C",
    "released_by" uuid,
    "released_at" timestamptz,
    "note" text COLLATE "C",
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "shipping_notice_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "shipping_notice_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "shipping_notice_number" ON "shipping_notice" ("number");
CREATE INDEX "shipping_notice_customer" ON "shipping_notice" ("customer_id");

CREATE TABLE "shipping_notice_line" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "notice_id" uuid NOT NULL,
    "position" bigint NOT NULL,
    "order_id" uuid NOT NULL,
    "order_line_id" uuid NOT NULL,
    "product_id" uuid NOT NULL,
    "quantity" numeric NOT NULL,
    "shipped" numeric NOT NULL,
    CONSTRAINT "shipping_notice_line_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "shipping_notice_line_notice_id_fkey" FOREIGN KEY ("notice_id") REFERENCES "shipping_notice" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "shipping_notice_line_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "shipping_notice_line_order_line_id_fkey" FOREIGN KEY ("order_line_id") REFERENCES "sales_order_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "shipping_notice_line_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "shipping_notice_line_notice" ON "shipping_notice_line" ("notice_id", "position");
CREATE INDEX "shipping_notice_line_order" ON "shipping_notice_line" ("order_id");

CREATE TABLE "stock_balance" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "product_id" uuid NOT NULL,
    "warehouse_id" uuid NOT NULL,
    "quantity" numeric NOT NULL,
    "value" numeric NOT NULL,
    "last_cost" numeric NOT NULL,
    "updated_at" timestamptz NOT NULL,
    CONSTRAINT "stock_balance_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "stock_balance_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_balance_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "stock_balance_product_warehouse" ON "stock_balance" ("product_id", "warehouse_id");
CREATE INDEX "stock_balance_warehouse" ON "stock_balance" ("warehouse_id");

CREATE TABLE "stock_doc" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "doc_type" text COLLATE "C" NOT NULL,
    "doc_date" date NOT NULL,
    "customer_id" uuid,
    "owner_id" uuid,
    "supplier_id" uuid,
    "notice_id" uuid,
    "department_id" uuid,
    "project" text COLLATE "C",
    "carrier" text COLLATE "C",
    "tracking_number" text COLLATE "C",
    "note" text COLLATE "C",
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "stock_doc_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "stock_doc_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_supplier_id_fkey" FOREIGN KEY ("supplier_id") REFERENCES "supplier" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_notice_id_fkey" FOREIGN KEY ("notice_id") REFERENCES "shipping_notice" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "stock_doc_number" ON "stock_doc" ("number");
CREATE INDEX "stock_doc_customer" ON "stock_doc" ("customer_id");
CREATE INDEX "stock_doc_type_date" ON "stock_doc" ("doc_type", "doc_date");

CREATE TABLE "stock_doc_line" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "doc_id" uuid NOT NULL,
    "doc_type" text COLLATE "C" NOT NULL,
    "doc_date" date NOT NULL,
    "position" bigint NOT NULL,
    "product_id" uuid NOT NULL,
    "warehouse_id" uuid NOT NULL,
    "to_warehouse_id" uuid,
    "quantity" numeric NOT NULL,
    "unit_cost" numeric NOT NULL,
    "value" numeric NOT NULL,
    "order_id" uuid,
    "order_line_id" uuid,
    "customer_id" uuid,
    "purchase_order_id" uuid,
    "purchase_line_id" uuid,
    CONSTRAINT "stock_doc_line_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "stock_doc_line_doc_id_fkey" FOREIGN KEY ("doc_id") REFERENCES "stock_doc" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_line_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_line_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_line_to_warehouse_id_fkey" FOREIGN KEY ("to_warehouse_id") REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_line_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_line_order_line_id_fkey" FOREIGN KEY ("order_line_id") REFERENCES "sales_order_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_line_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_line_purchase_order_id_fkey" FOREIGN KEY ("purchase_order_id") REFERENCES "purchase_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_doc_line_purchase_line_id_fkey" FOREIGN KEY ("purchase_line_id") REFERENCES "purchase_line" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "stock_doc_line_doc" ON "stock_doc_line" ("doc_id", "position");
CREATE INDEX "stock_doc_line_order" ON "stock_doc_line" ("order_id");
CREATE INDEX "stock_doc_line_purchase_order" ON "stock_doc_line" ("purchase_order_id");

CREATE TABLE "stock_move" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "product_id" uuid NOT NULL,
    "warehouse_id" uuid NOT NULL,
    "move_type" text COLLATE "C" NOT NULL,
    "quantity" numeric NOT NULL,
    "unit_cost" numeric NOT NULL,
    "value" numeric NOT NULL,
    "balance_quantity" numeric NOT NULL,
    "balance_value" numeric NOT NULL,
    "doc_id" uuid NOT NULL,
    "doc_type" text COLLATE "C" NOT NULL,
    "doc_line_id" uuid,
    "move_date" date NOT NULL,
    "at" timestamptz NOT NULL,
    "created_by" uuid NOT NULL,
    CONSTRAINT "stock_move_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "stock_move_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_move_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stock_move_doc_id_fkey" FOREIGN KEY ("doc_id") REFERENCES "stock_doc" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "stock_move_product_warehouse" ON "stock_move" ("product_id", "warehouse_id", "at");
CREATE INDEX "stock_move_doc" ON "stock_move" ("doc_id");
CREATE INDEX "stock_move_date" ON "stock_move" ("move_date");

CREATE TABLE "stocktake" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "warehouse_id" uuid NOT NULL,
    "state" text COLLATE "C" NOT NULL,
    "frozen_at" timestamptz NOT NULL,
    "posted_doc_id" uuid,
    "created_by" uuid NOT NULL,
    CONSTRAINT "stocktake_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "stocktake_warehouse_id_fkey" FOREIGN KEY ("warehouse_id") REFERENCES "warehouse" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stocktake_posted_doc_id_fkey" FOREIGN KEY ("posted_doc_id") REFERENCES "stock_doc" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "stocktake_number" ON "stocktake" ("number");

CREATE TABLE "stocktake_line" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "stocktake_id" uuid NOT NULL,
    "product_id" uuid NOT NULL,
    "book_quantity" numeric NOT NULL,
    "counted" numeric,
    CONSTRAINT "stocktake_line_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "stocktake_line_stocktake_id_fkey" FOREIGN KEY ("stocktake_id") REFERENCES "stocktake" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "stocktake_line_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "stocktake_line_product" ON "stocktake_line" ("stocktake_id", "product_id");
