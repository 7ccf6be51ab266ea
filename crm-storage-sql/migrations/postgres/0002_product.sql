-- Products (商品中心): the catalogue of crm_core::product::PRODUCT.

CREATE TABLE "product" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "code" text COLLATE "C" NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "spec" text COLLATE "C",
    "product_key" text COLLATE "C" NOT NULL,
    "category" text COLLATE "C",
    "unit" text COLLATE "C" NOT NULL,
    "sale_price" numeric NOT NULL,
    "price_includes_tax" boolean NOT NULL,
    "tax_rate" numeric NOT NULL,
    "purchase_price" numeric,
    "safety_stock" numeric,
    "active" boolean NOT NULL,
    "created_at" timestamptz NOT NULL,
    "updated_at" timestamptz NOT NULL,
    "search_text" text COLLATE "C" NOT NULL,
    CONSTRAINT "product_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "product_key" ON "product" ("product_key");
CREATE INDEX "product_code" ON "product" ("code");
CREATE INDEX "product_category" ON "product" ("category");
