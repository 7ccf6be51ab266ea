//! Customers and their contacts (客户资源管理): the customer file, duplicate detection on the
//! normalised name (排重), multi-criteria search, and who may see and do what (客户权限).

pub mod access;
pub mod columns;
mod input;
mod log;
mod model;
mod search;

pub use access::{CustomerOp, Relation};
pub(crate) use input::{contacts_search_text, settle_primary};
pub use input::{CheckedCustomer, ContactInput, CustomerInput, MAX_CONTACTS, MAX_NAME_CHARS};
pub use log::{Channel, ContactLog, ContactLogInput, CONTACT_LOG};
pub use model::{
    Anniversary, Contact, Customer, CustomerShare, Grantee, ShareAccess, CONTACT, CUSTOMER,
    CUSTOMER_SHARE,
};
pub use search::{CustomerSearch, CustomerSort, MAX_PAGE};
