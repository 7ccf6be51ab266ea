//! Printing operations, and the company profile they print.

use uuid::Uuid;

use super::{retry, Crm};
use crate::error::{Error, Result};
use crate::org::{Actor, Op, Permission, Resource};
use crate::print::{PrintDocument, PrintHeader, PrintTemplate};
use crate::settings::{CompanyProfile, COMPANY_PROFILE, COMPANY_PROFILE_ID};
use crate::store::{Commit, Entity};
use crate::text;

impl Crm {
    /// The company profile printed on documents (empty until set).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] for an unknown or inactive actor; [`Error::Backend`].
    pub async fn company_profile(&self, actor: Actor) -> Result<CompanyProfile> {
        self.session(actor).await?;
        Ok(
            match self.store.get(&COMPANY_PROFILE, COMPANY_PROFILE_ID).await? {
                Some(r) => CompanyProfile::from_record(&r)?,
                None => CompanyProfile::default(),
            },
        )
    }

    /// Replaces the company profile.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `settings.edit`; [`Error::Invalid`] for an empty
    /// name or an over-long field.
    pub async fn set_company_profile(
        &self,
        actor: Actor,
        profile: CompanyProfile,
    ) -> Result<CompanyProfile> {
        let action = "settings.company_profile";
        let res = retry!(async {
            let s = self.session(actor).await?;
            if !s.ctx.has(Resource::Settings, Op::Edit) {
                return Err(Error::PermissionDenied(format!(
                    "{action}: no role grants {}",
                    Permission::new(Resource::Settings, Op::Edit)
                )));
            }
            let opt = |field: &str, v: &Option<String>| -> Result<Option<String>> {
                match v.as_deref().map(str::trim) {
                    None | Some("") => Ok(None),
                    Some(x) => text::check_text(field, x, 1, 200).map(Some),
                }
            };
            let p = CompanyProfile {
                name: text::check_text("name", &profile.name, 1, 100)?,
                address: opt("address", &profile.address)?,
                phone: opt("phone", &profile.phone)?,
                tax_id: opt("tax_id", &profile.tax_id)?,
                bank_name: opt("bank_name", &profile.bank_name)?,
                bank_account: opt("bank_account", &profile.bank_account)?,
            };
            let mut c = Commit::new();
            match self.store.get(&COMPANY_PROFILE, COMPANY_PROFILE_ID).await? {
                Some(r) => c.update(p.to_record(), r.version),
                None => c.insert(p.to_record()),
            };
            c.insert(self.audit(
                s.ctx.employee_id,
                action,
                "company_profile",
                Some(COMPANY_PROFILE_ID),
                serde_json::json!({"name": p.name}),
            ));
            self.commit(&s, c).await?;
            Ok(p)
        });
        self.logged(actor, action, "company_profile", None, res)
            .await
    }

    /// Renders a quote the actor may see with `template` (for instance
    /// [`PrintTemplate::default_quote`]): its lines and totals exactly as stored, the gross in
    /// capital numerals, the company profile and the customer's details.
    ///
    /// # Errors
    /// As [`Crm::quote`]; [`Error::Invalid`] (field `template`) when the template fails.
    pub async fn print_quote(
        &self,
        actor: Actor,
        id: Uuid,
        template: &PrintTemplate,
    ) -> Result<String> {
        let doc = self.quote(actor, id).await?;
        let q = &doc.quote.value;
        let customer = self.load_customer(q.customer_id).await?.value;
        let lines: Vec<_> = doc.lines.iter().map(|l| &l.0).collect();
        let header = PrintHeader {
            number: q.number.clone(),
            date: q.quote_date,
            valid_until: Some(q.valid_until),
            delivery_date: None,
            terms: q.terms.clone(),
        };
        let company = self.company_profile(actor).await?;
        template.render(&PrintDocument::build(&company, &customer, header, &lines)?)
    }

    /// Renders the sales contract of an order the actor may see (for instance with
    /// [`PrintTemplate::default_contract`]).
    ///
    /// # Errors
    /// As [`Crm::order`]; [`Error::Invalid`] (field `template`) when the template fails.
    pub async fn print_contract(
        &self,
        actor: Actor,
        order_id: Uuid,
        template: &PrintTemplate,
    ) -> Result<String> {
        let doc = self.order(actor, order_id).await?;
        let o = &doc.order.value;
        let customer = self.load_customer(o.customer_id).await?.value;
        let lines: Vec<_> = doc.lines.iter().map(|l| &l.0).collect();
        let header = PrintHeader {
            number: o.number.clone(),
            date: o.order_date,
            valid_until: None,
            delivery_date: o.delivery_date,
            terms: o.terms.clone(),
        };
        let company = self.company_profile(actor).await?;
        template.render(&PrintDocument::build(&company, &customer, header, &lines)?)
    }
}
