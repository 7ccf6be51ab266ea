//! The library's error type: one variant per thing a caller handles differently.

use std::fmt;

/// A field of an input record, named the way the caller wrote it (`"name"`, `"contacts[1].email"`).
pub type FieldName = String;

/// Everything an operation of the library can refuse or fail with.
///
/// The variants are the decisions a caller makes: show a message and let the user fix the input
/// ([`Error::Invalid`]), reload and try again ([`Error::Conflict`]), tell the user they may not
/// ([`Error::PermissionDenied`]), point at the existing record ([`Error::Duplicate`]), or report an
/// infrastructure failure ([`Error::Backend`]). Nothing is half-written when an operation fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is wrong; `field` names it and `reason` says why. Fix the input and retry.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The offending field.
        field: FieldName,
        /// Why the value was refused, in words a user can act on.
        reason: String,
    },
    /// The record does not exist, or the actor may not know that it exists.
    #[error("{kind} {id} not found")]
    NotFound {
        /// Record kind, e.g. `customer`.
        kind: &'static str,
        /// The id that was asked for.
        id: String,
    },
    /// The actor is not allowed to do this. The refusal is written to the audit log.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A record was changed by someone else since it was read. Reload and decide again.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A record with this id already exists.
    #[error("{kind} {id} already exists")]
    AlreadyExists {
        /// Record kind.
        kind: &'static str,
        /// The id that was created twice.
        id: String,
    },
    /// A uniqueness rule of the domain refused the change; `existing` names the record it
    /// duplicates when it is known.
    #[error("duplicate {kind} ({rule}){}", .existing.as_ref().map(|e| format!(": duplicates {e}")).unwrap_or_default())]
    Duplicate {
        /// Record kind.
        kind: &'static str,
        /// The uniqueness rule (index name), e.g. `customer_name_key`.
        rule: &'static str,
        /// The id (and a label) of the record it duplicates, when known.
        existing: Option<String>,
    },
    /// A file is not of a media type the operation accepts. `found` is what its bytes are (a
    /// media type such as `application/pdf`), or `None` when no known format was recognised.
    #[error("unsupported media type: found {}; accepted: {}", .found.as_deref().unwrap_or("no known format"), .accepted.join(", "))]
    UnsupportedMediaType {
        /// What the bytes were recognised as, if anything.
        found: Option<String>,
        /// The media types that are accepted.
        accepted: &'static [&'static str],
    },
    /// A file is larger than the configured limit.
    #[error("{what} is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// What was too large (`image`).
        what: &'static str,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// A warehouse does not hold enough of a product, and does not allow negative stock.
    #[error("insufficient stock of {product} in {warehouse}: {on_hand} on hand, {wanted} wanted")]
    InsufficientStock {
        /// The product (code and name).
        product: String,
        /// The warehouse (code and name).
        warehouse: String,
        /// Units on hand.
        on_hand: rust_decimal::Decimal,
        /// Units the operation needed.
        wanted: rust_decimal::Decimal,
    },
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: String,
        /// Currency of the right operand.
        right: String,
    },
    /// An arithmetic result does not fit the decimal type.
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    /// The storage engine failed (I/O, connection, corruption). Usually not the caller's fault.
    #[error("storage backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<FieldName>, reason: impl fmt::Display) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.to_string(),
        }
    }

    /// The same error with `prefix` put in front of the field an [`Error::Invalid`] names
    /// (`contacts[1].` and `email` make `contacts[1].email`); other errors unchanged. Checks
    /// of a part name its fields bare and the caller puts the part on the one that failed,
    /// so that no prefixed name is formatted for the fields that pass.
    pub(crate) fn within(self, prefix: &str) -> Self {
        match self {
            Error::Invalid { field, reason } if !prefix.is_empty() => Error::Invalid {
                field: format!("{prefix}{field}"),
                reason,
            },
            e => e,
        }
    }

    /// Wraps any backend error.
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Backend(Box::new(e))
    }

    /// Wraps a backend failure described by a message.
    pub fn backend_msg(msg: impl Into<String>) -> Self {
        Error::Backend(msg.into().into())
    }

    /// True for errors where reloading and deciding again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Conflict(_))
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
