-- Courier tracking (crm_core::sales::Tracking): parcels with their carrier and number, linked to
-- a sales order or an invoice, and their dated status entries.
-- Encodings as in 0001.

CREATE TABLE "tracking" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "carrier" TEXT NOT NULL,
    "tracking_number" TEXT NOT NULL,
    "order_id" TEXT
        REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "invoice_id" TEXT
        REFERENCES "invoice" ("id") DEFERRABLE INITIALLY DEFERRED,
    "customer_id" TEXT NOT NULL
        REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    "owner_id" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE UNIQUE INDEX "tracking_carrier_number" ON "tracking" ("carrier", "tracking_number");
CREATE INDEX "tracking_number" ON "tracking" ("tracking_number");
CREATE INDEX "tracking_order" ON "tracking" ("order_id");
CREATE INDEX "tracking_invoice" ON "tracking" ("invoice_id");

CREATE TABLE "tracking_event" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "tracking_id" TEXT NOT NULL
        REFERENCES "tracking" ("id") DEFERRABLE INITIALLY DEFERRED,
    "at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */,
    "status" TEXT NOT NULL,
    "location" TEXT,
    "recorded_by" TEXT NOT NULL
) STRICT;

CREATE INDEX "tracking_event_tracking" ON "tracking_event" ("tracking_id", "at");
