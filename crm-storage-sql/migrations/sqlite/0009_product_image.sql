-- Product images (商品图片): content-addressed blobs (crm_core::blob::BLOB) and the pictures of
-- a product that refer to them (crm_core::product::PRODUCT_IMAGE). Encodings as in 0001, and:
--   Bytes     BLOB     the bytes exactly (compared byte-wise, as memcmp)
-- A blob is named by the SHA-256 of its bytes (64 lower-case hex digits) and stored once; it is
-- written once and never updated, and deleted with the last picture that refers to it.
-- The primary picture of a product has "primary_product_id" = its "product_id", the others
-- NULL, so the unique index allows one primary per product.

CREATE TABLE "blob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "media_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "bytes" BLOB NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "blob_sha256" ON "blob" ("sha256");

CREATE TABLE "product_image" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "blob_id" TEXT NOT NULL
        REFERENCES "blob" ("id") DEFERRABLE INITIALLY DEFERRED,
    "sha256" TEXT NOT NULL,
    "media_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "file_name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "primary_product_id" TEXT,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "created_by" TEXT NOT NULL
) STRICT;

CREATE INDEX "product_image_product" ON "product_image" ("product_id", "position");
CREATE UNIQUE INDEX "product_image_bytes" ON "product_image" ("product_id", "sha256");
CREATE UNIQUE INDEX "product_image_primary" ON "product_image" ("primary_product_id");
CREATE INDEX "product_image_blob" ON "product_image" ("blob_id");
