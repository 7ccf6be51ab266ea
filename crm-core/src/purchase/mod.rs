//! Purchasing (采购管理): suppliers with contacts and their price history per product,
//! requests for quotation (询价) sent to several suppliers and their answers, purchase orders
//! with approval, goods received against them (in `service/stock.rs`, as stock-ins), payments
//! to suppliers (付款登记), input VAT invoices (进项发票) and payables.
//!
//! # The payables identity
//!
//! For every supplier, at every moment:
//!
//! ```text
//! payable = opening balance + amounts due − paid
//! ```
//!
//! *Amounts due* are the gross totals of the supplier's approved purchase orders (approved,
//! receiving, received or closed; never drafts, waiting or cancelled ones); *paid* is the sum
//! of the payments registered. Each term is a sum of stored records changed only in atomic
//! commits. Input invoices are shown beside it (what the supplier has invoiced), not in it:
//! an invoice documents a debt, it does not change it.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::Result;
use crate::money::TaxRounding;
use crate::sales::InvoiceKind;
use crate::store::{Column, ColumnType as T, Entity, Fields, Index, Kind, OnDelete, Record, Value};

named_enum!(
    /// Where a purchase order stands.
    PurchaseState, "state" {
        /// Being written.
        Draft = "draft",
        /// Submitted; waits for an approver.
        AwaitingApproval = "awaiting_approval",
        /// Approved: sent to the supplier, goods may be received.
        Approved = "approved",
        /// Some goods received.
        PartlyReceived = "partly_received",
        /// Every line received in full.
        Received = "received",
        /// Finished.
        Closed = "closed",
        /// Cancelled before any goods came.
        Cancelled = "cancelled",
    }
);

named_enum!(
    /// Something that happens to a purchase order.
    PurchaseEvent, "event" {
        /// Submitted for approval by anyone who may change the draft (`purchase.edit`).
        Submit = "submit",
        /// Approved by someone else holding `purchase.approve`.
        Approve = "approve",
        /// Sent back to its author.
        Reject = "reject",
        /// Goods received, some lines still open.
        ReceivedPart = "received_part",
        /// Goods received, every line complete.
        ReceivedAll = "received_all",
        /// Closed after receiving.
        Close = "close",
        /// Cancelled.
        Cancel = "cancel",
    }
);

impl PurchaseState {
    /// Decides the state after `event`.
    ///
    /// ```
    /// use crm_core::purchase::{PurchaseEvent as E, PurchaseState as S};
    /// let s = S::Draft.apply(E::Submit)?.apply(E::Approve)?;
    /// assert_eq!(s, S::Approved);
    /// assert_eq!(s.apply(E::ReceivedPart)?.apply(E::ReceivedAll)?, S::Received);
    /// assert!(S::Received.apply(E::Cancel).is_err());
    /// # Ok::<(), crm_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::Invalid`] (field `state`) saying why the event does not apply.
    pub fn apply(self, event: PurchaseEvent) -> Result<Self> {
        use PurchaseEvent as E;
        use PurchaseState as S;
        Ok(match (self, event) {
            (S::Draft, E::Submit) => S::AwaitingApproval,
            (S::AwaitingApproval, E::Approve) => S::Approved,
            (S::AwaitingApproval, E::Reject) => S::Draft,
            (S::Approved | S::PartlyReceived, E::ReceivedPart) => S::PartlyReceived,
            (S::Approved | S::PartlyReceived, E::ReceivedAll) => S::Received,
            (S::Received, E::Close) => S::Closed,
            (S::Draft | S::AwaitingApproval | S::Approved, E::Cancel) => S::Cancelled,
            (from, event) => {
                return Err(crate::Error::invalid(
                    "state",
                    format!(
                        "a purchase order that is {} cannot take {}",
                        from.as_str(),
                        event.as_str()
                    ),
                ))
            }
        })
    }

    /// Whether the order is a debt to the supplier (approved or further along).
    pub fn is_due(self) -> bool {
        matches!(
            self,
            PurchaseState::Approved
                | PurchaseState::PartlyReceived
                | PurchaseState::Received
                | PurchaseState::Closed
        )
    }
}

/// Declares a record struct, its kind and its `Entity` mapping from one list of fields.
macro_rules! record {
    (
        $(#[$m:meta])* $name:ident, $kind:ident, $kname:literal,
        indexes: [$($iname:literal: [$($icol:literal),+] $unique:ident),* $(,)?],
        fields: { $($(#[$fm:meta])* $field:ident: $ty:ty => $col:expr, $get:ident, $put:expr;)+ }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            /// Id.
            pub id: Uuid,
            $($(#[$fm])* pub $field: $ty,)+
        }

        #[doc = concat!("The `", $kname, "` kind.")]
        pub static $kind: Kind = Kind {
            name: $kname,
            columns: &[$($col),+],
            indexes: &[$(Index {
                name: $iname,
                columns: &[$($icol),+],
                unique: record!(@unique $unique),
            }),*],
        };

        impl Entity for $name {
            const KIND: &'static Kind = &$kind;
            fn id(&self) -> Uuid {
                self.id
            }
            #[allow(clippy::redundant_closure_call)]
            fn to_values(&self) -> Vec<Value> {
                vec![$(($put)(&self.$field)),+]
            }
            fn from_record(r: &Record) -> Result<Self> {
                let f = Fields::new(r);
                Ok($name {
                    id: r.id,
                    $($field: record!(@get f, $get, stringify!($field)),)+
                })
            }
        }
    };
    (@unique unique) => { true };
    (@unique plain) => { false };
    (@get $f:ident, state, $c:expr) => { PurchaseState::parse(&$f.text($c)?)? };
    (@get $f:ident, invoice_kind, $c:expr) => { InvoiceKind::parse(&$f.text($c)?)? };
    (@get $f:ident, rounding, $c:expr) => { crate::sales::parse_rounding(&$f.text($c)?)? };
    (@get $f:ident, $get:ident, $c:expr) => { $f.$get($c)? };
}

fn v<T: Clone + Into<Value>>(x: &T) -> Value {
    x.clone().into()
}

record!(
    /// A supplier (供应商).
    Supplier, SUPPLIER, "supplier",
    indexes: ["supplier_code": ["code"] unique, "supplier_name_key": ["name_key"] unique],
    fields: {
        /// Code, unique (S001).
        code: String => Column::new("code", T::Text), text, v;
        /// Company name.
        name: String => Column::new("name", T::Text), text, v;
        /// The name's duplicate key (see [`crate::text::company_name_key`]), unique.
        name_key: String => Column::new("name_key", T::Text), text, v;
        /// Unified social credit code.
        credit_code: Option<String> => Column::nullable("credit_code", T::Text), opt_text, v;
        /// Telephone.
        phone: Option<String> => Column::nullable("phone", T::Text), opt_text, v;
        /// Address.
        address: Option<String> => Column::nullable("address", T::Text), opt_text, v;
        /// Bank and account number payments go to.
        bank_account: Option<String> => Column::nullable("bank_account", T::Text), opt_text, v;
        /// Offered for new documents.
        active: bool => Column::new("active", T::Bool), boolean, v;
        /// Created at.
        created_at: DateTime<Utc> => Column::new("created_at", T::Timestamp), timestamp, v;
    }
);

record!(
    /// A contact person at a supplier.
    SupplierContact, SUPPLIER_CONTACT, "supplier_contact",
    indexes: ["supplier_contact_supplier": ["supplier_id"] plain],
    fields: {
        /// The supplier.
        supplier_id: Uuid => Column::new("supplier_id", T::Id).refs("supplier", OnDelete::Cascade), id, v;
        /// Name.
        name: String => Column::new("name", T::Text), text, v;
        /// Mobile number.
        mobile: Option<String> => Column::nullable("mobile", T::Text), opt_text, v;
        /// E-mail.
        email: Option<String> => Column::nullable("email", T::Text), opt_text, v;
        /// Position (采购经理 …).
        title: Option<String> => Column::nullable("title", T::Text), opt_text, v;
    }
);

record!(
    /// One price a supplier asked for a product: from an answer to a request for quotation or
    /// from an approved purchase order. The history of a product's prices per supplier.
    SupplierPrice, SUPPLIER_PRICE, "supplier_price",
    indexes: ["supplier_price_product": ["product_id", "supplier_id", "quoted_on"] plain],
    fields: {
        /// The supplier.
        supplier_id: Uuid => Column::new("supplier_id", T::Id).refs("supplier", OnDelete::Cascade), id, v;
        /// The product.
        product_id: Uuid => Column::new("product_id", T::Id).refs("product", OnDelete::Cascade), id, v;
        /// Unit price excluding tax (6 places).
        unit_price: Decimal => Column::new("unit_price", T::Decimal), decimal, v;
        /// VAT rate.
        tax_rate: Decimal => Column::new("tax_rate", T::Decimal), decimal, v;
        /// Date of the quotation or order.
        quoted_on: NaiveDate => Column::new("quoted_on", T::Date), date, v;
        /// `rfq` or `purchase_order`.
        source: String => Column::new("source", T::Text), text, v;
        /// The request for quotation or purchase order.
        source_id: Uuid => Column::new("source_id", T::Id), id, v;
    }
);

record!(
    /// A request for quotation (询价单): products and quantities, sent to several suppliers.
    Rfq, RFQ, "rfq",
    indexes: ["rfq_number": ["number"] unique],
    fields: {
        /// Number, unique (XJ-2026-000001).
        number: String => Column::new("number", T::Text), text, v;
        /// Date sent.
        rfq_date: NaiveDate => Column::new("rfq_date", T::Date), date, v;
        /// Answers wanted by.
        due_date: Option<NaiveDate> => Column::nullable("due_date", T::Date), opt_date, v;
        /// Closed once an order was made from it.
        closed: bool => Column::new("closed", T::Bool), boolean, v;
        /// Remark.
        note: Option<String> => Column::nullable("note", T::Text), opt_text, v;
        /// Who wrote it.
        created_by: Uuid => Column::new("created_by", T::Id).refs("employee", OnDelete::Keep), id, v;
        /// When.
        created_at: DateTime<Utc> => Column::new("created_at", T::Timestamp), timestamp, v;
    }
);

record!(
    /// A product and quantity asked for.
    RfqLine, RFQ_LINE, "rfq_line",
    indexes: ["rfq_line_rfq": ["rfq_id", "position"] plain],
    fields: {
        /// The request.
        rfq_id: Uuid => Column::new("rfq_id", T::Id).refs("rfq", OnDelete::Cascade), id, v;
        /// Place, from 1.
        position: i64 => Column::new("position", T::Int), int, v;
        /// The product.
        product_id: Uuid => Column::new("product_id", T::Id).refs("product", OnDelete::Restrict), id, v;
        /// Units wanted.
        quantity: Decimal => Column::new("quantity", T::Decimal), decimal, v;
    }
);

record!(
    /// A supplier a request was sent to.
    RfqSupplier, RFQ_SUPPLIER, "rfq_supplier",
    indexes: ["rfq_supplier_pair": ["rfq_id", "supplier_id"] unique],
    fields: {
        /// The request.
        rfq_id: Uuid => Column::new("rfq_id", T::Id).refs("rfq", OnDelete::Cascade), id, v;
        /// The supplier.
        supplier_id: Uuid => Column::new("supplier_id", T::Id).refs("supplier", OnDelete::Restrict), id, v;
        /// When their answer was recorded.
        answered_at: Option<DateTime<Utc>> => Column::nullable("answered_at", T::Timestamp), opt_timestamp, v;
    }
);

record!(
    /// A supplier's answer for one line of a request.
    RfqAnswer, RFQ_ANSWER, "rfq_answer",
    indexes: ["rfq_answer_line_supplier": ["rfq_line_id", "supplier_id"] unique, "rfq_answer_rfq": ["rfq_id"] plain],
    fields: {
        /// The request.
        rfq_id: Uuid => Column::new("rfq_id", T::Id).refs("rfq", OnDelete::Cascade), id, v;
        /// The line answered.
        rfq_line_id: Uuid => Column::new("rfq_line_id", T::Id).refs("rfq_line", OnDelete::Cascade), id, v;
        /// The supplier.
        supplier_id: Uuid => Column::new("supplier_id", T::Id).refs("supplier", OnDelete::Restrict), id, v;
        /// Unit price as quoted.
        unit_price: Decimal => Column::new("unit_price", T::Decimal), decimal, v;
        /// Whether it includes tax.
        price_includes_tax: bool => Column::new("price_includes_tax", T::Bool), boolean, v;
        /// VAT rate.
        tax_rate: Decimal => Column::new("tax_rate", T::Decimal), decimal, v;
        /// Days to deliver.
        lead_days: Option<i64> => Column::nullable("lead_days", T::Int), opt_int, v;
    }
);

record!(
    /// A purchase order (采购订单).
    PurchaseOrder, PURCHASE_ORDER, "purchase_order",
    indexes: ["purchase_order_number": ["number"] unique, "purchase_order_supplier": ["supplier_id"] plain],
    fields: {
        /// Number, unique (CG-2026-000001).
        number: String => Column::new("number", T::Text), text, v;
        /// The supplier.
        supplier_id: Uuid => Column::new("supplier_id", T::Id).refs("supplier", OnDelete::Restrict), id, v;
        /// The request for quotation it was made from.
        rfq_id: Option<Uuid> => Column::nullable("rfq_id", T::Id).refs("rfq", OnDelete::Restrict), opt_id, v;
        /// State.
        state: PurchaseState => Column::new("state", T::Text), state, |s: &PurchaseState| Value::from(s.as_str());
        /// Order date.
        order_date: NaiveDate => Column::new("order_date", T::Date), date, v;
        /// Expected delivery.
        expected_date: Option<NaiveDate> => Column::nullable("expected_date", T::Date), opt_date, v;
        /// How tax was rounded.
        tax_rounding: TaxRounding => Column::new("tax_rounding", T::Text), rounding, |r: &TaxRounding| Value::from(crate::sales::rounding_str(*r));
        /// Total excluding tax.
        net: Decimal => Column::new("net", T::Decimal), decimal, v;
        /// Total tax (input VAT).
        tax: Decimal => Column::new("tax", T::Decimal), decimal, v;
        /// Total including tax.
        gross: Decimal => Column::new("gross", T::Decimal), decimal, v;
        /// Who approved it.
        approved_by: Option<Uuid> => Column::nullable("approved_by", T::Id).refs("employee", OnDelete::Keep), opt_id, v;
        /// When.
        approved_at: Option<DateTime<Utc>> => Column::nullable("approved_at", T::Timestamp), opt_timestamp, v;
        /// Who wrote it.
        created_by: Uuid => Column::new("created_by", T::Id).refs("employee", OnDelete::Keep), id, v;
        /// Created at.
        created_at: DateTime<Utc> => Column::new("created_at", T::Timestamp), timestamp, v;
        /// Last changed at.
        updated_at: DateTime<Utc> => Column::new("updated_at", T::Timestamp), timestamp, v;
    }
);

record!(
    /// A line of a purchase order.
    PurchaseLine, PURCHASE_LINE, "purchase_line",
    indexes: ["purchase_line_order": ["order_id", "position"] plain],
    fields: {
        /// The purchase order.
        order_id: Uuid => Column::new("order_id", T::Id).refs("purchase_order", OnDelete::Cascade), id, v;
        /// Place, from 1.
        position: i64 => Column::new("position", T::Int), int, v;
        /// The product.
        product_id: Uuid => Column::new("product_id", T::Id).refs("product", OnDelete::Restrict), id, v;
        /// Its code when ordered.
        product_code: String => Column::new("product_code", T::Text), text, v;
        /// Its name when ordered.
        product_name: String => Column::new("product_name", T::Text), text, v;
        /// Unit.
        unit: String => Column::new("unit", T::Text), text, v;
        /// Units ordered.
        quantity: Decimal => Column::new("quantity", T::Decimal), decimal, v;
        /// Unit price as entered.
        unit_price: Decimal => Column::new("unit_price", T::Decimal), decimal, v;
        /// Whether it includes tax.
        price_includes_tax: bool => Column::new("price_includes_tax", T::Bool), boolean, v;
        /// VAT rate.
        tax_rate: Decimal => Column::new("tax_rate", T::Decimal), decimal, v;
        /// Amount excluding tax: what the goods cost the stock.
        net: Decimal => Column::new("net", T::Decimal), decimal, v;
        /// Input VAT.
        tax: Decimal => Column::new("tax", T::Decimal), decimal, v;
        /// Amount including tax.
        gross: Decimal => Column::new("gross", T::Decimal), decimal, v;
    }
);

record!(
    /// A payment to a supplier (付款登记), against a purchase order or on account.
    SupplierPayment, SUPPLIER_PAYMENT, "supplier_payment",
    indexes: ["supplier_payment_number": ["number"] unique, "supplier_payment_supplier": ["supplier_id"] plain],
    fields: {
        /// Number, unique (FK-2026-000001).
        number: String => Column::new("number", T::Text), text, v;
        /// The supplier.
        supplier_id: Uuid => Column::new("supplier_id", T::Id).refs("supplier", OnDelete::Restrict), id, v;
        /// The purchase order it pays, when one.
        order_id: Option<Uuid> => Column::nullable("order_id", T::Id).refs("purchase_order", OnDelete::Restrict), opt_id, v;
        /// The account it left.
        account_id: Uuid => Column::new("account_id", T::Id).refs("cash_account", OnDelete::Restrict), id, v;
        /// How (转账, 承兑汇票 …).
        method: String => Column::new("method", T::Text), text, v;
        /// Date paid.
        pay_date: NaiveDate => Column::new("pay_date", T::Date), date, v;
        /// Amount in CNY.
        amount: Decimal => Column::new("amount", T::Decimal), decimal, v;
        /// Remark.
        note: Option<String> => Column::nullable("note", T::Text), opt_text, v;
        /// Who registered it.
        created_by: Uuid => Column::new("created_by", T::Id).refs("employee", OnDelete::Keep), id, v;
        /// When.
        created_at: DateTime<Utc> => Column::new("created_at", T::Timestamp), timestamp, v;
    }
);

record!(
    /// An input VAT invoice (进项发票) a supplier issued against a purchase order.
    SupplierInvoice, SUPPLIER_INVOICE, "supplier_invoice",
    indexes: ["supplier_invoice_code_number": ["code", "number"] unique, "supplier_invoice_supplier": ["supplier_id"] plain],
    fields: {
        /// The supplier.
        supplier_id: Uuid => Column::new("supplier_id", T::Id).refs("supplier", OnDelete::Restrict), id, v;
        /// The purchase order.
        order_id: Uuid => Column::new("order_id", T::Id).refs("purchase_order", OnDelete::Restrict), id, v;
        /// Ordinary or special.
        kind: InvoiceKind => Column::new("kind", T::Text), invoice_kind, |k: &InvoiceKind| Value::from(k.as_str());
        /// 发票代码.
        code: String => Column::new("code", T::Text), text, v;
        /// 发票号码.
        number: String => Column::new("number", T::Text), text, v;
        /// Date of issue.
        issue_date: NaiveDate => Column::new("issue_date", T::Date), date, v;
        /// Amount excluding tax.
        net: Decimal => Column::new("net", T::Decimal), decimal, v;
        /// Tax.
        tax: Decimal => Column::new("tax", T::Decimal), decimal, v;
        /// Amount including tax.
        gross: Decimal => Column::new("gross", T::Decimal), decimal, v;
        /// Who registered it.
        created_by: Uuid => Column::new("created_by", T::Id).refs("employee", OnDelete::Keep), id, v;
        /// When.
        created_at: DateTime<Utc> => Column::new("created_at", T::Timestamp), timestamp, v;
    }
);

record!(
    /// What the company owed a supplier when it started using the library.
    SupplierOpening, SUPPLIER_OPENING, "supplier_opening",
    indexes: ["supplier_opening_supplier": ["supplier_id"] unique],
    fields: {
        /// The supplier.
        supplier_id: Uuid => Column::new("supplier_id", T::Id).refs("supplier", OnDelete::Cascade), id, v;
        /// As of.
        as_of: NaiveDate => Column::new("as_of", T::Date), date, v;
        /// Amount owed (negative: paid in advance).
        amount: Decimal => Column::new("amount", T::Decimal), decimal, v;
    }
);
