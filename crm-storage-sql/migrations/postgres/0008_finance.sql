-- Receipts and receivables (crm_core::finance): bank and cash accounts, exchange rates by date,
-- receipts with their CNY value, fee and exchange difference, their allocation over orders,
-- and customer opening balances.

CREATE TABLE "cash_account" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "name" text COLLATE "C" NOT NULL,
    "is_bank" boolean NOT NULL,
    "currency" text COLLATE "C" NOT NULL,
    "account_number" text COLLATE "C",
    "active" boolean NOT NULL,
    CONSTRAINT "cash_account_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "cash_account_name" ON "cash_account" ("name");

CREATE TABLE "exchange_rate" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "currency" text COLLATE "C" NOT NULL,
    "date" date NOT NULL,
    "cny_per_unit" numeric NOT NULL,
    CONSTRAINT "exchange_rate_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "exchange_rate_currency_date" ON "exchange_rate" ("currency", "date");

CREATE TABLE "receipt" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "number" text COLLATE "C" NOT NULL,
    "customer_id" uuid NOT NULL,
    "owner_id" uuid NOT NULL,
    "account_id" uuid NOT NULL,
    "method" text COLLATE "C" NOT NULL,
    "receipt_date" date NOT NULL,
    "currency" text COLLATE "C" NOT NULL,
    "amount" numeric NOT NULL,
    "rate" numeric NOT NULL,
    "amount_cny" numeric NOT NULL,
    "fee_cny" numeric NOT NULL,
    "received_cny" numeric NOT NULL,
    "exchange_difference" numeric NOT NULL,
    "allocated_cny" numeric NOT NULL,
    "note" text COLLATE "C",
    "created_by" uuid NOT NULL,
    "created_at" timestamptz NOT NULL,
    CONSTRAINT "receipt_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "receipt_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "receipt_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "cash_account" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "receipt_number" ON "receipt" ("number");
CREATE INDEX "receipt_customer" ON "receipt" ("customer_id");

CREATE TABLE "receipt_allocation" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "receipt_id" uuid NOT NULL,
    "order_id" uuid NOT NULL,
    "customer_id" uuid NOT NULL,
    "amount_cny" numeric NOT NULL,
    "applied_on" date NOT NULL,
    CONSTRAINT "receipt_allocation_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "receipt_allocation_receipt_id_fkey" FOREIGN KEY ("receipt_id") REFERENCES "receipt" ("id") DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "receipt_allocation_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "sales_order" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX "receipt_allocation_receipt" ON "receipt_allocation" ("receipt_id");
CREATE INDEX "receipt_allocation_order" ON "receipt_allocation" ("order_id");
CREATE INDEX "receipt_allocation_customer" ON "receipt_allocation" ("customer_id");

CREATE TABLE "opening_balance" (
    "id" uuid NOT NULL,
    "version" bigint NOT NULL,
    "customer_id" uuid NOT NULL,
    "amount_cny" numeric NOT NULL,
    "as_of" date NOT NULL,
    CONSTRAINT "opening_balance_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "opening_balance_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer" ("id") DEFERRABLE INITIALLY DEFERRED
);

CREATE UNIQUE INDEX "opening_balance_customer" ON "opening_balance" ("customer_id");
