-- Products (商品中心): the catalogue of crm_core::product::PRODUCT. Encodings as in 0001.

CREATE TABLE "product" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "spec" TEXT,
    "product_key" TEXT NOT NULL,
    "category" TEXT,
    "unit" TEXT NOT NULL,
    "sale_price" INTEGER NOT NULL /* decimal x 10^6 */,
    "price_includes_tax" INTEGER NOT NULL CHECK ("price_includes_tax" IN (0, 1)),
    "tax_rate" INTEGER NOT NULL /* decimal x 10^6 */,
    "purchase_price" INTEGER /* decimal x 10^6 */,
    "safety_stock" INTEGER /* decimal x 10^6 */,
    "active" INTEGER NOT NULL CHECK ("active" IN (0, 1)),
    "created_at" TEXT NOT NULL,
    "updated_at" TEXT NOT NULL,
    "search_text" TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX "product_key" ON "product" ("product_key");
CREATE INDEX "product_code" ON "product" ("code");
CREATE INDEX "product_category" ON "product" ("category");
