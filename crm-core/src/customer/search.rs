//! Multi-criteria customer search: every criterion given must hold, and only visible customers
//! are ever considered.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use typed_builder::TypedBuilder;
use uuid::Uuid;

use crate::store::{Filter, Order, Value};
use crate::text;

/// The largest page a search returns.
pub const MAX_PAGE: u64 = 1000;

/// How search results are sorted. Text sorts by code point (the same on every engine), not by
/// pinyin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CustomerSort {
    /// Newest first (the default).
    #[default]
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// By name.
    NameAsc,
    /// Most recently contacted first; never contacted last.
    LastContactDesc,
    /// Least recently contacted first; never contacted first (who needs a visit).
    LastContactAsc,
}

/// Search criteria; every criterion given must hold.
///
/// ```
/// use crm_core::customer::CustomerSearch;
/// let s = CustomerSearch::builder()
///     .name_contains(Some("科技".into()))
///     .provinces(vec!["北京".into()])
///     .limit(20)
///     .build();
/// assert_eq!(s.offset, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TypedBuilder)]
pub struct CustomerSearch {
    /// Name or short name contains (width- and case-insensitive).
    #[builder(default)]
    pub name_contains: Option<String>,
    /// A contact's name or phone number contains.
    #[builder(default)]
    pub contact_contains: Option<String>,
    /// Customer type is one of.
    #[builder(default)]
    pub customer_types: Vec<String>,
    /// Level is one of.
    #[builder(default)]
    pub levels: Vec<String>,
    /// Industry is one of.
    #[builder(default)]
    pub industries: Vec<String>,
    /// Province is one of.
    #[builder(default)]
    pub provinces: Vec<String>,
    /// City is one of.
    #[builder(default)]
    pub cities: Vec<String>,
    /// Owner is one of.
    #[builder(default)]
    pub owners: Vec<Uuid>,
    /// Has at least one of these tags.
    #[builder(default)]
    pub tags_any: Vec<String>,
    /// Created at or after.
    #[builder(default)]
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    #[builder(default)]
    pub created_to: Option<DateTime<Utc>>,
    /// Last contact at or after.
    #[builder(default)]
    pub last_contact_from: Option<DateTime<Utc>>,
    /// Last contact before.
    #[builder(default)]
    pub last_contact_to: Option<DateTime<Utc>>,
    /// Include archived customers.
    #[builder(default)]
    pub include_archived: bool,
    /// Sort order.
    #[builder(default)]
    pub sort: CustomerSort,
    /// Results to skip.
    #[builder(default)]
    pub offset: u64,
    /// Page size (at most [`MAX_PAGE`]).
    #[builder(default = 20)]
    pub limit: u64,
}

impl Default for CustomerSearch {
    fn default() -> Self {
        CustomerSearch::builder().build()
    }
}

fn one_of(column: &'static str, values: &[String]) -> Option<Filter> {
    (!values.is_empty()).then(|| {
        Filter::In(
            column,
            values
                .iter()
                .map(|v| Value::Text(v.trim().to_owned()))
                .collect(),
        )
    })
}

fn range(
    column: &'static str,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Option<Filter> {
    if from.is_none() && to.is_none() {
        return None;
    }
    Some(Filter::Range(
        column,
        from.map_or(Bound::Unbounded, |t| Bound::Included(Value::Timestamp(t))),
        to.map_or(Bound::Unbounded, |t| Bound::Excluded(Value::Timestamp(t))),
    ))
}

impl CustomerSearch {
    /// The criteria as a store filter (without visibility, which the caller adds).
    pub fn filter(&self) -> Vec<Filter> {
        let contains = |col: &'static str, s: &Option<String>| {
            s.as_deref()
                .map(text::fold_text)
                .filter(|s| !s.is_empty())
                .map(|s| Filter::Contains(col, s))
        };
        [
            (!self.include_archived).then_some(Filter::Eq("archived", Value::Bool(false))),
            contains("search_name", &self.name_contains),
            contains("search_contacts", &self.contact_contains),
            one_of("customer_type", &self.customer_types),
            one_of("level", &self.levels),
            one_of("industry", &self.industries),
            one_of("province", &self.provinces),
            one_of("city", &self.cities),
            (!self.owners.is_empty()).then(|| {
                Filter::In(
                    "owner_id",
                    self.owners.iter().map(|&o| Value::Id(o)).collect(),
                )
            }),
            (!self.tags_any.is_empty()).then(|| Filter::JsonHasAny("tags", self.tags_any.clone())),
            range("created_at", self.created_from, self.created_to),
            range(
                "last_contact_at",
                self.last_contact_from,
                self.last_contact_to,
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The sort keys.
    pub fn order(&self) -> Vec<Order> {
        match self.sort {
            CustomerSort::CreatedDesc => vec![Order::desc("created_at")],
            CustomerSort::CreatedAsc => vec![Order::asc("created_at")],
            CustomerSort::NameAsc => vec![Order::asc("name")],
            CustomerSort::LastContactDesc => vec![Order::desc("last_contact_at")],
            CustomerSort::LastContactAsc => vec![Order::asc("last_contact_at")],
        }
    }
}
