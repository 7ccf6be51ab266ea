//! Customer and contact operations.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{retry, Crm, Session};
use crate::audit::{self, AuditEntry, AUDIT_ENTRY};
use crate::catalog;
use crate::customer::access::{self, decide, visibility_filter};
use crate::customer::{
    contacts_search_text, settle_primary, CheckedCustomer, Contact, ContactInput, ContactLog,
    ContactLogInput, Customer, CustomerInput, CustomerOp, CustomerSearch, CustomerShare, Grantee,
    Relation, ShareAccess, CONTACT, CONTACT_LOG, CUSTOMER, CUSTOMER_SHARE, MAX_CONTACTS, MAX_PAGE,
};
use crate::error::{Error, Result};
use crate::org::{Actor, Op, Resource};
use crate::settings::OptionCategory;
use crate::store::{Commit, Entity, Filter, OnDelete, Order, Query, Value, Versioned};

/// A possible duplicate that did not block the change: a similar name or the same credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateWarning {
    /// The similar customer.
    pub customer_id: Uuid,
    /// Its name.
    pub name: String,
    /// Why it looks similar.
    pub reason: String,
}

/// A created customer, its contacts, and near-duplicate warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedCustomer {
    /// The customer as stored.
    pub customer: Versioned<Customer>,
    /// Its contacts as stored.
    pub contacts: Vec<Contact>,
    /// Near duplicates found (not blocking).
    pub warnings: Vec<DuplicateWarning>,
}

/// What deleting a customer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteOutcome {
    /// The customer, its contacts and shares are gone.
    Deleted,
    /// Other records refer to it, so it was archived instead: hidden from searches by default,
    /// still there for the records that need it.
    Archived,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage<T> {
    /// The results of this page.
    pub items: Vec<T>,
    /// All matching results.
    pub total: u64,
}

impl Crm {
    pub(super) async fn shares_of(&self, customer: Uuid) -> Result<Vec<CustomerShare>> {
        let q = Query::filter(
            &CUSTOMER_SHARE,
            Filter::Eq("customer_id", Value::Id(customer)),
        );
        let page = self.store.query(&q).await?;
        page.records
            .iter()
            .map(CustomerShare::from_record)
            .collect()
    }

    /// Ids of the customers shared with the actor or a department of theirs.
    pub(super) async fn shared_with(&self, s: &Session) -> Result<Vec<Uuid>> {
        let depts = s
            .ctx
            .department_chain
            .iter()
            .map(|&d| Value::Id(d))
            .collect();
        let q = Query::filter(
            &CUSTOMER_SHARE,
            Filter::Or(vec![
                Filter::Eq("employee_id", Value::Id(s.ctx.employee_id)),
                Filter::In("department_id", depts),
            ]),
        );
        let page = self.store.query(&q).await?;
        let ids: BTreeSet<Uuid> = page
            .records
            .iter()
            .map(|r| CustomerShare::from_record(r).map(|s| s.customer_id))
            .collect::<Result<_>>()?;
        Ok(ids.into_iter().collect())
    }

    pub(super) async fn load_customer(&self, id: Uuid) -> Result<Versioned<Customer>> {
        let r = self
            .store
            .get(&CUSTOMER, id)
            .await?
            .ok_or_else(|| Error::NotFound {
                kind: "customer",
                id: id.to_string(),
            })?;
        Versioned::decode(&r)
    }

    /// Loads a customer and checks the operation against the actor's relation to it.
    async fn guarded(
        &self,
        s: &Session,
        id: Uuid,
        op: CustomerOp,
    ) -> Result<(Versioned<Customer>, Relation)> {
        let c = self.load_customer(id).await?;
        let shares = self.shares_of(id).await?;
        let rel = access::relation(&s.ctx, &c.value, &shares);
        decide(&s.ctx, op, rel)?;
        Ok((c, rel))
    }

    async fn contacts_of(&self, customer: Uuid) -> Result<Vec<Versioned<Contact>>> {
        let q = Query::filter(&CONTACT, Filter::Eq("customer_id", Value::Id(customer)));
        let page = self.store.query(&q).await?;
        let mut out: Vec<Versioned<Contact>> = page
            .records
            .iter()
            .map(Versioned::decode)
            .collect::<Result<_>>()?;
        out.sort_by(|a, b| {
            b.value
                .primary
                .cmp(&a.value.primary)
                .then(a.value.id.cmp(&b.value.id))
        });
        Ok(out)
    }

    /// Checks option-list fields against the configured lists.
    async fn check_options(&self, input: &CustomerInput) -> Result<()> {
        let fields = [
            (
                OptionCategory::CustomerType,
                "customer_type",
                &input.customer_type,
            ),
            (OptionCategory::CustomerLevel, "level", &input.level),
            (OptionCategory::Industry, "industry", &input.industry),
            (OptionCategory::CustomerSource, "source", &input.source),
        ];
        for (cat, field, value) in fields {
            let Some(v) = value else { continue };
            let opts = self.options(cat).await?;
            if !opts.is_empty() && !opts.iter().any(|o| &o.value == v) {
                let allowed: Vec<&str> = opts.iter().map(|o| o.value.as_str()).collect();
                return Err(Error::invalid(
                    field,
                    format!(
                        "{v:?} is not one of the configured values: {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The customer that holds this exact normalised name, if any.
    pub(crate) async fn customer_by_key(&self, key: &str) -> Result<Option<Customer>> {
        let q = Query::filter(
            &CUSTOMER,
            Filter::Eq("name_key", Value::Text(key.to_owned())),
        )
        .page(0, 1);
        let page = self.store.query(&q).await?;
        page.records.first().map(Customer::from_record).transpose()
    }

    pub(crate) fn duplicate_error(existing: &Customer) -> Error {
        Error::Duplicate {
            kind: "customer",
            rule: "customer_name_key",
            existing: Some(format!("{} ({})", existing.id, existing.name)),
        }
    }

    /// Fills in which record a store-reported duplicate name duplicates.
    async fn explain_duplicate(&self, e: Error, key: &str) -> Error {
        match e {
            Error::Duplicate {
                rule: "customer_name_key",
                ..
            } => match self.customer_by_key(key).await {
                Ok(Some(c)) => Self::duplicate_error(&c),
                _ => e,
            },
            e => e,
        }
    }

    /// Near duplicates of a new name: names that contain it or that it contains, and customers
    /// with the same credit code. `scan` also looks for longer names containing the new one,
    /// which reads the whole customer table and so is done for interactive creates only.
    pub(crate) async fn near_duplicates(
        &self,
        checked: &CheckedCustomer,
        exclude: Option<Uuid>,
        scan: bool,
    ) -> Result<Vec<DuplicateWarning>> {
        let key = checked.name_key();
        let mut found: HashMap<Uuid, DuplicateWarning> = HashMap::new();
        let chars: Vec<char> = key.chars().collect();
        // Every substring of at least two characters: existing names that the new one contains.
        let mut subs = BTreeSet::new();
        for i in 0..chars.len() {
            for j in i + 2..=chars.len() {
                if j - i < chars.len() {
                    subs.insert(chars[i..j].iter().collect::<String>());
                }
            }
        }
        let mut filters = vec![];
        if !subs.is_empty() {
            filters.push(Filter::In(
                "name_key",
                subs.into_iter().map(Value::Text).collect(),
            ));
        }
        if scan && chars.len() >= 2 {
            filters.push(Filter::Contains("name_key", key.to_owned()));
        }
        for f in filters {
            let page = self
                .store
                .query(&Query::filter(&CUSTOMER, f).page(0, 20))
                .await?;
            for r in &page.records {
                let c = Customer::from_record(r)?;
                if Some(c.id) == exclude || c.name_key == key {
                    continue;
                }
                found.entry(c.id).or_insert(DuplicateWarning {
                    customer_id: c.id,
                    reason: "similar name".to_owned(),
                    name: c.name,
                });
            }
        }
        if let Some(code) = checked.credit_code() {
            let q = Query::filter(
                &CUSTOMER,
                Filter::Eq("credit_code", Value::Text(code.to_owned())),
            )
            .page(0, 20);
            for r in &self.store.query(&q).await?.records {
                let c = Customer::from_record(r)?;
                if Some(c.id) == exclude {
                    continue;
                }
                found.insert(
                    c.id,
                    DuplicateWarning {
                        customer_id: c.id,
                        reason: format!("same credit code {code}"),
                        name: c.name,
                    },
                );
            }
        }
        let mut out: Vec<_> = found.into_values().collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Creates a customer owned by the actor, with its contacts, in one commit.
    ///
    /// An exact duplicate of an existing name (after normalisation: width, case, spaces,
    /// punctuation, company-form suffixes) is refused and names the existing record; similar
    /// names and shared credit codes come back as warnings.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `customer.create`; [`Error::Invalid`] naming the field;
    /// [`Error::Duplicate`] naming the existing customer.
    pub async fn create_customer(
        &self,
        actor: Actor,
        input: CustomerInput,
        contacts: Vec<ContactInput>,
    ) -> Result<CreatedCustomer> {
        let action = "customer.create";
        let res = retry!(async {
            let s = self.session(actor).await?;
            if !s.ctx.has(Resource::Customer, Op::Create) {
                return Err(Error::PermissionDenied(format!(
                    "{action}: no role grants customer.create"
                )));
            }
            let checked = input.check()?;
            self.check_options(checked.input()).await?;
            if contacts.len() > MAX_CONTACTS {
                return Err(Error::invalid(
                    "contacts",
                    format!("at most {MAX_CONTACTS} contacts"),
                ));
            }
            if let Some(existing) = self.customer_by_key(checked.name_key()).await? {
                return Err(Self::duplicate_error(&existing));
            }
            let warnings = self.near_duplicates(&checked, None, true).await?;
            let key = checked.name_key().to_owned();
            let id = self.new_id();
            let mut customer =
                checked.into_new(id, s.ctx.employee_id, s.ctx.employee_id, self.now());
            let mut made = contacts
                .iter()
                .enumerate()
                .map(|(i, c)| c.check_at(i, self.new_id(), id))
                .collect::<Result<Vec<_>>>()?;
            settle_primary(&mut made, None);
            customer.search_contacts = contacts_search_text(&made);
            let mut c = Commit::new();
            c.insert(customer.to_record());
            for ct in &made {
                c.insert(ct.to_record());
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "customer",
                Some(id),
                serde_json::json!({
                    "name": customer.name, "contacts": made.len()
                }),
            ));
            match self.commit(&s, c).await {
                Ok(()) => Ok(CreatedCustomer {
                    customer: Versioned {
                        value: customer,
                        version: 1,
                    },
                    contacts: made,
                    warnings,
                }),
                Err(e) => Err(self.explain_duplicate(e, &key).await),
            }
        });
        self.logged(actor, action, "customer", None, res).await
    }

    /// One customer, if the actor may see it.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::PermissionDenied`] (logged) when it is not visible.
    pub async fn customer(&self, actor: Actor, id: Uuid) -> Result<Versioned<Customer>> {
        let res = async {
            let s = self.session(actor).await?;
            Ok(self.guarded(&s, id, CustomerOp::Read).await?.0)
        }
        .await;
        match res {
            Err(e) => Err(self
                .refuse(actor, CustomerOp::Read.action(), "customer", Some(id), e)
                .await),
            ok => ok,
        }
    }

    /// Replaces the editable fields of a customer read at `version`. The owner changes only
    /// through [`Crm::assign_customers`] and [`Crm::transfer_customers`].
    ///
    /// # Errors
    /// [`Error::Conflict`] when the customer changed since `version`; otherwise as
    /// [`Crm::create_customer`].
    pub async fn update_customer(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
        input: CustomerInput,
    ) -> Result<Versioned<Customer>> {
        let action = CustomerOp::Edit.action();
        // No retry here: the caller's version is the read the edit was based on.
        let res = async {
            let s = self.session(actor).await?;
            let (old, _) = self.guarded(&s, id, CustomerOp::Edit).await?;
            if old.version != version {
                return Err(Error::Conflict(format!(
                    "customer {id} is at version {}, not {version}",
                    old.version
                )));
            }
            let checked = input.check()?;
            self.check_options(checked.input()).await?;
            let key = checked.name_key().to_owned();
            if let Some(existing) = self.customer_by_key(&key).await? {
                if existing.id != id {
                    return Err(Self::duplicate_error(&existing));
                }
            }
            let mut new = old.value.clone();
            checked.apply_to(&mut new, self.now());
            let mut c = Commit::new();
            c.update(new.to_record(), version);
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "customer",
                Some(id),
                audit::diff(&old.value, &new),
            ));
            match self.commit(&s, c).await {
                Ok(()) => Ok(Versioned {
                    value: new,
                    version: version + 1,
                }),
                Err(e) => Err(self.explain_duplicate(e, &key).await),
            }
        }
        .await;
        self.logged(actor, action, "customer", Some(id), res).await
    }

    /// Deletes a customer with its contacts and shares; when other records refer to it, archives
    /// it instead.
    ///
    /// # Errors
    /// [`Error::Conflict`] when it changed since `version`; [`Error::PermissionDenied`].
    pub async fn delete_customer(
        &self,
        actor: Actor,
        id: Uuid,
        version: u64,
    ) -> Result<DeleteOutcome> {
        let action = CustomerOp::Delete.action();
        let res = async {
            let s = self.session(actor).await?;
            let (old, _) = self.guarded(&s, id, CustomerOp::Delete).await?;
            let mut c = Commit::new();
            let mut referenced = false;
            let mut children = Vec::new();
            for (kind, col) in catalog::references_to("customer") {
                let Some(r) = col.references else { continue };
                let f = Filter::Eq(col.name, Value::Id(id));
                match r.on_delete {
                    OnDelete::Restrict => {
                        let page = self.store.query(&Query::filter(kind, f).page(0, 1)).await?;
                        referenced |= !page.records.is_empty();
                    }
                    OnDelete::Cascade => {
                        let page = self.store.query(&Query::filter(kind, f)).await?;
                        children.extend(page.records.into_iter().map(|r| (kind, r.id, r.version)));
                    }
                    OnDelete::Keep => {}
                }
            }
            let outcome = if referenced {
                let mut new = old.value.clone();
                new.archived = true;
                new.updated_at = self.now();
                c.update(new.to_record(), version);
                DeleteOutcome::Archived
            } else {
                for (kind, cid, v) in children {
                    c.delete(kind, cid, v);
                }
                c.delete(&CUSTOMER, id, version);
                DeleteOutcome::Deleted
            };
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "customer",
                Some(id),
                serde_json::json!({
                    "name": old.value.name, "outcome": outcome
                }),
            ));
            self.commit(&s, c).await?;
            Ok(outcome)
        }
        .await;
        self.logged(actor, action, "customer", Some(id), res).await
    }

    /// The store query for a search as this actor: criteria and visibility together.
    async fn search_query(&self, s: &Session, search: &CustomerSearch) -> Result<Query> {
        let mut all = search.filter();
        if let Some(v) = visibility_filter(&s.ctx, self.shared_with(s).await?) {
            all.push(v);
        }
        Ok(Query::filter(&CUSTOMER, Filter::And(all))
            .order_by(search.order())
            .page(search.offset, search.limit.clamp(0, MAX_PAGE))
            .with_total())
    }

    fn check_search(s: &Session, op: CustomerOp) -> Result<()> {
        let (r, o) = op.permission();
        if s.ctx.has(r, o) {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "{}: no role grants {}",
                op.action(),
                crate::org::Permission::new(r, o)
            )))
        }
    }

    /// Searches the customers the actor may see, by every criterion given, sorted and paged,
    /// with the total count of matches.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `customer.view`.
    pub async fn search_customers(
        &self,
        actor: Actor,
        search: &CustomerSearch,
    ) -> Result<SearchPage<Customer>> {
        let res = async {
            let s = self.session(actor).await?;
            Self::check_search(&s, CustomerOp::Search)?;
            let q = self.search_query(&s, search).await?;
            let page = self.store.query(&q).await?;
            Ok(SearchPage {
                items: page
                    .records
                    .iter()
                    .map(Customer::from_record)
                    .collect::<Result<_>>()?,
                total: page.total.unwrap_or(0),
            })
        }
        .await;
        match res {
            Err(e) => Err(self
                .refuse(actor, CustomerOp::Search.action(), "customer", None, e)
                .await),
            ok => ok,
        }
    }

    /// Counts the visible customers matching the criteria (paging ignored).
    ///
    /// # Errors
    /// As [`Crm::search_customers`].
    pub async fn count_customers(&self, actor: Actor, search: &CustomerSearch) -> Result<u64> {
        let s = CustomerSearch {
            offset: 0,
            limit: 0,
            ..search.clone()
        };
        Ok(self.search_customers(actor, &s).await?.total)
    }

    /// Streams every visible customer matching `search` (ignoring its paging) to `each` with its
    /// contacts (primary first), a page at a time, for exports and reports. The check is `op`'s permission.
    pub(crate) async fn for_each_visible(
        &self,
        actor: Actor,
        op: CustomerOp,
        search: &CustomerSearch,
        mut each: impl FnMut(Customer, Vec<Contact>) -> Result<()>,
    ) -> Result<u64> {
        let res = async {
            let s = self.session(actor).await?;
            Self::check_search(&s, op)?;
            let mut q = self.search_query(&s, search).await?;
            q.count_total = false;
            let mut n = 0u64;
            let page_size = MAX_PAGE;
            loop {
                q.offset = n;
                q.limit = Some(page_size);
                let page = self.store.query(&q).await?;
                let got = page.records.len() as u64;
                // The contacts of the whole page in one query, not one per customer.
                let ids: Vec<Value> = page.records.iter().map(|r| Value::Id(r.id)).collect();
                let mut contacts: HashMap<Uuid, Vec<Contact>> = HashMap::new();
                if !ids.is_empty() {
                    let cq = Query::filter(&CONTACT, Filter::In("customer_id", ids));
                    for r in &self.store.query(&cq).await?.records {
                        let ct = Contact::from_record(r)?;
                        contacts.entry(ct.customer_id).or_default().push(ct);
                    }
                }
                for r in &page.records {
                    let mut cs = contacts.remove(&r.id).unwrap_or_default();
                    cs.sort_by(|a, b| b.primary.cmp(&a.primary).then(a.id.cmp(&b.id)));
                    each(Customer::from_record(r)?, cs)?;
                }
                n += got;
                if got < page_size {
                    break;
                }
            }
            Ok(n)
        }
        .await;
        self.logged(actor, op.action(), "customer", None, res).await
    }

    /// The contacts of a visible customer, primary first.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] when the customer is not visible; [`Error::NotFound`].
    pub async fn contacts(
        &self,
        actor: Actor,
        customer_id: Uuid,
    ) -> Result<Vec<Versioned<Contact>>> {
        let res = async {
            let s = self.session(actor).await?;
            self.guarded(&s, customer_id, CustomerOp::ReadContacts)
                .await?;
            self.contacts_of(customer_id).await
        }
        .await;
        match res {
            Err(e) => Err(self
                .refuse(
                    actor,
                    CustomerOp::ReadContacts.action(),
                    "customer",
                    Some(customer_id),
                    e,
                )
                .await),
            ok => ok,
        }
    }

    /// Adds, replaces (`Some(id)`, read at `version`) or removes (`input: None`) one contact.
    /// The customer's contact search text and the single-primary rule are kept in the same
    /// commit.
    async fn change_contact(
        &self,
        actor: Actor,
        customer_id: Uuid,
        target: Option<(Uuid, u64)>,
        input: Option<ContactInput>,
    ) -> Result<Option<Contact>> {
        let action = CustomerOp::EditContacts.action();
        let res = retry!(async {
            let s = self.session(actor).await?;
            let (cust, _) = self
                .guarded(&s, customer_id, CustomerOp::EditContacts)
                .await?;
            let existing = self.contacts_of(customer_id).await?;
            let mut contacts: Vec<Contact> = existing.iter().map(|v| v.value.clone()).collect();
            let versions: HashMap<Uuid, u64> =
                existing.iter().map(|v| (v.value.id, v.version)).collect();
            let mut c = Commit::new();
            let mut result = None;
            let mut detail = serde_json::json!({});
            match (target, &input) {
                (None, Some(inp)) => {
                    if contacts.len() >= MAX_CONTACTS {
                        return Err(Error::invalid(
                            "contacts",
                            format!("at most {MAX_CONTACTS} contacts"),
                        ));
                    }
                    let ct = inp.check("", self.new_id(), customer_id)?;
                    detail = serde_json::json!({"added": ct.name});
                    contacts.push(ct.clone());
                    result = Some(ct);
                }
                (Some((cid, v)), inp) => {
                    let pos = contacts.iter().position(|x| x.id == cid).ok_or_else(|| {
                        Error::NotFound {
                            kind: "contact",
                            id: cid.to_string(),
                        }
                    })?;
                    if versions.get(&cid) != Some(&v) {
                        return Err(Error::Conflict(format!(
                            "contact {cid} changed since version {v}"
                        )));
                    }
                    match inp {
                        Some(inp) => {
                            let ct = inp.check("", cid, customer_id)?;
                            detail = audit::diff(&contacts[pos], &ct);
                            contacts[pos] = ct.clone();
                            result = Some(ct);
                        }
                        None => {
                            detail = serde_json::json!({"removed": contacts[pos].name});
                            contacts.remove(pos);
                            c.delete(&CONTACT, cid, v);
                        }
                    }
                }
                (None, None) => return Err(Error::invalid("contact", "nothing to change")),
            }
            let preferred = result.as_ref().filter(|r| r.primary).map(|r| r.id);
            settle_primary(&mut contacts, preferred);
            for ct in &contacts {
                match versions.get(&ct.id) {
                    None => {
                        c.insert(ct.to_record());
                    }
                    Some(&v) => {
                        let was = existing
                            .iter()
                            .find(|x| x.value.id == ct.id)
                            .map(|x| &x.value);
                        if was != Some(ct) {
                            c.update(ct.to_record(), v);
                        }
                    }
                }
            }
            let mut new_cust = cust.value.clone();
            new_cust.search_contacts = contacts_search_text(&contacts);
            new_cust.updated_at = self.now();
            // Updating the customer also serialises concurrent contact edits of one customer,
            // which keeps exactly one primary contact.
            c.update(new_cust.to_record(), cust.version);
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "customer",
                Some(customer_id),
                detail,
            ));
            self.commit(&s, c).await?;
            Ok(result.map(|r| contacts.into_iter().find(|x| x.id == r.id).unwrap_or(r)))
        });
        match res {
            Err(e) => Err(self
                .refuse(actor, action, "customer", Some(customer_id), e)
                .await),
            ok => ok,
        }
    }

    /// Adds a contact to a customer.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field; [`Error::PermissionDenied`].
    pub async fn add_contact(
        &self,
        actor: Actor,
        customer_id: Uuid,
        input: ContactInput,
    ) -> Result<Contact> {
        self.change_contact(actor, customer_id, None, Some(input))
            .await?
            .ok_or_else(|| Error::backend_msg("contact not returned"))
    }

    /// Replaces a contact read at `version`.
    ///
    /// # Errors
    /// [`Error::Conflict`] when it changed since; otherwise as [`Crm::add_contact`].
    pub async fn update_contact(
        &self,
        actor: Actor,
        customer_id: Uuid,
        contact_id: Uuid,
        version: u64,
        input: ContactInput,
    ) -> Result<Contact> {
        self.change_contact(actor, customer_id, Some((contact_id, version)), Some(input))
            .await?
            .ok_or_else(|| Error::backend_msg("contact not returned"))
    }

    /// Removes a contact read at `version`.
    ///
    /// # Errors
    /// [`Error::Conflict`] when it changed since; [`Error::PermissionDenied`].
    pub async fn remove_contact(
        &self,
        actor: Actor,
        customer_id: Uuid,
        contact_id: Uuid,
        version: u64,
    ) -> Result<()> {
        self.change_contact(actor, customer_id, Some((contact_id, version)), None)
            .await
            .map(|_| ())
    }

    /// Loads customers for a batch operation and checks `op` on every one: the batch is refused
    /// whole if any one is not allowed, so it never half-happens.
    async fn batch_guard(
        &self,
        s: &Session,
        ids: &[Uuid],
        op: CustomerOp,
    ) -> Result<Vec<Versioned<Customer>>> {
        let mut out = Vec::with_capacity(ids.len());
        let unique: BTreeSet<Uuid> = ids.iter().copied().collect();
        for id in unique {
            let (c, _) = self.guarded(s, id, op).await.map_err(|e| match e {
                Error::PermissionDenied(m) => {
                    Error::PermissionDenied(format!("customer {id}: {m}"))
                }
                e => e,
            })?;
            out.push(c);
        }
        Ok(out)
    }

    /// Shares customers with an employee or a whole department (and its sub-departments), for
    /// reading or editing. Sharing again changes the access. All or nothing, logged per customer.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] when any customer may not be shared by the actor;
    /// [`Error::Invalid`] for an unknown grantee.
    pub async fn share_customers(
        &self,
        actor: Actor,
        ids: &[Uuid],
        grantee: Grantee,
        share_access: ShareAccess,
    ) -> Result<usize> {
        let action = CustomerOp::Share.action();
        let res = retry!(async {
            let s = self.session(actor).await?;
            match grantee {
                Grantee::Employee(e) if s.org.employee(e).is_none() => {
                    return Err(Error::invalid("grantee", "no such employee"))
                }
                Grantee::Department(d) if s.org.department(d).is_none() => {
                    return Err(Error::invalid("grantee", "no such department"))
                }
                _ => {}
            }
            let customers = self.batch_guard(&s, ids, CustomerOp::Share).await?;
            let mut c = Commit::new();
            for cust in &customers {
                let found = self
                    .store
                    .query(&Query::filter(
                        &CUSTOMER_SHARE,
                        Filter::Eq("customer_id", Value::Id(cust.value.id)),
                    ))
                    .await?;
                let mut same = None;
                for rec in &found.records {
                    let sh = CustomerShare::from_record(rec)?;
                    if sh.grantee == grantee {
                        same = Some((sh, rec));
                    }
                }
                let share = CustomerShare {
                    id: same.as_ref().map_or_else(|| self.new_id(), |(sh, _)| sh.id),
                    customer_id: cust.value.id,
                    grantee,
                    access: share_access,
                };
                match same {
                    Some((_, rec)) => c.update(share.to_record(), rec.version),
                    None => c.insert(share.to_record()),
                };
                c.assert_version(&CUSTOMER, cust.value.id, cust.version);
                c.insert(self.audit(
                    s.ctx.employee_id,
                    action,
                    "customer",
                    Some(cust.value.id),
                    serde_json::json!({
                        "grantee": grantee, "access": share_access
                    }),
                ));
            }
            self.commit(&s, c).await?;
            Ok(customers.len())
        });
        self.logged(actor, action, "customer", None, res).await
    }

    /// Removes a grantee's share of customers.
    ///
    /// # Errors
    /// As [`Crm::share_customers`].
    pub async fn unshare_customers(
        &self,
        actor: Actor,
        ids: &[Uuid],
        grantee: Grantee,
    ) -> Result<usize> {
        let action = "customer.unshare";
        let res = retry!(async {
            let s = self.session(actor).await?;
            let customers = self.batch_guard(&s, ids, CustomerOp::Share).await?;
            let mut c = Commit::new();
            let mut n = 0;
            for cust in &customers {
                let found = self
                    .store
                    .query(&Query::filter(
                        &CUSTOMER_SHARE,
                        Filter::Eq("customer_id", Value::Id(cust.value.id)),
                    ))
                    .await?;
                for rec in &found.records {
                    if CustomerShare::from_record(rec)?.grantee == grantee {
                        c.delete(&CUSTOMER_SHARE, rec.id, rec.version);
                        c.insert(self.audit(
                            s.ctx.employee_id,
                            action,
                            "customer",
                            Some(cust.value.id),
                            serde_json::json!({"grantee": grantee}),
                        ));
                        n += 1;
                    }
                }
            }
            self.commit(&s, c).await?;
            Ok(n)
        });
        self.logged(actor, action, "customer", None, res).await
    }

    /// Sets the owner of customers (分配). The actor must be above each current owner (or an
    /// administrator), and the new owner must be the actor or below them. All or nothing,
    /// logged per customer.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; [`Error::Invalid`] for an unknown or inactive new owner.
    pub async fn assign_customers(
        &self,
        actor: Actor,
        ids: &[Uuid],
        new_owner: Uuid,
    ) -> Result<usize> {
        let action = CustomerOp::Assign.action();
        let res = retry!(async {
            let s = self.session(actor).await?;
            check_new_owner(&s, new_owner)?;
            let customers = self.batch_guard(&s, ids, CustomerOp::Assign).await?;
            let mut c = Commit::new();
            let now = self.now();
            for cust in &customers {
                if cust.value.owner_id == new_owner {
                    continue;
                }
                let mut new = cust.value.clone();
                new.owner_id = new_owner;
                new.updated_at = now;
                c.update(new.to_record(), cust.version);
                c.insert(self.audit(
                    s.ctx.employee_id,
                    action,
                    "customer",
                    Some(new.id),
                    serde_json::json!({
                        "owner_id": [cust.value.owner_id, new_owner]
                    }),
                ));
            }
            let n = c.len() / 2;
            self.commit(&s, c).await?;
            Ok(n)
        });
        self.logged(actor, action, "customer", None, res).await
    }

    /// Moves every customer of one salesperson to another (移交), as when someone leaves. Both
    /// must be the actor or below them (administrators may move anyone's). One commit: all or
    /// nothing, logged per customer. Returns how many moved.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `customer.transfer` or outside the actor's reach;
    /// [`Error::Invalid`] for an unknown or inactive receiver.
    pub async fn transfer_customers(&self, actor: Actor, from: Uuid, to: Uuid) -> Result<usize> {
        let action = "customer.transfer";
        let res = retry!(async {
            let s = self.session(actor).await?;
            if !s.ctx.has(Resource::Customer, Op::Transfer) {
                return Err(Error::PermissionDenied(format!(
                    "{action}: no role grants customer.transfer"
                )));
            }
            if !(s.ctx.admin || (s.ctx.oversees(from) && s.ctx.oversees(to))) {
                return Err(Error::PermissionDenied(format!(
                    "{action}: both salespeople must be you or below you in the reporting line"
                )));
            }
            if s.org.employee(from).is_none() {
                return Err(Error::invalid("from", "no such employee"));
            }
            check_new_owner(&s, to)?;
            let page = self
                .store
                .query(&Query::filter(
                    &CUSTOMER,
                    Filter::Eq("owner_id", Value::Id(from)),
                ))
                .await?;
            let mut c = Commit::new();
            let now = self.now();
            for r in &page.records {
                let mut cust = Customer::from_record(r)?;
                cust.owner_id = to;
                cust.updated_at = now;
                c.update(cust.to_record(), r.version);
                c.insert(self.audit(
                    s.ctx.employee_id,
                    action,
                    "customer",
                    Some(cust.id),
                    serde_json::json!({
                        "owner_id": [from, to]
                    }),
                ));
            }
            self.commit(&s, c).await?;
            Ok(page.records.len())
        });
        self.logged(actor, action, "employee", Some(from), res)
            .await
    }

    /// Records a visit, call or message with a customer (联系记录) and moves the customer's
    /// last-contact time forward, in one commit.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `contact_log.create` or without edit rights on the
    /// customer; [`Error::Invalid`] naming the field (a contact person of another customer, a
    /// time in the future).
    pub async fn log_contact(
        &self,
        actor: Actor,
        customer_id: Uuid,
        input: ContactLogInput,
    ) -> Result<ContactLog> {
        let action = CustomerOp::LogContact.action();
        let res = retry!(async {
            let s = self.session(actor).await?;
            let (cust, _) = self
                .guarded(&s, customer_id, CustomerOp::LogContact)
                .await?;
            let log = input.check(self.new_id(), customer_id, s.ctx.employee_id, self.now())?;
            if let Some(cid) = log.contact_id {
                let ct = self.store.get(&CONTACT, cid).await?;
                let belongs =
                    ct.is_some_and(|r| r.get("customer_id").ok() == Some(&Value::Id(customer_id)));
                if !belongs {
                    return Err(Error::invalid(
                        "contact_id",
                        "not a contact of this customer",
                    ));
                }
            }
            let mut c = Commit::new();
            c.insert(log.to_record());
            if cust.value.last_contact_at.is_none_or(|t| t < log.at) {
                let mut new = cust.value.clone();
                new.last_contact_at = Some(log.at);
                c.update(new.to_record(), cust.version);
            } else {
                c.assert_version(&CUSTOMER, customer_id, cust.version);
            }
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "customer",
                Some(customer_id),
                serde_json::json!({
                    "contact_log": log.id, "channel": log.channel
                }),
            ));
            self.commit(&s, c).await?;
            Ok(log)
        });
        match res {
            Err(e) => Err(self
                .refuse(actor, action, "customer", Some(customer_id), e)
                .await),
            ok => ok,
        }
    }

    /// The contact records of a visible customer, newest first.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `contact_log.view` or when the customer is not visible.
    pub async fn contact_logs(&self, actor: Actor, customer_id: Uuid) -> Result<Vec<ContactLog>> {
        let action = CustomerOp::ReadContactLogs.action();
        let res = async {
            let s = self.session(actor).await?;
            self.guarded(&s, customer_id, CustomerOp::ReadContactLogs)
                .await?;
            let q = Query::filter(
                &CONTACT_LOG,
                Filter::Eq("customer_id", Value::Id(customer_id)),
            )
            .order_by(vec![Order::desc("at")]);
            let page = self.store.query(&q).await?;
            page.records.iter().map(ContactLog::from_record).collect()
        }
        .await;
        match res {
            Err(e) => Err(self
                .refuse(actor, action, "customer", Some(customer_id), e)
                .await),
            ok => ok,
        }
    }

    /// The audit log of a customer the actor may see, oldest first.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `audit.view` or when the customer is not visible.
    pub async fn customer_audit(&self, actor: Actor, customer_id: Uuid) -> Result<Vec<AuditEntry>> {
        let action = CustomerOp::ReadAudit.action();
        let res = async {
            let s = self.session(actor).await?;
            self.guarded(&s, customer_id, CustomerOp::ReadAudit).await?;
            let q = Query::filter(
                &AUDIT_ENTRY,
                Filter::Eq("record_id", Value::Id(customer_id)),
            )
            .order_by(vec![Order::asc("at")]);
            let page = self.store.query(&q).await?;
            page.records.iter().map(AuditEntry::from_record).collect()
        }
        .await;
        match res {
            Err(e) => Err(self
                .refuse(actor, action, "customer", Some(customer_id), e)
                .await),
            ok => ok,
        }
    }

    /// What one employee did, oldest first: readable by the employee themselves, anyone above
    /// them, and administrators, with `audit.view`.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`].
    pub async fn audit_by_employee(
        &self,
        actor: Actor,
        employee_id: Uuid,
    ) -> Result<Vec<AuditEntry>> {
        let action = "audit.read_by_employee";
        let res = async {
            let s = self.session(actor).await?;
            if !s.ctx.has(Resource::Audit, Op::View)
                || !(s.ctx.admin || s.ctx.oversees(employee_id))
            {
                return Err(Error::PermissionDenied(format!(
                    "{action}: not allowed for this employee"
                )));
            }
            let q = Query::filter(&AUDIT_ENTRY, Filter::Eq("actor_id", Value::Id(employee_id)))
                .order_by(vec![Order::asc("at")]);
            let page = self.store.query(&q).await?;
            page.records.iter().map(AuditEntry::from_record).collect()
        }
        .await;
        match res {
            Err(e) => Err(self
                .refuse(actor, action, "employee", Some(employee_id), e)
                .await),
            ok => ok,
        }
    }
}

fn check_new_owner(s: &Session, owner: Uuid) -> Result<()> {
    let e = s
        .org
        .employee(owner)
        .ok_or_else(|| Error::invalid("owner_id", "no such employee"))?;
    if !e.active {
        return Err(Error::invalid(
            "owner_id",
            format!("{} is not active", e.name),
        ));
    }
    if !s.ctx.admin && !s.ctx.oversees(owner) {
        return Err(Error::PermissionDenied(format!(
            "{} is not you or below you in the reporting line",
            e.name
        )));
    }
    Ok(())
}
