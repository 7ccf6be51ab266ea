-- Courier tracking (crm_core::sales::Tracking): parcels with their carrier and number, linked to
-- a sales order or an invoice, and their dated status entries.

CREATE TABLE "tracking" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "carrier" text COLLATE "C" NOT NULL,
    "tracking_number" text COLLATE "C" NOT NULL,
    "order_id" uuid,
    "invoice_id" uuid,
    "customer_id" uuid NOT NULL,
    "owner_id" uuid NOT NULL,
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "tracking_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "tracking_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "tracking_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoice" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "tracking_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "tracking_carrier_number" ON "tracking" ("carrier", "tracking_number");
CREATE INDEX "tracking_number" ON "tracking" ("tracking_number");
CREATE INDEX "tracking_order" ON "tracking" ("order_id");
CREATE INDEX "tracking_invoice" ON "tracking" ("invoice_id");

CREATE TABLE "tracking_event" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "tracking_id" uuid NOT NULL,
    "at" timestamptz NOT NULL,
    "status" text COLLATE "C" NOT NULL,
    "location" text COLLATE "C",
    "recorded_by" uuid NOT NULL,
    CONSTRAINT "tracking_event_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "tracking_event_tracking_id_fkey" FOREIGN KEY ("tracking_id") REFERENCES "tracking" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "tracking_event_tracking" ON "tracking_event" ("tracking_id", "at");
