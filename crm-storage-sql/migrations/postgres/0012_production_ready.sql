-- Production's word that units of a sales order line are ready to ship
-- (crm_core::inventory::ProductionReady): append-only entries, summed per order line when a
-- shipping notice is gated on production (ShipGate::ProductionReady).

CREATE TABLE "production_ready" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "order_id" uuid NOT NULL,
    "order_line_id" uuid NOT NULL,
    "product_id" uuid NOT NULL,
    "quantity" numeric NOT NULL,
    "note" text COLLATE "C",
    "marked_by" uuid NOT NULL,
    "marked_at" timestamptz NOT NULL,
    CONSTRAINT "production_ready_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "production_ready_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "production_ready_order_line_id_fkey" FOREIGN KEY ("order_line_id") REFERENCES "sales_order_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "production_ready_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "production_ready_order" ON "production_ready" ("order_id");
