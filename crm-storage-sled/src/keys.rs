//! The keys of the one data tree, and which indexes and references are stored.
//!
//! Every key starts with a tag byte and a name (of a kind or an index) ended by `0x00` (names
//! never contain it), so that the entries of one kind or index are one contiguous key range:
//!
//! | key                                        | value                          |
//! |--------------------------------------------|--------------------------------|
//! | `r` kind `0` id                            | version and column values      |
//! | `u` index `0` key tuple                    | 16 id bytes of the holder      |
//! | `i` index `0` key tuple ++ id              | other ids listed (see `group`) |
//! | `c` kind `0` id                            | u64 count of referring records |
//! | `f` target kind `0` kind `0` index         | empty                          |

use crm_core::store::{Index, Kind, OnDelete};
use uuid::Uuid;

/// Records.
const RECORD: u8 = b'r';
/// Unique index entries.
const UNIQUE: u8 = b'u';
/// Non-unique index entries.
const INDEX: u8 = b'i';
/// Reference counts.
const COUNT: u8 = b'c';
/// Referrer registrations: which index lists the records referring to a kind.
pub(crate) const REFERRER: u8 = b'f';

fn named(tag: u8, name: &str, extra: usize) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + name.len() + extra);
    k.push(tag);
    k.extend_from_slice(name.as_bytes());
    k.push(0);
    k
}

/// The prefix of every record of a kind.
pub(crate) fn kind_prefix(kind: &str) -> Vec<u8> {
    named(RECORD, kind, 16)
}

/// The key of a record.
pub(crate) fn record(kind: &str, id: &Uuid) -> Vec<u8> {
    let mut k = kind_prefix(kind);
    k.extend_from_slice(id.as_bytes());
    k
}

/// The prefix of an index's entries: the key tuple (and, if not unique, the id) follow.
pub(crate) fn index_prefix(idx: &Index) -> Vec<u8> {
    named(if idx.unique { UNIQUE } else { INDEX }, idx.name, 40)
}

/// The key of the reference count of a record.
pub(crate) fn count(kind: &str, id: &Uuid) -> Vec<u8> {
    let mut k = named(COUNT, kind, 16);
    k.extend_from_slice(id.as_bytes());
    k
}

/// The key registering that `index` of `kind` lists the records referring to `target`.
pub(crate) fn referrer(target: &str, kind: &str, index: &str) -> Vec<u8> {
    let mut k = named(REFERRER, target, kind.len() + index.len() + 1);
    k.extend_from_slice(kind.as_bytes());
    k.push(0);
    k.extend_from_slice(index.as_bytes());
    k
}

/// The parts of a referrer key: target kind, referring kind, index.
pub(crate) fn parse_referrer(key: &[u8]) -> Option<(String, String, String)> {
    let rest = key.strip_prefix(&[REFERRER])?;
    let mut parts = rest.split(|&b| b == 0);
    let target = std::str::from_utf8(parts.next()?).ok()?.to_owned();
    let kind = std::str::from_utf8(parts.next()?).ok()?.to_owned();
    let index = std::str::from_utf8(parts.next()?).ok()?.to_owned();
    parts.next().is_none().then_some((target, kind, index))
}

/// Non-unique indexes that are not kept in sled: attribute columns of customers and contacts
/// that only searches filter or sort on. A customer search loads the customer kind into the
/// record cache, whose value maps then answer these columns; with the cache off, a scan does.
/// Each costs one sled write per imported customer or contact, so leaving them out is most of
/// what makes an import cheaper (`docs/adr/0005-sled-layout.md`). A test checks that every
/// name here is an index of the catalogue.
pub(crate) const SEARCH_ONLY_INDEXES: &[&str] = &[
    "customer_created_at",
    "customer_region",
    "customer_owner_province_level",
];

/// Whether an index is kept in sled: every unique index (they decide commits), and every
/// non-unique one but [`SEARCH_ONLY_INDEXES`] — look-ups of the records that belong to or
/// mention another record (a customer's contacts, a record's audit entries, an employee's
/// customers) and by identifying values (a credit code, a tracking number), answered from sled
/// without loading the kind.
pub(crate) fn stored(_kind: &Kind, idx: &Index) -> bool {
    idx.unique || !SEARCH_ONLY_INDEXES.contains(&idx.name)
}

/// Whether a stored index lists every record whose first indexed value is not null. A unique
/// index leaves out keys with a null part, so it does only when its other columns cannot be
/// null.
pub(crate) fn lists_every_record(kind: &Kind, idx: &Index) -> bool {
    stored(kind, idx)
        && (!idx.unique
            || idx.columns.iter().skip(1).all(|c| {
                kind.column_index(c)
                    .and_then(|i| kind.columns.get(i))
                    .is_some_and(|c| !c.nullable)
            }))
}

/// Whether a reference is enforced: its target may not be deleted while it is referred to.
pub(crate) fn enforced(on_delete: OnDelete) -> bool {
    matches!(on_delete, OnDelete::Restrict | OnDelete::Cascade)
}

/// The stored index that lists the records referring through `column`, if one does: then
/// whether a record is still referred to is a prefix scan of that index, and no count is kept.
pub(crate) fn covering_index(kind: &'static Kind, column: &str) -> Option<&'static Index> {
    kind.indexes.iter().find(|idx| {
        idx.columns.first().is_some_and(|c| *c == column) && lists_every_record(kind, idx)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_only_indexes_are_non_unique_indexes_of_the_catalogue() {
        for name in SEARCH_ONLY_INDEXES {
            let found = crm_core::catalog::KINDS
                .iter()
                .flat_map(|k| k.indexes.iter())
                .find(|i| i.name == *name);
            assert!(
                found.is_some_and(|i| !i.unique),
                "{name} is not a non-unique index of the catalogue"
            );
        }
    }

    #[test]
    fn referrer_keys_round_trip() {
        let k = referrer("customer", "contact", "contact_customer");
        assert_eq!(
            parse_referrer(&k),
            Some((
                "customer".into(),
                "contact".into(),
                "contact_customer".into()
            ))
        );
        assert!(kind_prefix("customer") < record("customer", &Uuid::nil()));
        assert!(!record("customer_share", &Uuid::nil()).starts_with(&kind_prefix("customer")));
    }
}
