-- VAT invoices (crm_core::sales::Invoice): blue and red-letter, numbers unique within their
-- code, and their lines, each a quantity of one sales order line.

CREATE TABLE "invoice" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "order_id" uuid NOT NULL,
    "customer_id" uuid NOT NULL,
    "owner_id" uuid NOT NULL,
    "kind" text COLLATE "C" NOT NULL,
    "code" text COLLATE "C" NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "issue_date" date NOT NULL,
    "red_of" uuid,
    "reason" text COLLATE "C",
    "net" numeric NOT NULL,
    "tax" numeric NOT NULL,
    "gross" numeric NOT NULL,
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "invoice_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "invoice_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "invoice_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "invoice_red_of_fkey" FOREIGN KEY ("red_of") REFERENCES "invoice" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "invoice_code_number" ON "invoice" ("code", "number");
CREATE INDEX "invoice_order" ON "invoice" ("order_id");
CREATE INDEX "invoice_customer" ON "invoice" ("customer_id");

CREATE TABLE "invoice_line" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "invoice_id" uuid NOT NULL,
    "order_id" uuid NOT NULL,
    "order_line_id" uuid NOT NULL,
    "blue_line_id" uuid,
    "position" bigint NOT NULL,
    "product_id" uuid NOT NULL,
    "product_name" text COLLATE "C" NOT NULL,
    "spec" text COLLATE "C",
    "unit" text COLLATE "C" NOT NULL,
    "quantity" numeric NOT NULL,
    "unit_price_exclusive" numeric NOT NULL,
    "tax_rate" numeric NOT NULL,
    "net" numeric NOT NULL,
    "tax" numeric NOT NULL,
    "gross" numeric NOT NULL,
    CONSTRAINT "invoice_line_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "invoice_line_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoice" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "invoice_line_order_line_id_fkey" FOREIGN KEY ("order_line_id") REFERENCES "sales_order_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "invoice_line_blue_line_id_fkey" FOREIGN KEY ("blue_line_id") REFERENCES "invoice_line" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "invoice_line_invoice" ON "invoice_line" ("invoice_id");
CREATE INDEX "invoice_line_order" ON "invoice_line" ("order_id");
