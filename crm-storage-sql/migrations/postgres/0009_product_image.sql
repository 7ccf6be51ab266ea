-- Product images (商品图片): content-addressed blobs (crm_core::blob::BLOB) and the pictures of
-- a product that refer to them (crm_core::product::PRODUCT_IMAGE).
-- A blob is named by the SHA-256 of its bytes (64 lower-case hex digits) and stored once; it is
-- written once and never updated, and deleted with the last picture that refers to it.
-- The primary picture of a product has "primary_product_id" = its "product_id", the others
-- NULL, so the unique index allows one primary per product.

CREATE TABLE "blob" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "sha256" text COLLATE "C" NOT NULL,
    "media_type" text COLLATE "C" NOT NULL,
    "size" bigint NOT NULL,
    "bytes" bytea NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "blob_pkey" PRIMARY KEY ("id")
);

-- Pictures are compressed already (JPEG, PNG, GIF, WebP): kept out of line without trying to
-- compress them again.
ALTER TABLE "blob" ALTER COLUMN "bytes" SET STORAGE EXTERNAL;

CREATE UNIQUE INDEX "blob_sha256" ON "blob" ("sha256");

CREATE TABLE "product_image" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "product_id" uuid NOT NULL,
    "blob_id" uuid NOT NULL,
    "sha256" text COLLATE "C" NOT NULL,
    "media_type" text COLLATE "C" NOT NULL,
    "size" bigint NOT NULL,
    "file_name" text COLLATE "C" NOT NULL,
    "position" bigint NOT NULL,
    "primary_product_id" uuid,
    "created_at" timestamptz NOT NULL,
    "created_by" uuid NOT NULL,
    CONSTRAINT "product_image_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "product_image_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "product_image_blob_id_fkey" FOREIGN KEY ("blob_id") REFERENCES "blob" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "product_image_product" ON "product_image" ("product_id", "position");
CREATE UNIQUE INDEX "product_image_bytes" ON "product_image" ("product_id", "sha256");
CREATE UNIQUE INDEX "product_image_primary" ON "product_image" ("primary_product_id");
CREATE INDEX "product_image_blob" ON "product_image" ("blob_id");
