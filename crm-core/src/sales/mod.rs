//! Sales documents: quotes (报价管理) and sales orders (销售订单管理).
//!
//! The records and the pure decisions live here; the operations that load, check access and
//! commit are on [`crate::Crm`] (`create_quote`, `order_from_quote`, `approve_order` …).
//!
//! # Rules
//!
//! - **Totals.** Every document's amounts come from [`crate::money::compute_document`] over its
//!   lines ([`price_lines`]); a line stores the price as entered and its basis, so carrying it to
//!   another document reproduces the same amounts to the cent.
//! - **Who sees a document.** A quote or order belongs to its customer's account: its owner is
//!   the customer's owner when it was made. It is visible to that owner, to everyone above them
//!   in the reporting line, to those the customer is shared with, and to administrators, exactly
//!   as the customer is ([`crate::customer::access`]). Writing needs control of the account or an
//!   editing share.
//! - **Discounts.** Each role has a maximum discount. An order whose largest line discount is
//!   within its author's limit is approved on submission; otherwise it waits for someone whose
//!   limit covers it ([`decide_approval`]). Changing an approved order's prices, discounts, tax
//!   rates or quantities sends it back to draft ([`OrderEvent::PricesChanged`]); a copy is a new
//!   draft. So an approval always covers exactly the lines it was given for.
//! - **Invoices.** Several invoices against one approved order, each for chosen lines and
//!   quantities, never more than is left unless [`crate::service::SalesPolicy`] allows it; a
//!   red-letter invoice reverses all or part of a blue one; the line that completes a quantity
//!   takes exactly what is left of the amounts ([`invoice_amounts`]), so nothing drifts.
//! - **Courier tracking.** A tracking number belongs to an order or an invoice and is seen by
//!   whoever sees that document.
//! - **Last price.** Approving an order records, per product on it, the customer's last price
//!   ([`LastPrice`]); a new line without a price is offered it.

mod courier;
mod invoice;
mod line;
mod order;
mod quote;

pub use courier::{tracking_number, Tracking, TrackingEvent, TRACKING, TRACKING_EVENT};
pub use invoice::{
    check_invoice_number, invoice_amounts, Invoice, InvoiceKind, InvoiceLine, Portion, INVOICE,
    INVOICE_LINE,
};
pub use line::{
    max_discount, price_fingerprint, price_lines, DocLine, EnteredPrice, LineContext, LineDraft,
    OfferedPrices, OrderLine, QuoteLine, MAX_DECIMALS, QUOTE_LINE, SALES_ORDER_LINE,
};
pub use order::{
    decide_approval, within_limit, LastPrice, OrderEvent, OrderState, SalesOrder, LAST_PRICE,
    SALES_ORDER,
};
pub(crate) use quote::{parse_rounding, rounding_str};
pub use quote::{Quote, QuoteEvent, QuoteState, QUOTE};
