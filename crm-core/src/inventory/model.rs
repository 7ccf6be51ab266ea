//! Inventory records: warehouses, the stock ledger, balances, stock documents, stocktakes.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::valuation::Position;
use crate::error::Result;
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};

named_enum!(
    /// What a stock document is.
    StockDocType, "doc_type" {
        /// 入库: goods received (from a purchase order, an opening balance, a return …).
        StockIn = "stock_in",
        /// 出库: goods shipped to a customer against sales orders.
        StockOut = "stock_out",
        /// 调拨: goods moved between warehouses.
        Transfer = "transfer",
        /// 领料: goods taken out to a department or project.
        Requisition = "requisition",
        /// 盘点: the differences of a stocktake posted.
        Stocktake = "stocktake",
    }
);

named_enum!(
    /// What a ledger entry records.
    MoveType, "move_type" {
        /// Goods in.
        Receipt = "receipt",
        /// Goods shipped out.
        Issue = "issue",
        /// In from another warehouse.
        TransferIn = "transfer_in",
        /// Out to another warehouse.
        TransferOut = "transfer_out",
        /// Out to a department or project.
        Requisition = "requisition",
        /// A stocktake found more.
        CountGain = "count_gain",
        /// A stocktake found less.
        CountLoss = "count_loss",
        /// A value with no quantity: the remainder of a position back at zero units.
        Adjustment = "adjustment",
    }
);

named_enum!(
    /// Where a stocktake stands.
    StocktakeState, "state" {
        /// Frozen; counts being entered.
        Counting = "counting",
        /// Differences posted; finished.
        Posted = "posted",
        /// Abandoned without posting.
        Cancelled = "cancelled",
    }
);

/// A warehouse (仓库).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warehouse {
    /// Id.
    pub id: Uuid,
    /// Code, unique (WH01).
    pub code: String,
    /// Name (上海一号仓).
    pub name: String,
    /// Whether stock may go below zero here (off by default).
    pub allow_negative: bool,
    /// Offered for new documents.
    pub active: bool,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// The `warehouse` kind.
pub static WAREHOUSE: Kind = Kind {
    name: "warehouse",
    columns: &[
        Column::new("code", T::Text),
        Column::new("name", T::Text),
        Column::new("allow_negative", T::Bool),
        Column::new("active", T::Bool),
        Column::new("created_at", T::Timestamp),
    ],
    indexes: &[Index {
        name: "warehouse_code",
        columns: &["code"],
        unique: true,
    }],
};

impl Entity for Warehouse {
    const KIND: &'static Kind = &WAREHOUSE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.code.clone().into(),
            self.name.clone().into(),
            self.allow_negative.into(),
            self.active.into(),
            self.created_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Warehouse {
            id: r.id,
            code: f.text("code")?,
            name: f.text("name")?,
            allow_negative: f.boolean("allow_negative")?,
            active: f.boolean("active")?,
            created_at: f.timestamp("created_at")?,
        })
    }
}

/// What one warehouse holds of one product, kept in step with the ledger in the same commit
/// (on hand = the ledger's sum), for fast reads. Its id is derived from the pair
/// ([`StockBalance::id_of`]), so a stock operation reads it by key and two first receipts of a
/// product into a warehouse collide instead of making two balances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockBalance {
    /// Id: [`StockBalance::id_of`] the product and warehouse.
    pub id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// The warehouse.
    pub warehouse_id: Uuid,
    /// Quantity and value.
    pub position: Position,
    /// Last movement at.
    pub updated_at: DateTime<Utc>,
}

/// Namespace of balance ids.
const BALANCE_NS: Uuid = Uuid::from_u128(0x5f0c_7d2e_3b1a_4c8e_9a6f_1e2d_3c4b_5a69);

impl StockBalance {
    /// The id of the balance of `product_id` in `warehouse_id`.
    pub fn id_of(product_id: Uuid, warehouse_id: Uuid) -> Uuid {
        let mut name = [0u8; 32];
        name[..16].copy_from_slice(product_id.as_bytes());
        name[16..].copy_from_slice(warehouse_id.as_bytes());
        Uuid::new_v5(&BALANCE_NS, &name)
    }
}

/// The `stock_balance` kind.
pub static STOCK_BALANCE: Kind = Kind {
    name: "stock_balance",
    columns: &[
        Column::new("product_id", T::Id).refs("product", OnDelete::Restrict),
        Column::new("warehouse_id", T::Id).refs("warehouse", OnDelete::Restrict),
        Column::new("quantity", T::Decimal),
        Column::new("value", T::Decimal),
        Column::new("last_cost", T::Decimal),
        Column::new("updated_at", T::Timestamp),
    ],
    indexes: &[
        Index {
            name: "stock_balance_product_warehouse",
            columns: &["product_id", "warehouse_id"],
            unique: true,
        },
        Index {
            name: "stock_balance_warehouse",
            columns: &["warehouse_id"],
            unique: false,
        },
    ],
};

impl Entity for StockBalance {
    const KIND: &'static Kind = &STOCK_BALANCE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.product_id.into(),
            self.warehouse_id.into(),
            self.position.quantity.into(),
            self.position.value.into(),
            self.position.last_cost.into(),
            self.updated_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(StockBalance {
            id: r.id,
            product_id: f.id("product_id")?,
            warehouse_id: f.id("warehouse_id")?,
            position: Position {
                quantity: f.decimal("quantity")?,
                value: f.decimal("value")?,
                last_cost: f.decimal("last_cost")?,
            },
            updated_at: f.timestamp("updated_at")?,
        })
    }
}

/// One entry of the append-only stock ledger (库存流水): a movement of one product in one
/// warehouse, with the position it left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMove {
    /// Id (time-ordered).
    pub id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// The warehouse.
    pub warehouse_id: Uuid,
    /// What happened.
    pub move_type: MoveType,
    /// Units in (positive) or out (negative); zero for an adjustment.
    pub quantity: Decimal,
    /// Unit cost (6 places), for people.
    pub unit_cost: Decimal,
    /// Value in (positive) or out (negative), to the cent.
    pub value: Decimal,
    /// Quantity on hand after it.
    pub balance_quantity: Decimal,
    /// Value on hand after it.
    pub balance_value: Decimal,
    /// The stock document that caused it.
    pub doc_id: Uuid,
    /// The document's type.
    pub doc_type: StockDocType,
    /// The document line, when one.
    pub doc_line_id: Option<Uuid>,
    /// Business date.
    pub move_date: NaiveDate,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Who.
    pub created_by: Uuid,
}

/// The `stock_move` kind.
pub static STOCK_MOVE: Kind = Kind {
    name: "stock_move",
    columns: &[
        Column::new("product_id", T::Id).refs("product", OnDelete::Restrict),
        Column::new("warehouse_id", T::Id).refs("warehouse", OnDelete::Restrict),
        Column::new("move_type", T::Text),
        Column::new("quantity", T::Decimal),
        Column::new("unit_cost", T::Decimal),
        Column::new("value", T::Decimal),
        Column::new("balance_quantity", T::Decimal),
        Column::new("balance_value", T::Decimal),
        Column::new("doc_id", T::Id).refs("stock_doc", OnDelete::Restrict),
        Column::new("doc_type", T::Text),
        Column::nullable("doc_line_id", T::Id).refs("stock_doc_line", OnDelete::Keep),
        Column::new("move_date", T::Date),
        Column::new("at", T::Timestamp),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
    ],
    indexes: &[
        Index {
            name: "stock_move_product_warehouse",
            columns: &["product_id", "warehouse_id", "at"],
            unique: false,
        },
        Index {
            name: "stock_move_doc",
            columns: &["doc_id"],
            unique: false,
        },
        Index {
            name: "stock_move_date",
            columns: &["move_date"],
            unique: false,
        },
    ],
};

impl Entity for StockMove {
    const KIND: &'static Kind = &STOCK_MOVE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.product_id.into(),
            self.warehouse_id.into(),
            self.move_type.as_str().into(),
            self.quantity.into(),
            self.unit_cost.into(),
            self.value.into(),
            self.balance_quantity.into(),
            self.balance_value.into(),
            self.doc_id.into(),
            self.doc_type.as_str().into(),
            self.doc_line_id.into(),
            self.move_date.into(),
            self.at.into(),
            self.created_by.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(StockMove {
            id: r.id,
            product_id: f.id("product_id")?,
            warehouse_id: f.id("warehouse_id")?,
            move_type: MoveType::parse(&f.text("move_type")?)?,
            quantity: f.decimal("quantity")?,
            unit_cost: f.decimal("unit_cost")?,
            value: f.decimal("value")?,
            balance_quantity: f.decimal("balance_quantity")?,
            balance_value: f.decimal("balance_value")?,
            doc_id: f.id("doc_id")?,
            doc_type: StockDocType::parse(&f.text("doc_type")?)?,
            doc_line_id: f.opt_id("doc_line_id")?,
            move_date: f.date("move_date")?,
            at: f.timestamp("at")?,
            created_by: f.id("created_by")?,
        })
    }
}

/// A stock document's header: a stock-in, stock-out, transfer, requisition or posted stocktake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDoc {
    /// Id.
    pub id: Uuid,
    /// Number, unique (CK-2026-000001 for a stock-out, RK for a stock-in, DB, LL, PD).
    pub number: String,
    /// What it is.
    pub doc_type: StockDocType,
    /// Business date.
    pub doc_date: NaiveDate,
    /// The customer a stock-out ships to.
    pub customer_id: Option<Uuid>,
    /// That customer's owner when it shipped (for visibility).
    pub owner_id: Option<Uuid>,
    /// The supplier a stock-in received from.
    pub supplier_id: Option<Uuid>,
    /// The shipping notice a stock-out shipped.
    pub notice_id: Option<Uuid>,
    /// The department a requisition is for.
    pub department_id: Option<Uuid>,
    /// The project a requisition is for.
    pub project: Option<String>,
    /// The carrier of a stock-out sent by courier.
    pub carrier: Option<String>,
    /// Its tracking number (normalised).
    pub tracking_number: Option<String>,
    /// Remark.
    pub note: Option<String>,
    /// Who wrote it.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The `stock_doc` kind.
pub static STOCK_DOC: Kind = Kind {
    name: "stock_doc",
    columns: &[
        Column::new("number", T::Text),
        Column::new("doc_type", T::Text),
        Column::new("doc_date", T::Date),
        Column::nullable("customer_id", T::Id).refs("customer", OnDelete::Restrict),
        Column::nullable("owner_id", T::Id).refs("employee", OnDelete::Keep),
        Column::nullable("supplier_id", T::Id).refs("supplier", OnDelete::Restrict),
        Column::nullable("notice_id", T::Id).refs("shipping_notice", OnDelete::Restrict),
        Column::nullable("department_id", T::Id).refs("department", OnDelete::Keep),
        Column::nullable("project", T::Text),
        Column::nullable("carrier", T::Text),
        Column::nullable("tracking_number", T::Text),
        Column::nullable("note", T::Text),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
        Column::new("created_at", T::Timestamp),
    ],
    indexes: &[
        Index {
            name: "stock_doc_number",
            columns: &["number"],
            unique: true,
        },
        Index {
            name: "stock_doc_customer",
            columns: &["customer_id"],
            unique: false,
        },
        Index {
            name: "stock_doc_type_date",
            columns: &["doc_type", "doc_date"],
            unique: false,
        },
    ],
};

impl Entity for StockDoc {
    const KIND: &'static Kind = &STOCK_DOC;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.number.clone().into(),
            self.doc_type.as_str().into(),
            self.doc_date.into(),
            self.customer_id.into(),
            self.owner_id.into(),
            self.supplier_id.into(),
            self.notice_id.into(),
            self.department_id.into(),
            self.project.clone().into(),
            self.carrier.clone().into(),
            self.tracking_number.clone().into(),
            self.note.clone().into(),
            self.created_by.into(),
            self.created_at.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(StockDoc {
            id: r.id,
            number: f.text("number")?,
            doc_type: StockDocType::parse(&f.text("doc_type")?)?,
            doc_date: f.date("doc_date")?,
            customer_id: f.opt_id("customer_id")?,
            owner_id: f.opt_id("owner_id")?,
            supplier_id: f.opt_id("supplier_id")?,
            notice_id: f.opt_id("notice_id")?,
            department_id: f.opt_id("department_id")?,
            project: f.opt_text("project")?,
            carrier: f.opt_text("carrier")?,
            tracking_number: f.opt_text("tracking_number")?,
            note: f.opt_text("note")?,
            created_by: f.id("created_by")?,
            created_at: f.timestamp("created_at")?,
        })
    }
}

/// A line of a stock document: one product, one warehouse (and, for a transfer, the warehouse
/// it goes to), the quantity (always positive) and the value it moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDocLine {
    /// Id.
    pub id: Uuid,
    /// The document.
    pub doc_id: Uuid,
    /// Its type (kept on the line for reports over lines).
    pub doc_type: StockDocType,
    /// Its date (kept on the line for reports by period).
    pub doc_date: NaiveDate,
    /// Place on the document, from 1.
    pub position: i64,
    /// The product.
    pub product_id: Uuid,
    /// The warehouse goods leave or enter.
    pub warehouse_id: Uuid,
    /// For a transfer, the warehouse goods go to.
    pub to_warehouse_id: Option<Uuid>,
    /// Units, more than zero.
    pub quantity: Decimal,
    /// Unit cost (6 places): entered for a stock-in, the moving average for the rest.
    pub unit_cost: Decimal,
    /// Value moved, to the cent (positive).
    pub value: Decimal,
    /// The sales order a stock-out line ships.
    pub order_id: Option<Uuid>,
    /// The order line.
    pub order_line_id: Option<Uuid>,
    /// The customer (stock-outs), for reports.
    pub customer_id: Option<Uuid>,
    /// The purchase order a stock-in line receives.
    pub purchase_order_id: Option<Uuid>,
    /// The purchase order line.
    pub purchase_line_id: Option<Uuid>,
}

/// The `stock_doc_line` kind.
pub static STOCK_DOC_LINE: Kind = Kind {
    name: "stock_doc_line",
    columns: &[
        Column::new("doc_id", T::Id).refs("stock_doc", OnDelete::Cascade),
        Column::new("doc_type", T::Text),
        Column::new("doc_date", T::Date),
        Column::new("position", T::Int),
        Column::new("product_id", T::Id).refs("product", OnDelete::Restrict),
        Column::new("warehouse_id", T::Id).refs("warehouse", OnDelete::Restrict),
        Column::nullable("to_warehouse_id", T::Id).refs("warehouse", OnDelete::Restrict),
        Column::new("quantity", T::Decimal),
        Column::new("unit_cost", T::Decimal),
        Column::new("value", T::Decimal),
        Column::nullable("order_id", T::Id).refs("sales_order", OnDelete::Restrict),
        Column::nullable("order_line_id", T::Id).refs("sales_order_line", OnDelete::Restrict),
        Column::nullable("customer_id", T::Id).refs("customer", OnDelete::Restrict),
        Column::nullable("purchase_order_id", T::Id).refs("purchase_order", OnDelete::Restrict),
        Column::nullable("purchase_line_id", T::Id).refs("purchase_line", OnDelete::Restrict),
    ],
    indexes: &[
        Index {
            name: "stock_doc_line_doc",
            columns: &["doc_id", "position"],
            unique: false,
        },
        Index {
            name: "stock_doc_line_order",
            columns: &["order_id"],
            unique: false,
        },
        Index {
            name: "stock_doc_line_purchase_order",
            columns: &["purchase_order_id"],
            unique: false,
        },
    ],
};

impl Entity for StockDocLine {
    const KIND: &'static Kind = &STOCK_DOC_LINE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.doc_id.into(),
            self.doc_type.as_str().into(),
            self.doc_date.into(),
            self.position.into(),
            self.product_id.into(),
            self.warehouse_id.into(),
            self.to_warehouse_id.into(),
            self.quantity.into(),
            self.unit_cost.into(),
            self.value.into(),
            self.order_id.into(),
            self.order_line_id.into(),
            self.customer_id.into(),
            self.purchase_order_id.into(),
            self.purchase_line_id.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(StockDocLine {
            id: r.id,
            doc_id: f.id("doc_id")?,
            doc_type: StockDocType::parse(&f.text("doc_type")?)?,
            doc_date: f.date("doc_date")?,
            position: f.int("position")?,
            product_id: f.id("product_id")?,
            warehouse_id: f.id("warehouse_id")?,
            to_warehouse_id: f.opt_id("to_warehouse_id")?,
            quantity: f.decimal("quantity")?,
            unit_cost: f.decimal("unit_cost")?,
            value: f.decimal("value")?,
            order_id: f.opt_id("order_id")?,
            order_line_id: f.opt_id("order_line_id")?,
            customer_id: f.opt_id("customer_id")?,
            purchase_order_id: f.opt_id("purchase_order_id")?,
            purchase_line_id: f.opt_id("purchase_line_id")?,
        })
    }
}

/// A stocktake (盘点): the book quantities of a warehouse frozen at a moment, counts entered
/// against them, the differences posted as one stock document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stocktake {
    /// Id.
    pub id: Uuid,
    /// Number, unique (PD-2026-000001).
    pub number: String,
    /// The warehouse counted.
    pub warehouse_id: Uuid,
    /// Where it stands.
    pub state: StocktakeState,
    /// When the book quantities were frozen.
    pub frozen_at: DateTime<Utc>,
    /// The stock document that posted its differences.
    pub posted_doc_id: Option<Uuid>,
    /// Who began it.
    pub created_by: Uuid,
}

/// The `stocktake` kind.
pub static STOCKTAKE: Kind = Kind {
    name: "stocktake",
    columns: &[
        Column::new("number", T::Text),
        Column::new("warehouse_id", T::Id).refs("warehouse", OnDelete::Restrict),
        Column::new("state", T::Text),
        Column::new("frozen_at", T::Timestamp),
        Column::nullable("posted_doc_id", T::Id).refs("stock_doc", OnDelete::Restrict),
        Column::new("created_by", T::Id).refs("employee", OnDelete::Keep),
    ],
    indexes: &[Index {
        name: "stocktake_number",
        columns: &["number"],
        unique: true,
    }],
};

impl Entity for Stocktake {
    const KIND: &'static Kind = &STOCKTAKE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.number.clone().into(),
            self.warehouse_id.into(),
            self.state.as_str().into(),
            self.frozen_at.into(),
            self.posted_doc_id.into(),
            self.created_by.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(Stocktake {
            id: r.id,
            number: f.text("number")?,
            warehouse_id: f.id("warehouse_id")?,
            state: StocktakeState::parse(&f.text("state")?)?,
            frozen_at: f.timestamp("frozen_at")?,
            posted_doc_id: f.opt_id("posted_doc_id")?,
            created_by: f.id("created_by")?,
        })
    }
}

/// One product of a stocktake: its book quantity when frozen and what was counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StocktakeLine {
    /// Id.
    pub id: Uuid,
    /// The stocktake.
    pub stocktake_id: Uuid,
    /// The product.
    pub product_id: Uuid,
    /// On hand when the sheet was frozen.
    pub book_quantity: Decimal,
    /// Counted; `None` until entered.
    pub counted: Option<Decimal>,
}

/// The `stocktake_line` kind.
pub static STOCKTAKE_LINE: Kind = Kind {
    name: "stocktake_line",
    columns: &[
        Column::new("stocktake_id", T::Id).refs("stocktake", OnDelete::Cascade),
        Column::new("product_id", T::Id).refs("product", OnDelete::Restrict),
        Column::new("book_quantity", T::Decimal),
        Column::nullable("counted", T::Decimal),
    ],
    indexes: &[Index {
        name: "stocktake_line_product",
        columns: &["stocktake_id", "product_id"],
        unique: true,
    }],
};

impl Entity for StocktakeLine {
    const KIND: &'static Kind = &STOCKTAKE_LINE;
    fn id(&self) -> Uuid {
        self.id
    }
    fn to_values(&self) -> Vec<Value> {
        vec![
            self.stocktake_id.into(),
            self.product_id.into(),
            self.book_quantity.into(),
            self.counted.into(),
        ]
    }
    fn from_record(r: &Record) -> Result<Self> {
        let f = Fields::new(r);
        Ok(StocktakeLine {
            id: r.id,
            stocktake_id: f.id("stocktake_id")?,
            product_id: f.id("product_id")?,
            book_quantity: f.decimal("book_quantity")?,
            counted: f.opt_decimal("counted")?,
        })
    }
}
