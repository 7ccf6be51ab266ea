//! Every record kind of the library, parents before children: what an adapter creates tables,
//! trees or maps for.

use crate::store::Kind;

/// All record kinds, in dependency order (a kind comes after every kind it references, except
/// for self-references).
pub static KINDS: &[&Kind] = &[
    &crate::org::ORG_REVISION,
    &crate::org::DEPARTMENT,
    &crate::org::ROLE,
    &crate::org::EMPLOYEE,
    &crate::settings::SETTING_OPTION,
    &crate::settings::SEQUENCE,
    &crate::settings::COMPANY_PROFILE,
    &crate::customer::CUSTOMER,
    &crate::customer::CONTACT,
    &crate::customer::CUSTOMER_SHARE,
    &crate::customer::CONTACT_LOG,
    &crate::audit::AUDIT_ENTRY,
    &crate::product::PRODUCT,
    &crate::blob::BLOB,
    &crate::product::PRODUCT_IMAGE,
    &crate::sales::QUOTE,
    &crate::sales::QUOTE_LINE,
    &crate::sales::SALES_ORDER,
    &crate::sales::SALES_ORDER_LINE,
    &crate::sales::LAST_PRICE,
    &crate::sales::INVOICE,
    &crate::sales::INVOICE_LINE,
    &crate::sales::TRACKING,
    &crate::sales::TRACKING_EVENT,
    &crate::finance::CASH_ACCOUNT,
    &crate::finance::EXCHANGE_RATE,
    &crate::finance::RECEIPT,
    &crate::finance::RECEIPT_ALLOCATION,
    &crate::finance::OPENING_BALANCE,
    &crate::purchase::SUPPLIER,
    &crate::purchase::SUPPLIER_CONTACT,
    &crate::purchase::SUPPLIER_PRICE,
    &crate::purchase::RFQ,
    &crate::purchase::RFQ_LINE,
    &crate::purchase::RFQ_SUPPLIER,
    &crate::purchase::RFQ_ANSWER,
    &crate::purchase::PURCHASE_ORDER,
    &crate::purchase::PURCHASE_LINE,
    &crate::purchase::SUPPLIER_PAYMENT,
    &crate::purchase::SUPPLIER_INVOICE,
    &crate::purchase::SUPPLIER_OPENING,
    &crate::inventory::WAREHOUSE,
    &crate::inventory::SHIPPING_NOTICE,
    &crate::inventory::SHIPPING_NOTICE_LINE,
    &crate::inventory::PRODUCTION_READY,
    &crate::inventory::STOCK_BALANCE,
    &crate::inventory::STOCK_DOC,
    &crate::inventory::STOCK_DOC_LINE,
    &crate::inventory::STOCK_MOVE,
    &crate::inventory::STOCKTAKE,
    &crate::inventory::STOCKTAKE_LINE,
];

/// The kind with this name.
pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.name == name)
}

/// The kinds and columns that reference `target`.
pub fn references_to(
    target: &str,
) -> impl Iterator<Item = (&'static Kind, &'static crate::store::Column)> + '_ {
    KINDS.iter().flat_map(move |k| {
        k.columns
            .iter()
            .filter(move |c| c.references.is_some_and(|r| r.kind == target))
            .map(move |c| (*k, c))
    })
}
