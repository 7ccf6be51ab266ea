-- Production's word that units of a sales order line are ready to ship
-- (crm_core::inventory::ProductionReady): append-only entries, summed per order line when a
-- shipping notice is gated on production (ShipGate::ProductionReady).

CREATE TABLE "production_ready" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "order_id" TEXT NOT NULL
        REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED,
    "order_line_id" TEXT NOT NULL
        REFERENCES "sales_order_line" ("id") DEFERRABLE INITIALLY DEFERRED,
    "product_id" TEXT NOT NULL
        REFERENCES "product" ("id") DEFERRABLE INITIALLY DEFERRED,
    "quantity" INTEGER NOT NULL /* decimal x 10^6 */,
    "note" TEXT,
    "marked_by" TEXT NOT NULL,
    "marked_at" TEXT NOT NULL /* UTC YYYY-MM-DDTHH:MM:SS.ffffffZ */
) STRICT;

CREATE INDEX "production_ready_order" ON "production_ready" ("order_id");
