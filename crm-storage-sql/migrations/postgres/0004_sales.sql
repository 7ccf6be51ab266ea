-- Quotes and sales orders (crm_core::sales): headers, their lines (one table per document
-- kind, so that an integrator's report is a plain GROUP BY over lines) and each customer's
-- last price per product.

CREATE TABLE "quote" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "customer_id" uuid NOT NULL,
    "owner_id" uuid NOT NULL,
    "state" text COLLATE "C" NOT NULL,
    "quote_date" date NOT NULL,
    "valid_until" date NOT NULL,
    "terms" text COLLATE "C",
    "currency" text COLLATE "C" NOT NULL,
    "tax_rounding" text COLLATE "C" NOT NULL,
    "net" numeric NOT NULL,
    "tax" numeric NOT NULL,
    "gross" numeric NOT NULL,
    "copied_from" uuid,
    "order_id" uuid,
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    "updated_at" timestamptz NOT NULL,
    CONSTRAINT "quote_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "quote_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "quote_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "quote_number" ON "quote" ("number");
CREATE INDEX "quote_customer" ON "quote" ("customer_id");
CREATE INDEX "quote_owner" ON "quote" ("owner_id");

CREATE TABLE "quote_line" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "quote_id" uuid NOT NULL,
    "position" bigint NOT NULL,
    "customer_id" uuid NOT NULL,
    "owner_id" uuid NOT NULL,
    "doc_date" date NOT NULL,
    "product_id" uuid NOT NULL,
    "product_code" text COLLATE "C" NOT NULL,
    "product_name" text COLLATE "C" NOT NULL,
    "spec" text COLLATE "C",
    "unit" text COLLATE "C" NOT NULL,
    "quantity" numeric NOT NULL,
    "unit_price" numeric NOT NULL,
    "price_includes_tax" boolean NOT NULL,
    "discount" numeric NOT NULL,
    "tax_rate" numeric NOT NULL,
    "net" numeric NOT NULL,
    "tax" numeric NOT NULL,
    "gross" numeric NOT NULL,
    "unit_price_exclusive" numeric NOT NULL,
    "unit_price_inclusive" numeric NOT NULL,
    "note" text COLLATE "C",
    "booked" boolean NOT NULL,
    CONSTRAINT "quote_line_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "quote_line_quote_id_fkey" FOREIGN KEY ("quote_id") REFERENCES "quote" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "quote_line_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "quote_line_doc" ON "quote_line" ("quote_id");
CREATE INDEX "quote_line_owner_date" ON "quote_line" ("owner_id", "doc_date");
CREATE INDEX "quote_line_product" ON "quote_line" ("product_id");

CREATE TABLE "sales_order" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "customer_id" uuid NOT NULL,
    "owner_id" uuid NOT NULL,
    "quote_id" uuid,
    "state" text COLLATE "C" NOT NULL,
    "order_date" date NOT NULL,
    "delivery_date" date,
    "terms" text COLLATE "C",
    "currency" text COLLATE "C" NOT NULL,
    "tax_rounding" text COLLATE "C" NOT NULL,
    "net" numeric NOT NULL,
    "tax" numeric NOT NULL,
    "gross" numeric NOT NULL,
    "max_discount" numeric NOT NULL,
    "approved_by" uuid,
    "approved_at" timestamptz,
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    "updated_at" timestamptz NOT NULL,
    CONSTRAINT "sales_order_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "sales_order_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "sales_order_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "employee" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "sales_order_quote_id_fkey" FOREIGN KEY ("quote_id") REFERENCES "quote" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "sales_order_number" ON "sales_order" ("number");
CREATE INDEX "sales_order_customer" ON "sales_order" ("customer_id");
CREATE INDEX "sales_order_owner" ON "sales_order" ("owner_id");
CREATE INDEX "sales_order_quote" ON "sales_order" ("quote_id");

CREATE TABLE "sales_order_line" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "order_id" uuid NOT NULL,
    "position" bigint NOT NULL,
    "customer_id" uuid NOT NULL,
    "owner_id" uuid NOT NULL,
    "doc_date" date NOT NULL,
    "product_id" uuid NOT NULL,
    "product_code" text COLLATE "C" NOT NULL,
    "product_name" text COLLATE "C" NOT NULL,
    "spec" text COLLATE "C",
    "unit" text COLLATE "C" NOT NULL,
    "quantity" numeric NOT NULL,
    "unit_price" numeric NOT NULL,
    "price_includes_tax" boolean NOT NULL,
    "discount" numeric NOT NULL,
    "tax_rate" numeric NOT NULL,
    "net" numeric NOT NULL,
    "tax" numeric NOT NULL,
    "gross" numeric NOT NULL,
    "unit_price_exclusive" numeric NOT NULL,
    "unit_price_inclusive" numeric NOT NULL,
    "note" text COLLATE "C",
    "booked" boolean NOT NULL,
    CONSTRAINT "sales_order_line_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "sales_order_line_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "sales_order_line_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "sales_order_line_doc" ON "sales_order_line" ("order_id");
CREATE INDEX "sales_order_line_owner_date" ON "sales_order_line" ("owner_id", "doc_date");
CREATE INDEX "sales_order_line_product" ON "sales_order_line" ("product_id");

CREATE TABLE "last_price" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "customer_id" uuid NOT NULL,
    "product_id" uuid NOT NULL,
    "unit_price" numeric NOT NULL,
    "price_includes_tax" boolean NOT NULL,
    "discount" numeric NOT NULL,
    "order_id" uuid NOT NULL,
    "at" timestamptz NOT NULL,
    CONSTRAINT "last_price_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "last_price_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "last_price_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "last_price_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "last_price_customer_product" ON "last_price" ("customer_id", "product_id");
