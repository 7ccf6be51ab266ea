//! The façade an application embeds: [`Crm`], one method per public operation.
//!
//! Every operation follows the same flow: resolve the actor against the organisation snapshot,
//! load what it needs, decide (a pure function of the core), and commit the changes together
//! with their audit entries and the versions that were read. On a [`Error::Conflict`] it reloads
//! and decides again, a bounded number of times.

mod courier;
mod customers;
mod exchange;
mod goods_reports;
mod invoices;
mod org;
mod print;
mod product_images;
mod product_import;
mod production;
mod products;
mod purchasing;
mod receipts;
mod reports;
mod sales;
mod shipping;
mod stock;

use std::sync::{Arc, RwLock};

use uuid::Uuid;

use crate::audit::{AuditEntry, Outcome};
use crate::error::{Error, Result};
use crate::money::TaxSettings;
use crate::org::{
    Actor, ActorContext, Department, Employee, Org, Role, ORG_REVISION, ORG_REVISION_ID,
};
use crate::product::ImagePolicy;
use crate::sources::{Clock, IdGen, SystemClock, UuidV7};
use crate::store::{Commit, Entity, Query, Record, Store};

pub use courier::{TrackingDoc, TrackingInput, TrackingLookup};
pub use customers::{CreatedCustomer, DeleteOutcome, DuplicateWarning, SearchPage};
pub use exchange::{
    DuplicateOf, ImportMode, ImportOptions, ImportPhase, ImportProgress, ImportReport, RowOutcome,
    RowResult,
};
pub use goods_reports::{IssuedRow, PurchaseSummaryRow, RegionRow, SlowMovingRow, UnshippedRow};
pub use invoices::{InvoiceDoc, InvoiceInput, LineInvoicing, OrderInvoicing, RedInvoiceInput};
pub use org::NewEmployee;
pub use product_images::ImageBytes;
pub use product_import::ProductImportOptions;
pub use production::{LineReadiness, OrderReadiness, ReadyInput};
pub use purchasing::{
    PayableRow, PurchaseDoc, PurchaseLineInput, PurchaseOrderInput, RfqAnswerInput, RfqDoc,
    RfqInput, SupplierDoc, SupplierInput, SupplierInvoiceInput, SupplierPaymentInput,
};
pub use receipts::{ReceiptDoc, ReceiptInput};
pub use reports::{DepartmentRow, PerformanceRow, ProductSalesRow, SalesPerformance};
pub use sales::{DocSearch, OrderDoc, OrderInput, QuoteDoc, QuoteInput};
pub use shipping::{NoticeDoc, NoticeInput, ShippingPolicy};
pub use stock::{
    LineShipping, OnHandRow, OrderShipping, PurchaseReceiptInput, RequisitionInput,
    SafetyStockAlert, StockDocView, StockInInput, StockInLine, StockOutInput, StockOutLine,
    StockReport, StocktakeDoc, TransferInput, WarehouseInput, STOCK_ATTEMPTS,
};

/// How many times an operation decides again after a conflict before giving up with it.
pub const MAX_ATTEMPTS: usize = 8;

/// The library, bound to a store. Cheap to share: hold it in an `Arc` and call it from any task.
///
/// ```
/// # futures::executor::block_on(async {
/// use std::sync::Arc;
/// use crm_core::{Crm, store::MemoryStore};
/// let crm = Crm::new(Arc::new(MemoryStore::new()));
/// let admin = crm.bootstrap("示例贸易有限公司", "admin", "管理员").await.unwrap();
/// assert_eq!(crm.org().await.unwrap().employee(admin.employee_id()).unwrap().name, "管理员");
/// # });
/// ```
pub struct Crm {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    tax: TaxSettings,
    policy: SalesPolicy,
    images: ImagePolicy,
    shipping: ShippingPolicy,
    /// The organisation snapshot and the revision it was loaded at. A std lock: it is held only
    /// to clone an `Arc`, never across an await point.
    org: RwLock<Option<(u64, Arc<Org>)>>,
}

/// Company-wide sales rules that are settings rather than law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct SalesPolicy {
    /// Whether an order line may be invoiced beyond its ordered quantity (off by default).
    pub allow_over_invoicing: bool,
    /// What makes an amount due: an approved order (default) or goods shipped.
    pub receivable_basis: ReceivableBasis,
}

/// When a customer owes for a sale (a company setting, [`SalesPolicy::receivable_basis`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceivableBasis {
    /// The whole order is due once approved, dated by the order.
    #[default]
    PerOrder,
    /// Each stock-out makes due the share of the order it shipped (each line's gross in
    /// proportion to the units shipped, the shipment completing a line taking what is left of
    /// it), dated by the stock-out.
    PerStockOut,
}

/// An actor resolved for one attempt of one operation.
pub(crate) struct Session {
    pub(crate) org: Arc<Org>,
    pub(crate) org_version: u64,
    pub(crate) ctx: ActorContext,
}

impl Crm {
    /// The library over `store`, with the system clock and time-ordered ids.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Crm {
            store,
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            tax: TaxSettings::default(),
            policy: SalesPolicy::default(),
            images: ImagePolicy::default(),
            shipping: ShippingPolicy::default(),
            org: RwLock::new(None),
        }
    }

    /// Replaces the clock (tests, simulations, replays).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the id source.
    pub fn with_ids(mut self, ids: Arc<dyn IdGen>) -> Self {
        self.ids = ids;
        self
    }

    /// Replaces the tax settings of new documents (rounding per line by default; see
    /// [`TaxSettings`]). A document keeps the rounding it was made with, so changing this
    /// never changes an existing document's amounts.
    pub fn with_tax_settings(mut self, tax: TaxSettings) -> Self {
        self.tax = tax;
        self
    }

    /// Replaces the company's sales rules (see [`SalesPolicy`]).
    pub fn with_sales_policy(mut self, policy: SalesPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Replaces the rules for product pictures (a 5 MiB limit by default; see
    /// [`ImagePolicy`]).
    pub fn with_image_policy(mut self, images: ImagePolicy) -> Self {
        self.images = images;
        self
    }

    /// The tax settings of new documents.
    pub fn tax_settings(&self) -> TaxSettings {
        self.tax
    }

    /// The store this library writes to.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today's business date: the calendar date in China (UTC+8, no daylight saving), which
    /// dates quotes and orders and decides validity.
    pub(crate) fn today(&self) -> chrono::NaiveDate {
        (self.now() + chrono::TimeDelta::hours(8)).date_naive()
    }

    pub(crate) fn new_id(&self) -> Uuid {
        self.ids.next_id()
    }

    /// The current organisation snapshot (reloaded when another process changed it).
    ///
    /// # Errors
    /// [`Error::Backend`] on storage failure.
    pub async fn org(&self) -> Result<Arc<Org>> {
        Ok(self.org_snapshot().await?.1)
    }

    async fn org_snapshot(&self) -> Result<(u64, Arc<Org>)> {
        let rev = self
            .store
            .get(&ORG_REVISION, ORG_REVISION_ID)
            .await?
            .map_or(0, |r| r.version);
        if let Ok(guard) = self.org.read() {
            if let Some((v, org)) = guard.as_ref() {
                if *v == rev {
                    return Ok((rev, org.clone()));
                }
            }
        }
        let employees = self.load_all::<Employee>().await?;
        let departments = self.load_all::<Department>().await?;
        let roles = self.load_all::<Role>().await?;
        let org = Arc::new(Org::new(employees, departments, roles));
        if let Ok(mut guard) = self.org.write() {
            *guard = Some((rev, org.clone()));
        }
        Ok((rev, org))
    }

    async fn load_all<T: Entity>(&self) -> Result<Vec<T>> {
        let page = self.store.query(&Query::all(T::KIND)).await?;
        page.records.iter().map(T::from_record).collect()
    }

    /// Resolves the actor. An unknown or inactive employee may do nothing.
    pub(crate) async fn session(&self, actor: Actor) -> Result<Session> {
        let (org_version, org) = self.org_snapshot().await?;
        let ctx = org.context(actor).ok_or_else(|| {
            Error::PermissionDenied(format!("{} is not an active employee", actor.employee_id()))
        })?;
        Ok(Session {
            org,
            org_version,
            ctx,
        })
    }

    /// An audit entry for the current commit.
    pub(crate) fn audit(
        &self,
        actor: Uuid,
        action: &str,
        kind: &str,
        record_id: Option<Uuid>,
        detail: serde_json::Value,
    ) -> Record {
        self.audit_at(self.now(), actor, action, kind, record_id, detail)
    }

    /// An audit entry for the current commit, at a time the commit's other records share (an
    /// import batch's entries then carry their customers' creation time, and a store that
    /// indexes entries by actor and time lists the batch under one key).
    pub(crate) fn audit_at(
        &self,
        at: chrono::DateTime<chrono::Utc>,
        actor: Uuid,
        action: &str,
        kind: &str,
        record_id: Option<Uuid>,
        detail: serde_json::Value,
    ) -> Record {
        AuditEntry {
            id: self.new_id(),
            at,
            actor_id: actor,
            action: action.to_owned(),
            record_kind: kind.to_owned(),
            record_id,
            outcome: Outcome::Done,
            detail,
        }
        .to_record()
    }

    /// Records a refused operation in the audit log (in a commit of its own) and returns the
    /// refusal. Should the log write fail, the refusal still stands and is returned.
    pub(crate) async fn refuse(
        &self,
        actor: Actor,
        action: &str,
        kind: &str,
        record_id: Option<Uuid>,
        err: Error,
    ) -> Error {
        if !matches!(err, Error::PermissionDenied(_)) {
            return err;
        }
        let entry = AuditEntry {
            id: self.new_id(),
            at: self.now(),
            actor_id: actor.employee_id(),
            action: action.to_owned(),
            record_kind: kind.to_owned(),
            record_id,
            outcome: Outcome::Denied,
            detail: serde_json::json!({ "reason": err.to_string() }),
        };
        let mut c = Commit::new();
        c.insert(entry.to_record());
        // The refusal matters more than its log entry: a failed log write does not mask it.
        let _ = self.store.commit(c).await;
        err
    }

    /// Passes a result through, recording a refusal in the audit log on the way (see
    /// [`Crm::refuse`]).
    pub(crate) async fn logged<T>(
        &self,
        actor: Actor,
        action: &str,
        kind: &str,
        record_id: Option<Uuid>,
        res: Result<T>,
    ) -> Result<T> {
        match res {
            Err(e) => Err(self.refuse(actor, action, kind, record_id, e).await),
            ok => ok,
        }
    }

    /// Commits the decision of one attempt, asserting that the organisation (on which every
    /// access decision rests) did not change meanwhile.
    pub(crate) async fn commit(&self, s: &Session, c: Commit) -> Result<()> {
        self.store.commit(under_org(s.org_version, c)).await
    }
}

/// `c` with the assertion that the organisation is still at `org_version` (none at 0: no
/// organisation written yet).
pub(crate) fn under_org(org_version: u64, mut c: Commit) -> Commit {
    if org_version > 0 {
        c.assert_version(&ORG_REVISION, ORG_REVISION_ID, org_version);
    }
    c
}

/// Runs `$body` (an async block deciding and committing once) until it returns something other
/// than a conflict, at most [`MAX_ATTEMPTS`] times.
macro_rules! retry {
    ($body:expr) => {{
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome: $crate::Result<_> = $body.await;
            match outcome {
                Err(e) if e.is_retryable() && attempt < $crate::service::MAX_ATTEMPTS => continue,
                other => break other,
            }
        }
    }};
}
pub(crate) use retry;
