//! Goods on hand (库存): warehouses, the append-only stock ledger and its balances, stock
//! documents (stock-in, stock-out, transfer, requisition, posted stocktake) and stocktakes,
//! valued at moving weighted average cost ([`valuation`]).
//!
//! # The stock identity
//!
//! For every product and warehouse, at every moment, the [`StockBalance`] equals the sum of
//! its [`StockMove`] entries, in quantity and in value: every movement writes its ledger
//! entries and the balances they change in one atomic commit that asserts the balances'
//! versions, so two stock-outs racing for the last units cannot both pass the check. A
//! transfer writes an out and an in of the same quantity and value, so it leaves the totals
//! across warehouses unchanged. Operations live in `service/stock.rs`.

mod model;
mod notice;
pub mod valuation;

pub use model::{
    MoveType, StockBalance, StockDoc, StockDocLine, StockDocType, StockMove, Stocktake,
    StocktakeLine, StocktakeState, Warehouse, STOCKTAKE, STOCKTAKE_LINE, STOCK_BALANCE, STOCK_DOC,
    STOCK_DOC_LINE, STOCK_MOVE, WAREHOUSE,
};
pub use notice::{
    NoticeEvent, NoticeLine, NoticeState, ProductionReady, ShipGate, ShippingNotice,
    PRODUCTION_READY, SHIPPING_NOTICE, SHIPPING_NOTICE_LINE,
};
pub use valuation::{Position, Posting, COST_DECIMALS, VALUATION_ROUNDING, VALUE_DECIMALS};
