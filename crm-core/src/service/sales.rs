//! Quote and sales order operations (报价管理, 销售订单管理). The rules are in
//! [`crate::sales`]; this module loads, checks access, decides and commits.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use super::{retry, Crm, SearchPage, Session};
use crate::customer::access::{reaches, visibility_filter_on};
use crate::customer::{Relation, MAX_PAGE};
use crate::error::{Error, Result};
use crate::money::TaxSettings;
use crate::org::{Actor, Op, Permission, Resource};
use crate::product::{Product, PRODUCT};
use crate::sales::{
    decide_approval, max_discount, price_fingerprint, price_lines, within_limit, DocLine,
    LastPrice, LineContext, LineDraft, OfferedPrices, OrderEvent, OrderLine, OrderState, Quote,
    QuoteEvent, QuoteLine, QuoteState, SalesOrder, LAST_PRICE, QUOTE, QUOTE_LINE, SALES_ORDER,
    SALES_ORDER_LINE,
};
use crate::settings::{Sequence, SEQUENCE};
use crate::store::{Commit, Entity, Filter, Kind, Order, Query, Value, Versioned};
use crate::text;

/// A quote with its lines, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteDoc {
    /// The quote.
    pub quote: Versioned<Quote>,
    /// Its lines.
    pub lines: Vec<QuoteLine>,
}

/// A sales order with its lines, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderDoc {
    /// The order.
    pub order: Versioned<SalesOrder>,
    /// Its lines.
    pub lines: Vec<OrderLine>,
}

/// A quote as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct QuoteInput {
    /// The customer.
    pub customer_id: Uuid,
    /// The quote's date; today when absent.
    #[builder(default, setter(strip_option))]
    pub quote_date: Option<NaiveDate>,
    /// Valid until (inclusive), on or after the quote's date.
    pub valid_until: NaiveDate,
    /// Terms (payment, delivery), up to 2,000 characters.
    #[builder(default, setter(strip_option))]
    pub terms: Option<String>,
    /// The lines.
    pub lines: Vec<LineDraft>,
}

/// A sales order as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct OrderInput {
    /// The customer.
    pub customer_id: Uuid,
    /// The order's date; today when absent.
    #[builder(default, setter(strip_option))]
    pub order_date: Option<NaiveDate>,
    /// Promised delivery date, on or after the order's date.
    #[builder(default, setter(strip_option))]
    pub delivery_date: Option<NaiveDate>,
    /// Terms printed on the contract, up to 2,000 characters.
    #[builder(default, setter(strip_option))]
    pub terms: Option<String>,
    /// The lines.
    pub lines: Vec<LineDraft>,
}

/// Search criteria for quotes (`S` = [`QuoteState`]) or orders (`S` = [`OrderState`]):
/// newest number first, paged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSearch<S> {
    /// Only this customer's documents.
    pub customer_id: Option<Uuid>,
    /// Only documents in this state.
    pub state: Option<S>,
    /// Results to skip.
    pub offset: u64,
    /// Page size (at most [`MAX_PAGE`]).
    pub limit: u64,
}

impl<S> Default for DocSearch<S> {
    fn default() -> Self {
        DocSearch {
            customer_id: None,
            state: None,
            offset: 0,
            limit: 20,
        }
    }
}

fn need(s: &Session, resource: Resource, op: Op, action: &str) -> Result<()> {
    if s.ctx.has(resource, op) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "{action}: no role grants {}",
            Permission::new(resource, op)
        )))
    }
}

fn may_write(rel: Relation) -> bool {
    rel.controls() || rel == Relation::SharedEdit
}

fn check_terms(terms: Option<&str>) -> Result<Option<String>> {
    match terms.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text::check_text("terms", t, 1, 2000).map(Some),
    }
}

/// A sequence-name race (two first numbers of a year at once) is a conflict to retry.
pub(super) fn sequence_race(e: Error) -> Error {
    match e {
        Error::Duplicate {
            rule: "sequence_name",
            ..
        } => Error::Conflict("two documents took the first number of a year at once".into()),
        e => e,
    }
}

impl Crm {
    /// How the actor stands to a document owned by `owner_id` for `customer_id`: as to the
    /// customer, with the document's owner in the customer owner's place.
    async fn doc_relation(
        &self,
        s: &Session,
        owner_id: Uuid,
        customer_id: Uuid,
    ) -> Result<Relation> {
        if s.ctx.admin {
            return Ok(Relation::Admin);
        }
        if owner_id == s.ctx.employee_id {
            return Ok(Relation::Owner);
        }
        if s.ctx.subordinates.contains(&owner_id) {
            return Ok(Relation::ManagerAbove);
        }
        Ok(self
            .shares_of(customer_id)
            .await?
            .iter()
            .filter(|sh| reaches(&s.ctx, sh.grantee))
            .map(|sh| match sh.access {
                crate::customer::ShareAccess::Edit => Relation::SharedEdit,
                crate::customer::ShareAccess::Read => Relation::SharedRead,
            })
            .max()
            .unwrap_or(Relation::None))
    }

    /// Checks that the actor may see (or, with `write`, change) a document.
    pub(super) async fn doc_guard(
        &self,
        s: &Session,
        action: &str,
        owner_id: Uuid,
        customer_id: Uuid,
        write: bool,
    ) -> Result<()> {
        let rel = self.doc_relation(s, owner_id, customer_id).await?;
        if !rel.visible() || (write && !may_write(rel)) {
            return Err(Error::PermissionDenied(format!(
                "{action}: not allowed for this customer's documents ({rel:?})"
            )));
        }
        Ok(())
    }

    /// The customer a new document is for, checked writable by the actor; the document's
    /// owner is the customer's owner.
    async fn doc_customer(&self, s: &Session, action: &str, customer_id: Uuid) -> Result<Uuid> {
        let c = self.load_customer(customer_id).await?.value;
        if c.archived {
            return Err(Error::invalid(
                "customer_id",
                format!("customer {} is archived", c.name),
            ));
        }
        self.doc_guard(s, action, c.owner_id, c.id, true).await?;
        Ok(c.owner_id)
    }

    async fn products_of(&self, drafts: &[LineDraft]) -> Result<HashMap<Uuid, Product>> {
        let ids: Vec<Uuid> = drafts
            .iter()
            .map(|d| d.product_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        self.store
            .get_many(&PRODUCT, &ids)
            .await?
            .iter()
            .map(|r| Product::from_record(r).map(|p| (p.id, p)))
            .collect()
    }

    async fn last_prices(
        &self,
        customer_id: Uuid,
        products: &[Uuid],
    ) -> Result<HashMap<Uuid, Versioned<LastPrice>>> {
        if products.is_empty() {
            return Ok(HashMap::new());
        }
        let q = Query::filter(
            &LAST_PRICE,
            Filter::And(vec![
                Filter::Eq("customer_id", Value::Id(customer_id)),
                Filter::In(
                    "product_id",
                    products.iter().map(|&p| Value::Id(p)).collect(),
                ),
            ]),
        );
        self.store
            .query(&q)
            .await?
            .records
            .iter()
            .map(|r| Versioned::<LastPrice>::decode(r).map(|v| (v.value.product_id, v)))
            .collect()
    }

    /// Prices a document's drafts: the products, the customer's last prices for lines
    /// without one, and the one tax function.
    async fn price(
        &self,
        ctx: LineContext,
        drafts: &[LineDraft],
        settings: &TaxSettings,
    ) -> Result<(Vec<DocLine>, crate::money::DocumentTotals)> {
        let products = self.products_of(drafts).await?;
        let unpriced: Vec<Uuid> = drafts
            .iter()
            .filter(|d| d.price.is_none())
            .map(|d| d.product_id)
            .collect();
        let offered: OfferedPrices = self
            .last_prices(ctx.customer_id, &unpriced)
            .await?
            .into_iter()
            .map(|(p, v)| (p, v.value.price()))
            .collect();
        price_lines(ctx, drafts, &products, &offered, settings, || self.new_id())
    }

    /// Adds the next number of `prefix` in `year` to the commit: `QT-2026-000001`.
    pub(super) async fn next_number(
        &self,
        c: &mut Commit,
        prefix: &str,
        year: i32,
    ) -> Result<String> {
        let name = format!("{prefix}:{year}");
        let q = Query::filter(&SEQUENCE, Filter::Eq("name", Value::Text(name.clone()))).page(0, 1);
        let n = match self.store.query(&q).await?.records.first() {
            Some(r) => {
                let v = Versioned::<Sequence>::decode(r)?;
                let n = v.value.next;
                c.update(
                    Sequence {
                        next: n + 1,
                        ..v.value
                    }
                    .to_record(),
                    v.version,
                );
                n
            }
            None => {
                c.insert(
                    Sequence {
                        id: self.new_id(),
                        name,
                        next: 2,
                    }
                    .to_record(),
                );
                1
            }
        };
        Ok(format!("{prefix}-{year}-{n:06}"))
    }

    async fn lines_of<L: Entity>(
        &self,
        kind: &'static Kind,
        column: &'static str,
        doc: Uuid,
    ) -> Result<Vec<L>> {
        let q = Query::filter(kind, Filter::Eq(column, Value::Id(doc)))
            .order_by(vec![Order::asc("position")]);
        self.store
            .query(&q)
            .await?
            .records
            .iter()
            .map(L::from_record)
            .collect()
    }

    async fn load_quote(&self, id: Uuid) -> Result<QuoteDoc> {
        let r = self
            .store
            .get(&QUOTE, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "quote",
                id: id.to_string(),
            })?;
        Ok(QuoteDoc {
            quote: Versioned::decode(&r)?,
            lines: self.lines_of(&QUOTE_LINE, "quote_id", id).await?,
        })
    }

    pub(super) async fn load_order(&self, id: Uuid) -> Result<OrderDoc> {
        let r = self
            .store
            .get(&SALES_ORDER, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "sales_order",
                id: id.to_string(),
            })?;
        Ok(OrderDoc {
            order: Versioned::decode(&r)?,
            lines: self.lines_of(&SALES_ORDER_LINE, "order_id", id).await?,
        })
    }

    fn stale(kind: &str, id: Uuid, read: u64, stored: u64) -> Result<()> {
        if read == stored {
            Ok(())
        } else {
            Err(Error::Conflict(format!(
                "{kind} {id} changed since it was read (version {read}, now {stored})"
            )))
        }
    }

    // ---------------------------------------------------------------- quotes

    /// Writes a new quote (draft) for a customer the actor controls or may edit. Lines without
    /// a price are offered the customer's last price of the product, else its sale price;
    /// totals come from the one tax function with this library's [`TaxSettings`].
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `quote.create` or for a customer the actor may not
    /// edit; [`Error::Invalid`] naming the field (a line's quantity, discount, product …, a
    /// validity before the quote's date); [`Error::NotFound`] for an unknown customer.
    pub async fn create_quote(&self, actor: Actor, input: QuoteInput) -> Result<QuoteDoc> {
        let action = "quote.create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Quote, Op::Create, action)?;
            let owner_id = self.doc_customer(&s, action, input.customer_id).await?;
            let date = input.quote_date.unwrap_or_else(|| self.today());
            self.write_new_quote(&s, action, &input, owner_id, date, None)
                .await
        });
        self.logged(actor, action, "quote", None, res).await
    }

    async fn write_new_quote(
        &self,
        s: &Session,
        action: &str,
        input: &QuoteInput,
        owner_id: Uuid,
        date: NaiveDate,
        copied_from: Option<Uuid>,
    ) -> Result<QuoteDoc> {
        if input.valid_until < date {
            return Err(Error::invalid(
                "valid_until",
                format!("{} is before the quote's date {date}", input.valid_until),
            ));
        }
        let terms = check_terms(input.terms.as_deref())?;
        let id = self.new_id();
        let ctx = LineContext {
            doc_id: id,
            customer_id: input.customer_id,
            owner_id,
            doc_date: date,
        };
        let settings = self.tax;
        let (lines, totals) = self.price(ctx, &input.lines, &settings).await?;
        let mut c = Commit::new();
        let number = self.next_number(&mut c, "QT", date.year()).await?;
        let now = self.now();
        let quote = Quote {
            id,
            number,
            customer_id: input.customer_id,
            owner_id,
            state: QuoteState::Draft,
            quote_date: date,
            valid_until: input.valid_until,
            terms,
            currency: "CNY".into(),
            tax_rounding: settings.rounding,
            net: totals.net,
            tax: totals.tax,
            gross: totals.gross,
            copied_from,
            order_id: None,
            created_by: s.ctx.employee_id,
            created_at: now,
            updated_at: now,
        };
        c.insert(quote.to_record());
        let lines: Vec<QuoteLine> = lines.into_iter().map(QuoteLine).collect();
        for l in &lines {
            c.insert(l.to_record());
        }
        c.insert(self.audit(
            s.ctx.employee_id,
            action,
            "quote",
            Some(id),
            serde_json::json!({"number": quote.number, "gross": quote.gross, "copied_from": copied_from}),
        ));
        self.commit(s, c).await.map_err(sequence_race)?;
        Ok(QuoteDoc {
            quote: Versioned {
                value: quote,
                version: 1,
            },
            lines,
        })
    }

    /// One quote with its lines, if the actor may see it.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `quote.view` or when not visible; [`Error::NotFound`].
    pub async fn quote(&self, actor: Actor, id: Uuid) -> Result<QuoteDoc> {
        let action = "quote.read";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Quote, Op::View, action)?;
            let doc = self.load_quote(id).await?;
            let q = &doc.quote.value;
            self.doc_guard(&s, action, q.owner_id, q.customer_id, false)
                .await?;
            Ok(doc)
        }
        .await;
        self.logged(actor, action, "quote", Some(id), res).await
    }

    /// Replaces a draft quote's date, validity, terms and lines (read at `version`). The
    /// customer stays; to quote another customer, copy the quote.
    ///
    /// # Errors
    /// [`Error::Conflict`] when it changed since; [`Error::Invalid`] when it is not a draft or
    /// for the customer changed; otherwise as [`Crm::create_quote`] with `quote.edit`.
    pub async fn update_quote(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
        input: QuoteInput,
    ) -> Result<QuoteDoc> {
        let action = "quote.update";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Quote, Op::Edit, action)?;
            let old = self.load_quote(id).await?;
            let q = old.quote.value.clone();
            self.doc_guard(&s, action, q.owner_id, q.customer_id, true)
                .await?;
            Self::stale("quote", id, version, old.quote.version)?;
            if q.state != QuoteState::Draft {
                return Err(Error::invalid(
                    "state",
                    format!(
                        "a quote that is {} cannot change; revise it first",
                        q.state.as_str()
                    ),
                ));
            }
            if input.customer_id != q.customer_id {
                return Err(Error::invalid(
                    "customer_id",
                    "a quote's customer cannot change; copy the quote to another customer",
                ));
            }
            let date = input.quote_date.unwrap_or(q.quote_date);
            if input.valid_until < date {
                return Err(Error::invalid(
                    "valid_until",
                    format!("{} is before the quote's date {date}", input.valid_until),
                ));
            }
            let ctx = LineContext {
                doc_id: id,
                customer_id: q.customer_id,
                owner_id: q.owner_id,
                doc_date: date,
            };
            let settings = TaxSettings {
                rounding: q.tax_rounding,
                ..self.tax
            };
            let (lines, totals) = self.price(ctx, &input.lines, &settings).await?;
            let quote = Quote {
                quote_date: date,
                valid_until: input.valid_until,
                terms: check_terms(input.terms.as_deref())?,
                net: totals.net,
                tax: totals.tax,
                gross: totals.gross,
                updated_at: self.now(),
                ..q
            };
            let mut c = Commit::new();
            c.update(quote.to_record(), version);
            for l in &old.lines {
                c.delete(&QUOTE_LINE, l.id, 1);
            }
            let lines: Vec<QuoteLine> = lines.into_iter().map(QuoteLine).collect();
            for l in &lines {
                c.insert(l.to_record());
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "quote",
                Some(id),
                serde_json::json!({"gross": quote.gross}),
            ));
            self.commit(&s, c).await?;
            Ok(QuoteDoc {
                quote: Versioned {
                    value: quote,
                    version: version + 1,
                },
                lines,
            })
        });
        self.logged(actor, action, "quote", Some(id), res).await
    }

    /// Moves a quote (read at `version`) by `event`: send, accept, reject, expire, revise.
    /// Converting is [`Crm::order_from_quote`]'s.
    ///
    /// # Errors
    /// [`Error::Invalid`] (field `state`) when the event does not apply (see
    /// [`QuoteState::apply`]); [`Error::Conflict`]; [`Error::PermissionDenied`] without
    /// `quote.edit` or for a quote the actor may not change.
    pub async fn quote_event(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
        event: QuoteEvent,
    ) -> Result<Versioned<Quote>> {
        let action = "quote.transition";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Quote, Op::Edit, action)?;
            let r = self
                .store
                .get(&QUOTE, id)
                .await?
                .ok_or_else(|| Error::NotFound {
                    kind: "quote",
                    id: id.to_string(),
                })?;
            let old = Versioned::<Quote>::decode(&r)?;
            let q = old.value;
            self.doc_guard(&s, action, q.owner_id, q.customer_id, true)
                .await?;
            Self::stale("quote", id, version, old.version)?;
            if event == QuoteEvent::Convert {
                return Err(Error::invalid(
                    "state",
                    "a quote becomes an order through order_from_quote",
                ));
            }
            let from = q.state;
            let state = from.apply(event, self.today(), q.valid_until)?;
            let quote = Quote {
                state,
                updated_at: self.now(),
                ..q
            };
            let mut c = Commit::new();
            c.update(quote.to_record(), version);
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "quote",
                Some(id),
                serde_json::json!({"from": from.as_str(), "to": state.as_str()}),
            ));
            self.commit(&s, c).await?;
            Ok(Versioned {
                value: quote,
                version: version + 1,
            })
        });
        self.logged(actor, action, "quote", Some(id), res).await
    }

    /// Copies a quote the actor may see as a new draft, for the same customer or for
    /// `to_customer`: the same lines at the same entered prices, dated today and valid for as
    /// many days as the original.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `quote.create`, for a quote the actor may not see or
    /// a target customer they may not edit; otherwise as [`Crm::create_quote`].
    pub async fn copy_quote(
        &self,
        actor: Actor,
        id: Uuid,
        to_customer: Option<Uuid>,
    ) -> Result<QuoteDoc> {
        let action = "quote.copy";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::Quote, Op::Create, action)?;
            let src = self.load_quote(id).await?;
            let q = &src.quote.value;
            self.doc_guard(&s, action, q.owner_id, q.customer_id, false)
                .await?;
            let customer_id = to_customer.unwrap_or(q.customer_id);
            let owner_id = self.doc_customer(&s, action, customer_id).await?;
            let date = self.today();
            let days = (q.valid_until - q.quote_date).num_days();
            let input = QuoteInput {
                customer_id,
                quote_date: Some(date),
                valid_until: date + chrono::TimeDelta::days(days),
                terms: q.terms.clone(),
                lines: src.lines.iter().map(|l| l.to_draft()).collect(),
            };
            self.write_new_quote(&s, action, &input, owner_id, date, Some(id))
                .await
        });
        self.logged(actor, action, "quote", Some(id), res).await
    }

    /// The quotes the actor may see, matching `search`, newest number first, with the total.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `quote.view`.
    pub async fn search_quotes(
        &self,
        actor: Actor,
        search: &DocSearch<QuoteState>,
    ) -> Result<SearchPage<Quote>> {
        let action = "quote.search";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::Quote, Op::View, action)?;
            let mut all = vec![];
            if let Some(c) = search.customer_id {
                all.push(Filter::Eq("customer_id", Value::Id(c)));
            }
            if let Some(st) = search.state {
                all.push(Filter::Eq("state", Value::Text(st.as_str().into())));
            }
            self.search_docs(&s, &QUOTE, all, search.offset, search.limit)
                .await
        }
        .await;
        self.logged(actor, action, "quote", None, res).await
    }

    async fn search_docs<T: Entity>(
        &self,
        s: &Session,
        kind: &'static Kind,
        mut all: Vec<Filter>,
        offset: u64,
        limit: u64,
    ) -> Result<SearchPage<T>> {
        if let Some(v) = visibility_filter_on(&s.ctx, self.shared_with(s).await?, "customer_id") {
            all.push(v);
        }
        let q = Query::filter(kind, Filter::And(all))
            .order_by(vec![Order::desc("number")])
            .page(offset, limit.clamp(0, MAX_PAGE))
            .with_total();
        let page = self.store.query(&q).await?;
        Ok(SearchPage {
            items: page
                .records
                .iter()
                .map(T::from_record)
                .collect::<Result<_>>()?,
            total: page.total.unwrap_or(0),
        })
    }

    // ---------------------------------------------------------------- orders

    /// Writes a new sales order (draft) for a customer the actor controls or may edit, priced
    /// as [`Crm::create_quote`] prices a quote.
    ///
    /// # Errors
    /// As [`Crm::create_quote`], with `sales_order.create`; [`Error::Invalid`] for a delivery
    /// date before the order's date.
    pub async fn create_order(&self, actor: Actor, input: OrderInput) -> Result<OrderDoc> {
        let action = "sales_order.create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::Create, action)?;
            let owner_id = self.doc_customer(&s, action, input.customer_id).await?;
            let new = NewOrder {
                id: self.new_id(),
                owner_id,
                settings: self.tax,
                quote: None,
            };
            self.write_new_order(&s, action, &input, new, Commit::new())
                .await
        });
        self.logged(actor, action, "sales_order", None, res).await
    }

    /// Builds a new draft order and commits it together with the writes already in `c`.
    async fn write_new_order(
        &self,
        s: &Session,
        action: &str,
        input: &OrderInput,
        new: NewOrder,
        mut c: Commit,
    ) -> Result<OrderDoc> {
        let date = input.order_date.unwrap_or_else(|| self.today());
        if let Some(d) = input.delivery_date {
            if d < date {
                return Err(Error::invalid(
                    "delivery_date",
                    format!("{d} is before the order's date {date}"),
                ));
            }
        }
        let terms = check_terms(input.terms.as_deref())?;
        let NewOrder {
            id,
            owner_id,
            settings,
            quote,
        } = new;
        let quote_id = quote.map(|(q, _)| q);
        let ctx = LineContext {
            doc_id: id,
            customer_id: input.customer_id,
            owner_id,
            doc_date: date,
        };
        let (lines, totals) = self.price(ctx, &input.lines, &settings).await?;
        if let Some((_, expected)) = quote {
            if [totals.net, totals.tax, totals.gross] != expected {
                // The same lines through the same function cannot differ; guarded all the same,
                // since an order that disagrees with its quote must never be written.
                return Err(Error::backend_msg(
                    "the order's totals differ from its quote's; nothing was written",
                ));
            }
        }
        let number = self.next_number(&mut c, "SO", date.year()).await?;
        let now = self.now();
        let order = SalesOrder {
            id,
            number,
            customer_id: input.customer_id,
            owner_id,
            quote_id,
            state: OrderState::Draft,
            order_date: date,
            delivery_date: input.delivery_date,
            terms,
            currency: "CNY".into(),
            tax_rounding: settings.rounding,
            net: totals.net,
            tax: totals.tax,
            gross: totals.gross,
            max_discount: max_discount(&lines),
            approved_by: None,
            approved_at: None,
            created_by: s.ctx.employee_id,
            created_at: now,
            updated_at: now,
        };
        c.insert(order.to_record());
        let lines: Vec<OrderLine> = lines.into_iter().map(OrderLine).collect();
        for l in &lines {
            c.insert(l.to_record());
        }
        c.insert(self.audit(
            s.ctx.employee_id,
            action,
            "sales_order",
            Some(id),
            serde_json::json!({"number": order.number, "gross": order.gross, "quote_id": quote_id}),
        ));
        self.commit(s, c).await.map_err(sequence_race)?;
        Ok(OrderDoc {
            order: Versioned {
                value: order,
                version: 1,
            },
            lines,
        })
    }

    /// Turns an accepted quote (read at `quote_version`), or a sent one while it is valid (the
    /// order being the customer's acceptance), into a draft sales order in one commit: the
    /// quote's lines carried over exactly (same entered prices, discounts, tax rates and
    /// rounding, so the order's totals equal the quote's to the cent) and the quote marked
    /// converted.
    ///
    /// # Errors
    /// [`Error::Invalid`] (field `state`) unless the quote is accepted, or sent and still
    /// valid; [`Error::Conflict`];
    /// [`Error::PermissionDenied`] without `sales_order.create` or for a quote the actor may
    /// not change.
    pub async fn order_from_quote(
        &self,
        actor: Actor,
        quote_id: Uuid,
        quote_version: u64,
    ) -> Result<OrderDoc> {
        let action = "sales_order.from_quote";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::Create, action)?;
            let src = self.load_quote(quote_id).await?;
            let q = src.quote.value.clone();
            self.doc_guard(&s, action, q.owner_id, q.customer_id, true)
                .await?;
            Self::stale("quote", quote_id, quote_version, src.quote.version)?;
            let state = q
                .state
                .apply(QuoteEvent::Convert, self.today(), q.valid_until)?;
            let input = OrderInput {
                customer_id: q.customer_id,
                order_date: None,
                delivery_date: None,
                terms: q.terms.clone(),
                lines: src.lines.iter().map(|l| l.to_draft()).collect(),
            };
            let settings = TaxSettings {
                rounding: q.tax_rounding,
                ..self.tax
            };
            let order_id = self.new_id();
            let expected = [q.net, q.tax, q.gross];
            let quote = Quote {
                state,
                order_id: Some(order_id),
                updated_at: self.now(),
                ..q
            };
            let mut c = Commit::new();
            c.update(quote.to_record(), quote_version);
            let new = NewOrder {
                id: order_id,
                owner_id: quote.owner_id,
                settings,
                quote: Some((quote_id, expected)),
            };
            self.write_new_order(&s, action, &input, new, c).await
        });
        self.logged(actor, action, "quote", Some(quote_id), res)
            .await
    }
}

/// What a new order is besides its input.
struct NewOrder {
    id: Uuid,
    owner_id: Uuid,
    settings: TaxSettings,
    /// The quote it comes from, and the quote's net, tax and gross, which it must equal.
    quote: Option<(Uuid, [rust_decimal::Decimal; 3])>,
}

impl Crm {
    /// Loads an order and checks the actor may see (or, with `write`, change) it, and that it
    /// was read at `version` when one is given.
    async fn guarded_order(
        &self,
        s: &Session,
        action: &str,
        id: Uuid,
        version: Option<u64>,
        write: bool,
    ) -> Result<OrderDoc> {
        let doc = self.load_order(id).await?;
        let o = &doc.order.value;
        self.doc_guard(s, action, o.owner_id, o.customer_id, write)
            .await?;
        if let Some(v) = version {
            Self::stale("sales_order", id, v, doc.order.version)?;
        }
        Ok(doc)
    }

    /// One sales order with its lines, if the actor may see it.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `sales_order.view` or when not visible;
    /// [`Error::NotFound`].
    pub async fn order(&self, actor: Actor, id: Uuid) -> Result<OrderDoc> {
        let action = "sales_order.read";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::View, action)?;
            self.guarded_order(&s, action, id, None, false).await
        }
        .await;
        self.logged(actor, action, "sales_order", Some(id), res)
            .await
    }

    /// Replaces an order's dates, terms and lines (read at `version`) before any shipment. If
    /// any price, discount, tax rate or quantity changes, an approval is void: the order goes
    /// back to draft and must be submitted again. Changing only dates or terms keeps it.
    ///
    /// # Errors
    /// [`Error::Invalid`] once shipping started or for a changed customer; [`Error::Conflict`];
    /// otherwise as [`Crm::create_order`] with `sales_order.edit`.
    pub async fn update_order(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
        input: OrderInput,
    ) -> Result<OrderDoc> {
        let action = "sales_order.update";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::Edit, action)?;
            let old = self
                .guarded_order(&s, action, id, Some(version), true)
                .await?;
            let o = old.order.value.clone();
            if !o.state.editable() {
                return Err(Error::invalid(
                    "state",
                    format!("an order that is {} cannot change", o.state.as_str()),
                ));
            }
            if self.has_invoices(id).await? {
                return Err(Error::invalid(
                    "state",
                    "an invoiced order cannot change: its invoices refer to its lines",
                ));
            }
            if input.customer_id != o.customer_id {
                return Err(Error::invalid(
                    "customer_id",
                    "an order's customer cannot change; cancel it and write a new one",
                ));
            }
            let date = input.order_date.unwrap_or(o.order_date);
            if let Some(d) = input.delivery_date {
                if d < date {
                    return Err(Error::invalid(
                        "delivery_date",
                        format!("{d} is before the order's date {date}"),
                    ));
                }
            }
            let ctx = LineContext {
                doc_id: id,
                customer_id: o.customer_id,
                owner_id: o.owner_id,
                doc_date: date,
            };
            let settings = TaxSettings {
                rounding: o.tax_rounding,
                ..self.tax
            };
            let (lines, totals) = self.price(ctx, &input.lines, &settings).await?;
            let old_lines: Vec<DocLine> = old.lines.iter().map(|l| l.0.clone()).collect();
            let repriced = price_fingerprint(&old_lines) != price_fingerprint(&lines);
            if repriced && self.has_allocations(id).await? {
                return Err(Error::invalid(
                    "state",
                    "receipts are applied to this order; its prices and quantities no longer change",
                ));
            }
            let (state, approved_by, approved_at) = if repriced {
                (o.state.apply(OrderEvent::PricesChanged)?, None, None)
            } else {
                (o.state, o.approved_by, o.approved_at)
            };
            let order = SalesOrder {
                order_date: date,
                delivery_date: input.delivery_date,
                terms: check_terms(input.terms.as_deref())?,
                net: totals.net,
                tax: totals.tax,
                gross: totals.gross,
                max_discount: max_discount(&lines),
                state,
                approved_by,
                approved_at,
                updated_at: self.now(),
                ..o
            };
            let mut c = Commit::new();
            c.update(order.to_record(), version);
            for (line_id, v) in self.order_line_versions(id).await? {
                c.delete(&SALES_ORDER_LINE, line_id, v);
            }
            let booked = order.state.is_sale();
            let lines: Vec<OrderLine> = lines
                .into_iter()
                .map(|l| OrderLine(DocLine { booked, ..l }))
                .collect();
            for l in &lines {
                c.insert(l.to_record());
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "sales_order",
                Some(id),
                serde_json::json!({
                    "gross": order.gross,
                    "approval_voided": repriced && o.approved_by.is_some(),
                }),
            ));
            self.commit(&s, c).await?;
            Ok(OrderDoc {
                order: Versioned {
                    value: order,
                    version: version + 1,
                },
                lines,
            })
        });
        self.logged(actor, action, "sales_order", Some(id), res)
            .await
    }

    /// The stored version of each line of an order.
    async fn order_line_versions(&self, order_id: Uuid) -> Result<HashMap<Uuid, u64>> {
        let q = Query::filter(
            &SALES_ORDER_LINE,
            Filter::Eq("order_id", Value::Id(order_id)),
        );
        Ok(self
            .store
            .query(&q)
            .await?
            .records
            .iter()
            .map(|r| (r.id, r.version))
            .collect())
    }

    /// Adds the order's lines to the customer's last prices (the last line of a product wins).
    async fn record_last_prices(&self, c: &mut Commit, doc: &OrderDoc) -> Result<()> {
        let o = &doc.order.value;
        let mut latest: HashMap<Uuid, &OrderLine> = HashMap::new();
        for l in &doc.lines {
            latest.insert(l.product_id, l);
        }
        let products: Vec<Uuid> = latest.keys().copied().collect();
        let stored = self.last_prices(o.customer_id, &products).await?;
        let now = self.now();
        for (product_id, l) in latest {
            let value = LastPrice {
                id: stored
                    .get(&product_id)
                    .map_or_else(|| self.new_id(), |v| v.value.id),
                customer_id: o.customer_id,
                product_id,
                unit_price: l.unit_price,
                price_includes_tax: l.price_includes_tax,
                discount: l.discount,
                order_id: o.id,
                at: now,
            };
            match stored.get(&product_id) {
                Some(v) => c.update(value.to_record(), v.version),
                None => c.insert(value.to_record()),
            };
        }
        Ok(())
    }

    /// Moves an order by an approval event and commits it with its audit entry (and, when it
    /// becomes approved, the customer's last prices).
    async fn order_step(
        &self,
        s: &Session,
        action: &str,
        doc: OrderDoc,
        event: OrderEvent,
    ) -> Result<Versioned<SalesOrder>> {
        let version = doc.order.version;
        let o = doc.order.value.clone();
        let from = o.state;
        let state = from.apply(event)?;
        let approved = state == OrderState::Approved && from != OrderState::Approved;
        let now = self.now();
        let order = SalesOrder {
            state,
            approved_by: if approved {
                Some(s.ctx.employee_id)
            } else {
                o.approved_by.filter(|_| state != OrderState::Draft)
            },
            approved_at: if approved {
                Some(now)
            } else {
                o.approved_at.filter(|_| state != OrderState::Draft)
            },
            updated_at: now,
            ..o
        };
        let mut c = Commit::new();
        c.update(order.to_record(), version);
        if approved {
            self.record_last_prices(&mut c, &doc).await?;
        }
        // Lines count in sales reports exactly while their order is a sale.
        if from.is_sale() != state.is_sale() {
            let versions = self.order_line_versions(order.id).await?;
            for l in &doc.lines {
                let v = versions.get(&l.id).copied().ok_or_else(|| {
                    Error::Conflict(format!("the lines of order {} changed", order.number))
                })?;
                let booked = OrderLine(DocLine {
                    booked: state.is_sale(),
                    ..l.0.clone()
                });
                c.update(booked.to_record(), v);
            }
        }
        c.insert(self.audit(
            s.ctx.employee_id,
            action,
            "sales_order",
            Some(order.id),
            serde_json::json!({
                "from": from.as_str(),
                "to": state.as_str(),
                "max_discount": order.max_discount,
            }),
        ));
        self.commit(s, c).await?;
        Ok(Versioned {
            value: order,
            version: version + 1,
        })
    }

    /// Submits a draft order (read at `version`). Within the actor's discount limit it is
    /// approved at once (by them); beyond it, it waits for an approver.
    ///
    /// # Errors
    /// [`Error::Invalid`] (field `state`) unless it is a draft; [`Error::Conflict`];
    /// [`Error::PermissionDenied`] without `sales_order.edit` or for an order the actor may not
    /// change.
    pub async fn submit_order(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
    ) -> Result<Versioned<SalesOrder>> {
        let action = "sales_order.submit";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::Edit, action)?;
            let doc = self
                .guarded_order(&s, action, id, Some(version), true)
                .await?;
            let within = within_limit(&s.ctx, doc.order.value.max_discount);
            self.order_step(
                &s,
                action,
                doc,
                OrderEvent::Submit {
                    within_limit: within,
                },
            )
            .await
        });
        self.logged(actor, action, "sales_order", Some(id), res)
            .await
    }

    /// Approves an order awaiting approval (read at `version`): the approver must see it and
    /// their discount limit must cover its largest discount.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `sales_order.approve`, for an order the actor may
    /// not see, or when the discount is beyond their limit; [`Error::Invalid`] unless it is
    /// awaiting approval; [`Error::Conflict`].
    pub async fn approve_order(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
    ) -> Result<Versioned<SalesOrder>> {
        let action = "sales_order.approve";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::Approve, action)?;
            let doc = self
                .guarded_order(&s, action, id, Some(version), false)
                .await?;
            decide_approval(&s.ctx, doc.order.value.max_discount)?;
            self.order_step(&s, action, doc, OrderEvent::Approve).await
        });
        self.logged(actor, action, "sales_order", Some(id), res)
            .await
    }

    /// Sends an order awaiting approval back to draft (read at `version`).
    ///
    /// # Errors
    /// As [`Crm::approve_order`], without the limit check.
    pub async fn reject_order(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
    ) -> Result<Versioned<SalesOrder>> {
        let action = "sales_order.reject";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::Approve, action)?;
            let doc = self
                .guarded_order(&s, action, id, Some(version), false)
                .await?;
            self.order_step(&s, action, doc, OrderEvent::Reject).await
        });
        self.logged(actor, action, "sales_order", Some(id), res)
            .await
    }

    /// Cancels an order before any shipment (read at `version`).
    ///
    /// # Errors
    /// [`Error::Invalid`] once shipping started or when already closed or cancelled;
    /// [`Error::Conflict`]; [`Error::PermissionDenied`] without `sales_order.delete` or for an
    /// order the actor may not change.
    pub async fn cancel_order(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
    ) -> Result<Versioned<SalesOrder>> {
        let action = "sales_order.cancel";
        let res = retry!(async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::Delete, action)?;
            let doc = self
                .guarded_order(&s, action, id, Some(version), true)
                .await?;
            if self.has_invoices(id).await? {
                return Err(Error::invalid(
                    "state",
                    "an invoiced order cannot be cancelled; reverse its invoices with red-letter invoices instead",
                ));
            }
            if self.has_allocations(id).await? {
                return Err(Error::invalid(
                    "state",
                    "receipts are applied to this order; it cannot be cancelled",
                ));
            }
            self.order_step(&s, action, doc, OrderEvent::Cancel).await
        });
        self.logged(actor, action, "sales_order", Some(id), res)
            .await
    }

    /// The orders the actor may see, matching `search`, newest number first, with the total.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `sales_order.view`.
    pub async fn search_orders(
        &self,
        actor: Actor,
        search: &DocSearch<OrderState>,
    ) -> Result<SearchPage<SalesOrder>> {
        let action = "sales_order.search";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::View, action)?;
            let mut all = vec![];
            if let Some(c) = search.customer_id {
                all.push(Filter::Eq("customer_id", Value::Id(c)));
            }
            if let Some(st) = search.state {
                all.push(Filter::Eq("state", Value::Text(st.as_str().into())));
            }
            self.search_docs(&s, &SALES_ORDER, all, search.offset, search.limit)
                .await
        }
        .await;
        self.logged(actor, action, "sales_order", None, res).await
    }

    /// The customer's last price of a product (from their most recently approved order that
    /// had it), the price a new line is offered.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `sales_order.view` or for a customer the actor may
    /// not see; [`Error::NotFound`] for an unknown customer.
    pub async fn last_price(
        &self,
        actor: Actor,
        customer_id: Uuid,
        product_id: Uuid,
    ) -> Result<Option<LastPrice>> {
        let action = "sales_order.last_price";
        let res = async {
            let s = self.session(actor).await?;
            need(&s, Resource::SalesOrder, Op::View, action)?;
            let c = self.load_customer(customer_id).await?.value;
            self.doc_guard(&s, action, c.owner_id, c.id, false).await?;
            Ok(self
                .last_prices(customer_id, &[product_id])
                .await?
                .remove(&product_id)
                .map(|v| v.value))
        }
        .await;
        self.logged(actor, action, "customer", Some(customer_id), res)
            .await
    }
}
