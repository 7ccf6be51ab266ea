//! Operation permissions granted by roles: deny by default.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What a permission is about. New modules add their resource here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Resource {
    /// Customers (客户).
    Customer,
    /// Contacts of customers (联系人).
    Contact,
    /// Contact records: visits, calls, messages (联系记录).
    ContactLog,
    /// The audit log.
    Audit,
    /// Products (商品).
    Product,
    /// Quotes (报价单).
    Quote,
    /// Sales orders (销售订单).
    SalesOrder,
    /// VAT invoices (发票), blue and red-letter.
    Invoice,
    /// Courier tracking numbers (快递单).
    Courier,
    /// Receipts, allocations, opening balances and the receivables report (到款管理).
    Receipt,
    /// Warehouses (仓库): setting them up.
    Warehouse,
    /// Goods movements inside the company and their reports: stock-ins, transfers,
    /// requisitions, stocktakes, on-hand and valuation (库存).
    Stock,
    /// Stock-outs (出库) that ship goods against sales orders.
    StockOut,
    /// Suppliers (供应商), their contacts and price history.
    Supplier,
    /// Requests for quotation and purchase orders (采购); `approve` approves purchase orders.
    Purchase,
    /// Payments to suppliers, input invoices, supplier opening balances and payables (应付).
    Payable,
    /// Shipping notices (发货通知): what may ship; `approve` releases a held notice.
    ShippingNotice,
    /// Production's readiness marks on sales order lines (生产完工): `create` marks units
    /// ready, `view` reads how far an order has come.
    Production,
    /// Employees, departments and roles.
    Org,
    /// Basic settings (基础设置).
    Settings,
}

/// An operation on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Op {
    /// See records (subject to visibility).
    View,
    /// Create records.
    Create,
    /// Edit records.
    Edit,
    /// Delete (or archive) records.
    Delete,
    /// Share records with colleagues.
    Share,
    /// Assign records to an owner.
    Assign,
    /// Transfer all records of one owner to another.
    Transfer,
    /// Import records from files.
    Import,
    /// Export records to files.
    Export,
    /// Approve records that need a second person's consent (an order whose discount exceeds
    /// its author's limit).
    Approve,
}

/// A permission: an operation on a resource, written `customer.edit`.
///
/// ```
/// use crm_core::org::{Op, Permission, Resource};
/// let p: Permission = "customer.edit".parse().unwrap();
/// assert_eq!(p, Permission::new(Resource::Customer, Op::Edit));
/// assert_eq!(p.to_string(), "customer.edit");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission {
    /// The resource.
    pub resource: Resource,
    /// The operation.
    pub op: Op,
}

impl Permission {
    /// A permission.
    pub const fn new(resource: Resource, op: Op) -> Self {
        Permission { resource, op }
    }
}

const RESOURCES: &[(Resource, &str)] = &[
    (Resource::Customer, "customer"),
    (Resource::Contact, "contact"),
    (Resource::ContactLog, "contact_log"),
    (Resource::Audit, "audit"),
    (Resource::Product, "product"),
    (Resource::Quote, "quote"),
    (Resource::SalesOrder, "sales_order"),
    (Resource::Invoice, "invoice"),
    (Resource::Courier, "courier"),
    (Resource::Receipt, "receipt"),
    (Resource::Warehouse, "warehouse"),
    (Resource::Stock, "stock"),
    (Resource::StockOut, "stock_out"),
    (Resource::Supplier, "supplier"),
    (Resource::Purchase, "purchase"),
    (Resource::Payable, "payable"),
    (Resource::ShippingNotice, "shipping_notice"),
    (Resource::Production, "production"),
    (Resource::Org, "org"),
    (Resource::Settings, "settings"),
];

const OPS: &[(Op, &str)] = &[
    (Op::View, "view"),
    (Op::Create, "create"),
    (Op::Edit, "edit"),
    (Op::Delete, "delete"),
    (Op::Share, "share"),
    (Op::Assign, "assign"),
    (Op::Transfer, "transfer"),
    (Op::Import, "import"),
    (Op::Export, "export"),
    (Op::Approve, "approve"),
];

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = RESOURCES
            .iter()
            .find(|(x, _)| *x == self.resource)
            .map_or("?", |(_, n)| n);
        let o = OPS
            .iter()
            .find(|(x, _)| *x == self.op)
            .map_or("?", |(_, n)| n);
        write!(f, "{r}.{o}")
    }
}

impl FromStr for Permission {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::invalid("permission", format!("unknown permission {s:?}"));
        let (r, o) = s.split_once('.').ok_or_else(bad)?;
        let resource = RESOURCES
            .iter()
            .find(|(_, n)| *n == r)
            .map(|(x, _)| *x)
            .ok_or_else(bad)?;
        let op = OPS
            .iter()
            .find(|(_, n)| *n == o)
            .map(|(x, _)| *x)
            .ok_or_else(bad)?;
        Ok(Permission { resource, op })
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
